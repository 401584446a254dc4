import numpy as np
import pytest

from parttrack.teacher.heads import (
    HeadParams,
    eye_part,
    faces_away,
    head_from_keypoints,
    head_height,
)

P = HeadParams(per_ear=1.5, per_shoulder=0.5, per_body=0.1, lift=0.1, aspect=0.8)
BOX = np.array([70.0, 90.0, 130.0, 250.0])  # 160 px tall


def keypoints(**over: tuple[float, float, float]) -> np.ndarray:
    kp = np.zeros((17, 3))
    base = {0: (100, 100, 0.9), 1: (105, 98, 0.9), 2: (95, 98, 0.9), 3: (110, 100, 0.9), 4: (90, 100, 0.9),
            5: (120, 130, 0.9), 6: (80, 130, 0.9)}
    names = {"nose": 0, "leye": 1, "reye": 2, "lear": 3, "rear": 4, "lsh": 5, "rsh": 6}
    for k, v in over.items():
        base[names[k]] = v
    for i, v in base.items():
        kp[i] = v
    return kp


def test_head_sized_from_ears_and_lifted():
    head = head_from_keypoints(keypoints(), BOX, P)
    assert head is not None and head.size_from == "ears"  # ears 30 > shoulders 20 > body 16
    assert head.point == pytest.approx((100.0, 99.2 - 3.0))
    assert head.box == pytest.approx((88.0, 81.2, 24.0, 30.0))
    assert head.score == pytest.approx(0.9)
    left, right = head.eyes
    assert left.point == (105.0, 98.0) and left.visible and right.visible


@pytest.mark.parametrize(
    ("over", "height", "cue"),
    [
        ({"lear": (0, 0, 0.1)}, 20.0, "shoulders"),  # one ear hidden: shoulder width 40 * 0.5
        ({"lear": (0, 0, 0.1), "lsh": (0, 0, 0.0)}, 16.0, "body"),  # only the body box: 160 * 0.1
        ({"lsh": (100, 130, 0.9), "rsh": (98, 130, 0.9)}, 30.0, "ears"),  # side view: shoulders shrink
    ],
)
def test_head_height_takes_widest_cue(over, height, cue):
    assert head_height(keypoints(**over), BOX, P) == (pytest.approx(height), cue)


def test_no_head_keypoints_no_head():
    kp = keypoints(nose=(0, 0, 0.1), leye=(0, 0, 0.1), reye=(0, 0, 0.1), lear=(0, 0, 0.1), rear=(0, 0, 0.1))
    assert head_from_keypoints(kp, BOX, P) is None


def test_eye_part_box_around_eyes():
    box, visible, score = eye_part(head_from_keypoints(keypoints(), BOX, P))
    # span 10 + 0.32 * head width 24; 0.24 * head height 30; centred on (100, 98)
    assert box == pytest.approx((100 - 17.68 / 2, 98 - 3.6, 17.68, 7.2))
    assert visible and score == pytest.approx(0.9)


def test_unsure_eye_is_located_not_visible():
    head = head_from_keypoints(keypoints(leye=(105, 98, 0.3), reye=(0, 0, 0.0)), BOX, P)
    assert head.eyes[1] is None and head.eyes[0].visible is False
    assert eye_part(head)[1] is False


def test_faces_away_only_with_ears_and_no_face():
    back = keypoints(nose=(0, 0, 0.05), leye=(0, 0, 0.05), reye=(0, 0, 0.05))
    assert faces_away(back, P)
    assert not faces_away(keypoints(), P)
    head = head_from_keypoints(back, BOX, P)
    assert head is not None and eye_part(head) is None
