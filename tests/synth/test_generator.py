"""Synthetic crowd generator: determinism, box / visibility consistency, occlusion flags,
eyes only when facing the camera, perspective, seeds and config validation."""

import dataclasses

import numpy as np
import pytest

from parttrack.synth.generator import (
    PART_NAMES,
    PART_VISIBLE,
    SUITE_SEED_RANGE,
    TRAIN_SEED_BASE,
    SceneConfig,
    generate,
    paint_ids,
    random_scene_config,
    train_seed,
    training_clips,
    visible_fractions,
)
from parttrack.synth.people import Pose, random_appearance, render_person

SMALL = SceneConfig(num_frames=12, num_people=4, camera_motion=0.5, noise=0.5, blur=0.3, lighting=0.5)
BUSY = SceneConfig(num_frames=30, num_people=10, crossing_rate=0.4, occlusion_share=0.5,
                   side_by_side_rate=0.4, lookalike_share=0.4, camera_motion=0.6, stop_turn_rate=0.5)


@pytest.fixture(scope="module")
def busy():
    return generate(BUSY, 11)


def _inside(inner, outer, eps=1e-6) -> bool:
    (x, y, w, h), (ox, oy, ow, oh) = inner, outer
    return x >= ox - eps and y >= oy - eps and x + w <= ox + ow + eps and y + h <= oy + oh + eps


def test_same_seed_same_clip_other_seed_differs() -> None:
    a, b, c = generate(SMALL, 5), generate(SMALL, 5), generate(SMALL, 6)
    assert len(a.frames) == 12 and a.frames[0].shape == (288, 384, 3) and a.frames[0].dtype == np.uint8
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True))
    assert a.sequence == b.sequence
    assert not np.array_equal(a.frames[0], c.frames[0])
    assert a.sequence.frames != c.sequence.frames


def test_sequence_info_and_subject(busy) -> None:
    seq = busy.sequence
    assert seq.info.part_names == PART_NAMES == ("head", "eye")
    info = seq.info
    assert (info.width, info.height, info.num_frames, info.name) == (384, 288, 30, "synth_s11")
    assert sorted(seq.frames) == list(range(30))
    assert seq.subject_id == busy.people[0].id and busy.people[0].role == "subject"
    assert {p.id for p in busy.people} == set(range(1, 11))
    assert set(seq.subject_ids()) <= {p.id for p in busy.people}


def test_boxes_and_visibility_consistent(busy) -> None:
    W, H = 384, 288
    n = 0
    for fa in busy.sequence:
        for s in fa.subjects:
            n += 1
            x, y, w, h = s.box
            assert x < W and y < H and x + w > 0 and y + h > 0  # fully outside people are dropped
            assert 0.0 <= s.visibility <= 1.0
            assert set(s.parts) == {"head", "eye"}
            head, eye = s.parts["head"], s.parts["eye"]
            assert head is not None and _inside(head.box, s.box)
            assert eye is None or _inside(eye.box, head.box)
            if head.visible:
                assert s.visibility > 0
    assert n > 200


def test_hidden_people_have_low_visibility_and_flagged_heads(busy) -> None:
    hidden_heads = [s for fa in busy.sequence for s in fa.subjects
                    if not s.parts["head"].visible and _inside(s.parts["head"].box, (0, 0, 384, 288))]
    assert hidden_heads, "expected a head hidden behind someone inside the frame"
    assert all(s.visibility < 1.0 for s in hidden_heads)
    inside = [s for fa in busy.sequence for s in fa.subjects if _inside(s.box, (0, 0, 384, 288))]
    assert any(s.visibility < 0.5 for s in inside)  # occluded while fully in the frame


def test_person_behind_another_is_hidden_and_flagged() -> None:
    canvas, ids = np.zeros((220, 200, 3), np.uint8), np.zeros((220, 200), np.uint8)
    look = random_appearance(np.random.default_rng(0))
    far = render_person(canvas, Pose(100, 150, 80, 0.0, 0.0, 0.0), look)
    paint_ids(ids, far, 1)
    near = render_person(canvas, Pose(100, 160, 90, 0.0, 0.0, 0.0), look)
    paint_ids(ids, near, 2)
    view = (0, 0, 200, 220)
    body, head, eye = visible_fractions(ids, far, 1, view)
    assert head < 0.05 and eye < 0.05 and body < 0.1  # a pixel of edge may differ
    assert max(head, eye) < PART_VISIBLE  # so the annotation flags them visible=False
    assert visible_fractions(ids, near, 2, view) == (1.0, 1.0, 1.0)
    # the view cutting the near person at x = 100 leaves about half of it
    half = visible_fractions(ids, near, 2, (0, 0, 100, 220))[0]
    assert 0.4 < half < 0.6


def test_eye_box_only_when_facing_the_camera() -> None:
    look = random_appearance(np.random.default_rng(1))
    for yaw, has_eye in ((0.0, True), (60.0, True), (-95.0, True), (110.0, False), (180.0, False)):
        canvas = np.zeros((200, 200, 3), np.uint8)
        r = render_person(canvas, Pose(100, 180, 150, yaw, 0.0, 0.0), look)
        assert (r.eye_box is not None) == has_eye, yaw
        hx, hy, hw, hh = (int(v) for v in r.head_box)
        face = canvas[hy + hh // 2 : hy + hh, hx : hx + hw + 1]
        skin = np.all(face == look.skin, axis=2).sum()
        assert (skin > 10) == has_eye, (yaw, skin)  # no face drawn from behind


def test_eye_none_exactly_when_facing_away(busy) -> None:
    yaw = {p.id: p.yaw for p in busy.people}
    states = {True: 0, False: 0}
    for fa in busy.sequence:
        for s in fa.subjects:
            away = abs(yaw[s.id][fa.frame]) >= 100.0
            assert (s.parts["eye"] is None) == away
            states[away] += 1
    assert states[True] > 0 and states[False] > 0


def test_perspective_sizes(busy) -> None:
    ratios, heads = [], []
    for fa in busy.sequence:
        for s in fa.subjects:
            x, y, w, h = s.box
            if s.visibility == 1.0 and _inside(s.box, (0, 0, 384, 288)):
                ratios.append((y + h, h))
                heads.append(s.parts["head"].box[3] / h)
    rows, sizes = np.array(ratios).T
    assert np.corrcoef(rows, sizes)[0, 1] > 0.8  # lower in the image = nearer = taller
    assert 35 < sizes.min() and sizes.max() < 170
    assert np.all((np.array(heads) > 0.12) & (np.array(heads) < 0.15))  # head ~ 1/7 of body


def test_lookalikes_share_clothes_and_hair(busy) -> None:
    by_id = {p.id: p for p in busy.people}
    copies = [p for p in busy.people if p.lookalike_of is not None]
    assert len(copies) == round(0.4 * 9)
    for p in copies:
        src = by_id[p.lookalike_of].appearance
        assert dataclasses.replace(p.appearance, bag_side=src.bag_side) == src


@pytest.mark.parametrize(
    ("field", "value"),
    [("width", 10), ("width", 3.5), ("num_frames", 0), ("fps", 0.0), ("num_people", 0),
     ("min_head_distance", -1.0), ("crossing_rate", 1.5), ("lookalike_share", -0.1),
     ("occlusion_share", True), ("noise", 2.0), ("props", -1), ("stop_turn_rate", float("nan"))],
)
def test_scene_config_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"SceneConfig.{field}"):
        SceneConfig(**{field: value})


def test_generate_rejects_bad_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        generate(SMALL, -1)


def test_training_seeds_are_disjoint_from_suites() -> None:
    assert train_seed(0, 0) == TRAIN_SEED_BASE == 2**32 > SUITE_SEED_RANGE[1]
    assert train_seed(2, 7) == 3 * 2**32 + 7
    with pytest.raises(ValueError):
        train_seed(0, -1)


def test_training_clips_vary_and_repeat() -> None:
    a = list(training_clips(2, seed=3, num_frames=3, width=128, height=96))
    b = list(training_clips(2, seed=3, num_frames=3, width=128, height=96))
    assert [c.sequence.info.name for c in a] == ["train_3_0", "train_3_1"]
    assert all(c.frames[0].shape == (96, 128, 3) for c in a)
    assert all(x.sequence == y.sequence for x, y in zip(a, b, strict=True))
    assert a[0].sequence.frames != a[1].sequence.frames
    with pytest.raises(ValueError, match="num_peple"):
        next(training_clips(1, num_peple=3))


def test_random_scene_config_overrides_and_ranges() -> None:
    rng = np.random.default_rng(0)
    cfgs = [random_scene_config(rng, num_frames=7) for _ in range(50)]
    assert all(c.num_frames == 7 for c in cfgs)
    assert len({c.num_people for c in cfgs}) > 5
    assert any(c.camera_motion == 0 for c in cfgs) and any(c.camera_motion > 0 for c in cfgs)
    assert random_scene_config(np.random.default_rng(4)) == random_scene_config(np.random.default_rng(4))
