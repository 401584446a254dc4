"""Robustness-case primitives, builders and scoring on small synthetic arrays (exact values)."""

import numpy as np
import pytest

from parttrack.data import types
from parttrack.data.types import FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.evaluation.robustness import (
    FrameTruth,
    Prediction,
    add_counts,
    board_texture,
    classify,
    count_frames,
    coverage,
    feather_mask,
    jump_offsets,
    median_background,
    paint_board,
    pan_offsets,
    paste_patch,
    paste_region,
    pixel_rect,
    rates,
    recolour,
    scale_box,
    shake_offsets,
    shift_box,
    shift_image,
    steadiness,
    union_box,
)
from parttrack.evaluation.robustness_cases import (
    KINDS,
    SEED,
    Clip,
    absence,
    camera,
    frame_truth,
    occlusion,
    passer_by,
    subject_run,
)

AnnotatedSequence = getattr(types, "AnnotatedSequence", None) or types.Sequence


def test_pixel_rect_rounds_outwards_and_clips():
    assert pixel_rect((2.5, 1.2, 3.0, 2.0), 10, 8) == (2, 1, 6, 4)
    assert pixel_rect((-3, -2, 5, 4), 10, 8) == (0, 0, 2, 2)
    assert pixel_rect((20, 1, 5, 5), 10, 8) is None


def test_box_helpers():
    assert scale_box((10, 20, 4, 6), 1.5) == (9.0, 18.5, 6.0, 9.0)
    assert scale_box((10, 20, 4, 6), 2.0, 1.0) == (8.0, 20.0, 8.0, 6.0)
    assert shift_box((1, 2, 3, 4), 5, -2) == (6, 0, 3, 4)
    assert union_box([(0, 0, 2, 2), (5, 1, 1, 4)]) == (0, 0, 6, 5)
    assert coverage((0, 0, 4, 4), (2, 0, 10, 10)) == 0.5
    assert coverage((0, 0, 4, 4), (5, 5, 1, 1)) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        union_box([])


def test_board_covers_exactly_the_box_and_is_reproducible():
    img = np.full((20, 30, 3), 7, np.uint8)
    out = paint_board(img, (4.5, 3.0, 6.0, 5.0), seed=3)
    changed = np.any(out != img, axis=2)
    expected = np.zeros((20, 30), bool)
    expected[3:8, 4:11] = True
    assert np.array_equal(changed, expected)
    assert np.array_equal(out[3:8, 4:11], board_texture(5, 7, 3))
    assert np.array_equal(out, paint_board(img, (4.5, 3.0, 6.0, 5.0), seed=3))
    assert not np.array_equal(board_texture(5, 7, 3), board_texture(5, 7, 4))
    assert np.array_equal(img, np.full((20, 30, 3), 7, np.uint8))  # input untouched


def test_shift_image_moves_content_and_fills_border():
    img = np.zeros((6, 8, 3), np.uint8)
    img[2, 3] = 200
    out = shift_image(img, 2, -1, fill=9)
    assert out[1, 5, 0] == 200 and (out == 200).sum() == 3
    assert np.all(out[:, :2] == 9) and np.all(out[-1] == 9)
    assert np.array_equal(shift_image(img, 0, 0), img)
    assert np.all(shift_image(img, 8, 0) == 0)


def test_offsets():
    assert jump_offsets(4, 2, 36, -27).tolist() == [[0, 0], [0, 0], [36, -27], [36, -27]]
    assert pan_offsets(6, 2, 3, -15).tolist() == [[0, 0], [0, 0], [-15, 0], [-30, 0], [-45, 0], [-45, 0]]
    a, b = shake_offsets(50, 10.0, 12), shake_offsets(50, 10.0, 12)
    assert np.array_equal(a, b) and a.dtype == np.int64
    assert a[0].tolist() == [0, 0] and np.any(a[1:] != 0)
    assert not np.array_equal(a, shake_offsets(50, 10.0, 13))


def test_median_background_removes_a_walker():
    frames = [np.full((5, 4, 3), 50, np.uint8) for _ in range(5)]
    for i, f in enumerate(frames):
        f[i, :] = 255  # a bright bar in a different row each frame
    bg = median_background(frames, step=1, rows=2)
    assert np.all(bg == 50)
    with pytest.raises(ValueError):
        median_background([])


def test_paste_region_and_patch():
    img = np.zeros((10, 10, 3), np.uint8)
    src = np.full((10, 10, 3), 100, np.uint8)
    out = paste_region(img, src, (2, 3, 2.5, 1))
    assert (out[..., 0] == 100).sum() == 3 and np.all(out[3, 2:5] == 100)
    m = feather_mask(5, 7, 2)
    assert m[2, 3] == 1.0 and m[0, 0] == pytest.approx(1 / 3) and m[1, 3] == pytest.approx(2 / 3)
    assert np.all(feather_mask(3, 3, 0) == 1.0)
    patch = np.full((5, 7, 3), 90, np.uint8)
    out = paste_patch(img, patch, -1, 8, feather=0)  # partly outside: rows 8-9, cols 0-5
    assert (out[..., 0] == 90).sum() == 2 * 6 and np.all(out[8:, :6] == 90)
    soft = paste_patch(img, patch, 2, 2, feather=2)
    assert soft[4, 5, 0] == 90 and soft[2, 2, 0] == 30 and soft[1, 1, 0] == 0


def test_recolour_changes_only_the_clothes():
    patch = np.zeros((6, 4, 3), np.uint8)
    patch[:] = (0, 0, 200)  # red
    out = recolour(patch, 2, hue_shift=60)  # 120 degrees: red -> green
    assert np.array_equal(out[:2], patch[:2])
    assert out[3, 1, 1] > 150 and out[3, 1, 2] < 50


def test_classify_planted_points():
    head, other = (10, 10, 4, 4), (20, 10, 4, 4)
    assert classify((12, 12), head, [other]) == "hit"
    assert classify((21, 11), head, [other]) == "hijack"
    assert classify((0, 0), head, [other]) == "miss"
    assert classify(None, head, [other]) == "none"
    assert classify((12, 12), None, [other]) == "miss"


def test_count_frames_and_rates():
    head, other = (10, 10, 4, 4), (20, 10, 4, 4)
    truth = [FrameTruth((8, 8, 8, 20), head, (other,))] * 4 + [FrameTruth(None, head, (other,), absent=True)] * 2
    preds = [Prediction((12, 12), None, False), Prediction((21, 11), None, False),
             Prediction(None, None, True), Prediction((0, 0), None, False),
             Prediction((22, 12), None, False), Prediction(None, None, True)]
    c = count_frames(preds, truth, range(6))
    assert c == {"frames": 6, "present": 4, "hit": 1, "hijack": 1, "miss": 1, "none": 1, "false_absent": 1,
                 "expected_absent": 2, "flagged_absent": 2, "absent_found": 1, "absent_hijack": 1}
    r = rates(add_counts(c, count_frames(preds, truth, [0])))
    assert r["hit"] == 40.0 and r["hijack"] == 20.0 and r["absent_recall"] == 50.0
    assert r["absent_precision"] == 50.0 and r["absent_hijack"] == 50.0 and r["false_absent"] == 20.0
    assert rates(count_frames(preds, truth, []))["hit"] is None


def test_steadiness():
    s = steadiness([(0, 0), (3, 4), None, (3, 4), (3, 5)], [(0, 0, 2, 2), (6, 8, 2, 2), None])
    assert s == {"step_median": 3.0, "step_max": 5.0, "point_spread": pytest.approx(34 ** 0.5),
                 "box_drift": 10.0}
    assert steadiness([None], [None])["step_median"] is None


def _tiny_clip(n=70, W=80, H=60):
    """Subject 1 walks right 1 px/frame; subject 2 stands at the right."""
    frames = {}
    for k in range(n):
        s1 = Subject(1, (5 + k * 0.5, 10, 8, 20), parts={"head": PartBox((7 + k * 0.5, 10, 4, 4))})
        s2 = Subject(2, (60, 12, 8, 20), parts={"head": PartBox((62, 12, 4, 4))})
        frames[k] = FrameAnnotation(k, (s1, s2))
    seq = AnnotatedSequence(SequenceInfo("tiny", W, H, 25.0, n, None, ("head",)), frames)
    rng = np.random.default_rng(0)
    images = {k: rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for k in range(n)}
    return Clip(seq, images)


def test_occlusion_case_boards_the_subject_and_marks_it_absent():
    clip = _tiny_clip()
    case = occlusion(clip, 1, frames=8, start=20, after=40)
    assert len(case) == 68 and case.windows["hidden"] == tuple(range(20, 28))
    assert case.windows["after"] == tuple(range(28, 68))
    assert [t.absent for t in case.truth].count(True) == 8
    assert np.array_equal(case.render(19), clip.images[19])
    boarded = case.render(20)
    assert np.array_equal(boarded[9:31, 14:27], case.render(27)[9:31, 14:27])  # a static board
    # union of the boxes of frames 20-27: (15, 10, 11.5, 20), 1.05x -> pixels x 14..26, y 9..30
    expected = clip.images[20].copy()
    expected[9:31, 14:27] = board_texture(22, 13, SEED)
    assert np.array_equal(boarded, expected)
    assert case.truth[20].others == ((62, 12, 4, 4),)  # the other head is not under the board


def test_camera_jump_moves_ground_truth_exactly():
    clip = _tiny_clip()
    case = camera(clip, 1, "jump45", length=30)
    # subject left of centre and above it: moved right and down by (36, 27)
    assert case.truth[19].head == clip.seq.frames[19].get(1).part("head").box
    h = clip.seq.frames[20].get(1).part("head").box
    assert case.truth[20].head == (h[0] + 36, h[1] + 27, h[2], h[3])
    assert case.truth[20].others == ((62 + 36, 12 + 27, 4, 4),)
    assert np.array_equal(case.render(20), shift_image(clip.images[20], 36, 27))
    with pytest.raises(ValueError, match="motion"):
        camera(clip, 1, "zoom")


def test_frame_truth_and_subject_run():
    clip = _tiny_clip()
    assert subject_run(clip, 2) == list(range(70))
    t = frame_truth(clip, 0, 1, covered=(59, 11, 10, 10))
    assert t.others == () and t.head == (7, 10, 4, 4)
    with pytest.raises(ValueError, match="never wholly inside"):
        subject_run(clip, 3)


def test_every_kind_builds_on_a_tiny_clip():
    clip = _tiny_clip(n=100)
    for kind, builders in KINDS.items():
        for build in builders:
            case = build(clip, 1)
            assert case.kind == kind and len(case.truth) == len(case)
            img = case.render(len(case) - 1)
            assert img.shape == (60, 80, 3) and img.dtype == np.uint8


def test_absence_case_blanks_the_subject_with_the_background():
    clip = _tiny_clip()
    case = absence(clip, 1, start=20, after=40)
    assert case.windows["absent"] == tuple(range(20, 60)) and case.truth[20].absent
    assert not case.truth[19].absent and np.array_equal(case.render(19), clip.images[19])
    blank = scale_box(clip.seq.frames[20].get(1).box, 1.3, 1.1)  # (13.8, 9, 10.4, 22)
    assert pixel_rect(blank, 80, 60) == (13, 9, 25, 31)
    expected = clip.images[20].copy()
    expected[9:31, 13:25] = clip.background[9:31, 13:25]
    assert np.array_equal(case.render(20), expected)


def test_passer_by_adds_its_head_and_hides_the_subject():
    clip = _tiny_clip(n=100)
    case = passer_by(clip, 1, start=20, cross=30, after=40)
    assert len(case) == 90 and case.windows["after"] == tuple(range(50, 90))
    assert set(case.windows["hidden"]) <= set(case.windows["during"]) <= set(range(20, 50))
    assert case.windows["hidden"] and all(case.truth[i].absent for i in case.windows["hidden"])
    assert sum(t.absent for t in case.truth) == len(case.windows["hidden"])
    assert len(case.truth[35].others) == 2 and len(case.truth[60].others) == 1  # pasted head + subject 2
    assert not np.array_equal(case.render(35), clip.images[35])
    assert np.array_equal(case.render(60), clip.images[60])
    recoloured = passer_by(clip, 1, recolour_clothes=True)
    assert recoloured.truth == case.truth and not np.array_equal(recoloured.render(35), case.render(35))
