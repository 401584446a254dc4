"""Composite clips: planning, annotations, determinism (on a small made-up source), the
held-out clip refused, and one short clip from the real data."""

import math

import numpy as np
import pytest

from parttrack.data.types import AnnotatedSequence, FrameAnnotation, SequenceInfo, Subject
from parttrack.errors import ConfigError
from parttrack.synth.composite import (
    DEFAULT_SOURCES,
    CompositeConfig,
    composite_clip,
    load_sources,
    resolve_sources,
    walk_path,
)
from parttrack.synth.composite_backdrop import (
    depth_speed,
    fit_perspective,
    foot_rate,
    make_backdrop,
)
from parttrack.synth.composite_render import ellipse_mask
from parttrack.synth.composite_sources import (
    HEAD_RATIO,
    Cut,
    Source,
    Sprite,
    estimate_head,
    mask_cover,
    masked_median,
    sprite_runs,
)
from parttrack.synth.composite_suites import COMPOSITE_SUITES, build_composite_suite


def _sprite(colour: tuple[int, int, int], name: str, velocity: tuple[float, float]) -> Sprite:
    cuts = []
    for k in range(26):
        img = np.full((44, 24, 3), 90, np.uint8)
        img[4:42, 5:19] = colour
        img[4:42, 5 + k % 3] = 20  # a "walk": a stripe that moves with the frame
        alpha = ellipse_mask((44, 24), (4.0, 3.0, 16.0, 40.0), 1.0)
        cuts.append(Cut(img, alpha, (4.0, 3.0, 16.0, 40.0), (8.0, 3.0, 8.0, 5.0)))
    return Sprite(name, tuple(cuts), velocity, "annotated", (90.0, 90.0, 90.0))


def _source(name: str = "made_up") -> Source:
    median = np.tile(np.linspace(60, 200, 240, dtype=np.float32)[None, :, None], (180, 1, 3)).astype(np.uint8)
    v = np.linspace(80, 170, 20, dtype=np.float32)
    feet = np.stack([v, 0.4 * v], axis=1)
    sprites = (_sprite((40, 40, 200), f"{name}/id1/f0", (0.02, 0.0)),
               _sprite((200, 60, 40), f"{name}/id2/f0", (-0.015, 0.004)),
               _sprite((50, 160, 50), f"{name}/id3/f0", (0.01, -0.003)))
    return Source(name, median, feet, v - 0.4 * v, sprites)


CFG = CompositeConfig(width=160, height=120, num_frames=30, walkers=1)


@pytest.mark.parametrize("scenario", ["crossing", "side-by-side", "lookalike", "occlusion", "mixed"])
def test_clip_annotates_every_frame_consistently(scenario):
    clip = composite_clip(CompositeConfig(width=160, height=120, num_frames=30, walkers=1, scenario=scenario),
                          seed=11, sources=[_source()])
    seq = clip.sequence
    assert len(clip.frames) == 30 and clip.frames[0].shape == (120, 160, 3)
    assert seq.info.part_names == ("head",) and seq.info.name == "composite_s11"
    sid = seq.subject_id
    assert sid == clip.people[0].id and clip.people[0].role == "subject"
    first = seq.frames[0].get(sid)
    assert first is not None and 0.0 <= first.visibility <= 1.0  # >= 0.7 is checked by the suites
    for fa in seq:
        for s in fa.subjects:
            hx, hy, hw, hh = s.parts["head"].box
            x, y, w, h = s.box
            assert x - 1e-6 <= hx and hx + hw <= x + w + 1e-6 and hy >= y - 1e-6  # head inside the body box
            assert hh == pytest.approx(h * 5.0 / 40.0)  # the cut's head/body ratio, scaled with the paste
            assert "eye" not in s.parts  # not annotated: the sources have no eyes


def test_same_seed_same_clip_and_other_seed_other_clip():
    src = _source()
    a, b = composite_clip(CFG, 5, [src]), composite_clip(CFG, 5, [src])
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True))
    assert a.sequence == b.sequence and a.people == b.people
    c = composite_clip(CFG, 6, [src])
    assert not all(np.array_equal(x, y) for x, y in zip(a.frames, c.frames, strict=True))


def test_the_subject_is_drawn_where_its_box_says():
    clip = composite_clip(CompositeConfig(width=160, height=120, num_frames=3, walkers=0, scenario="crossing",
                                          shadow=False), 3, [_source()])
    bd = make_backdrop(_source(), 160, 120)
    for t, fa in enumerate(clip.sequence):
        changed = np.abs(clip.frames[t].astype(int) - bd.image.astype(int)).max(axis=2) > 0
        ys, xs = np.nonzero(changed)
        lo_x = min(math.floor(s.box[0]) for s in fa.subjects)
        hi_x = max(math.ceil(s.box[0] + s.box[2]) for s in fa.subjects)
        assert xs.min() >= lo_x - 1 and xs.max() <= hi_x + 1  # nothing drawn outside the boxes


def test_lookalike_copies_the_subjects_sprite():
    clip = composite_clip(CompositeConfig(width=160, height=120, num_frames=20, walkers=0, scenario="lookalike",
                                          recolour_share=1.0), 2, [_source()])
    subject, copy = clip.people[0], clip.people[1]
    assert copy.lookalike_of == subject.id and copy.sprite == subject.sprite and copy.recolour_deg >= 90


def test_walk_path_is_a_straight_line_at_constant_height():
    feet, heights = walk_path((50.0, 80.0), 4, (0.02, -0.01), 10, lambda v: 40.0)  # no perspective
    assert feet[4].tolist() == [50.0, 80.0]
    assert np.allclose(feet[9] - feet[4], [5 * 0.8, 0.0]) and np.allclose(feet[0] - feet[4], [-4 * 0.8, 0.0])
    assert heights.tolist() == [40.0] * 10
    # with perspective a = 0.5, focal 400: towards-camera 0.01 heights/frame -> 0.01 * 40**2 / 200 px
    feet, _ = walk_path((50.0, 80.0), 0, (0.0, 0.01), 3, lambda v: 40.0, a=0.5, focal=400.0)
    assert np.allclose(feet[:, 1], [80.0, 80.08, 80.16])


def test_fit_perspective_recovers_a_line_and_falls_back_flat():
    v = np.linspace(100, 300, 20)
    a, b = fit_perspective(np.stack([v, 0.5 * v - 20], axis=1), 400.0)
    assert a == pytest.approx(0.5) and b == pytest.approx(-20.0)
    assert fit_perspective(np.array([[100.0, 40.0]] * 3), 400.0) == (0.0, 40.0)


def test_depth_speed_and_foot_rate_invert_each_other():
    assert depth_speed(2.0, 100.0, 0.25, 1000.0) == pytest.approx(0.05)
    assert foot_rate(0.05, 100.0, 0.25, 1000.0) == pytest.approx(2.0)
    assert foot_rate(0.05, 100.0, 0.0, 1000.0) == 0.0  # no perspective, no depth motion


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="scenario"):
        CompositeConfig(scenario="dance")
    with pytest.raises(ValueError, match="width"):
        CompositeConfig(width=10)
    with pytest.raises(ValueError, match="seed"):
        composite_clip(CFG, -1, [_source()])


def test_held_out_clip_is_never_a_source(tmp_path):
    assert not any("clip_f0249_n149" in s for s in DEFAULT_SOURCES)
    assert not any("clip_f0249_n149" in s for s in resolve_sources(data_root=tmp_path))
    with pytest.raises(ConfigError, match="held out"):
        resolve_sources(["towncentre/clip_f0249_n149_gt.csv"], tmp_path)
    with pytest.raises(ConfigError, match="held out"):
        load_sources([_source("clip_f0249_n149")])
    with pytest.raises(ConfigError):
        build_composite_suite("real-nothing")


def test_masked_median_ignores_covered_samples_and_fills_always_covered_pixels():
    frames = [np.full((4, 4, 3), v, np.uint8) for v in (10, 20, 30, 240, 250)]
    covered = [np.zeros((4, 4), bool) for _ in frames]
    covered[3][1, 1] = covered[4][1, 1] = True  # a person over pixel (1, 1) in the last two
    for c in covered:
        c[3, 3] = True  # always covered
    med = masked_median(frames, covered)
    assert med[1, 1].tolist() == [20, 20, 20] and med[0, 0].tolist() == [30, 30, 30]
    assert 0 < med[3, 3, 0] < 255


def test_estimate_head_sits_on_the_mask_top():
    alpha = np.zeros((100, 40), np.float32)
    alpha[21:95, 12:28] = 1.0  # body
    alpha[10:21, 15:23] = 1.0  # head (11 rows, the ratio says 10.6), centre x 19
    x, y, w, h = estimate_head(alpha, (5.0, 5.0, 30.0, 90.0))
    assert y == 10.0 and h == pytest.approx(HEAD_RATIO * 90.0) and x + w / 2 == pytest.approx(19.0)


def test_sprite_runs_skip_overlapped_and_short_runs():
    info = SequenceInfo("s", 200, 200, 25.0, 40)
    frames = {}
    for k in range(40):
        subs = [Subject(1, (10.0, 10.0, 30.0, 120.0)), Subject(2, (100.0, 10.0, 30.0, 120.0))]
        if k >= 10:
            subs.append(Subject(3, (105.0, 20.0, 30.0, 120.0)))  # covers person 2 from frame 10
        frames[k] = FrameAnnotation(k, tuple(subs))
    runs = sprite_runs(AnnotatedSequence(info, frames), min_height=100.0)
    assert runs == [(1, list(range(40)))]


def test_composite_suites_use_the_suite_seed_range():
    assert all(1_000_000 <= s.first_seed < 2_000_000 for s in COMPOSITE_SUITES.values())


def test_real_clip_from_tud(shared_data):
    clip = composite_clip(CompositeConfig(width=384, height=216, num_frames=12, walkers=1), 7,
                          sources=["tud-stadtmitte"], data_root=shared_data)
    seq = clip.sequence
    assert len(clip.frames) == 12 and clip.frames[0].shape == (216, 384, 3)
    sid = seq.subject_id
    track = seq.track_of(sid)
    assert len(track) == 12  # the subject starts inside the frame and walks ~1 body height
    for s in track.values():
        hx, hy, hw, hh = s.parts["head"].box
        assert s.box[1] - 1e-6 <= hy < s.box[1] + 0.3 * s.box[3]  # head at the top of the body
        assert 0.0 <= s.visibility <= 1.0
    x, y, w, h = (int(round(v)) for v in track[0].box)
    person = clip.frames[0][y : y + h, x : x + w].astype(int)
    assert person.std() > 10  # a real person is drawn there, not a flat patch


def test_mask_cover_measures_the_body_middle():
    alpha = np.zeros((100, 40), np.float32)
    assert mask_cover(alpha, (0.0, 0.0, 40.0, 100.0)) == 0.0
    alpha[:, :20] = 1.0  # the left half of the box only
    assert mask_cover(alpha, (0.0, 0.0, 40.0, 100.0)) == 0.5


def test_training_stream_is_named_varied_and_checks_overrides():
    from parttrack.synth.composite_suites import composite_training_clips

    clips = list(composite_training_clips(2, seed=1, sources=[_source()], width=160, height=120, num_frames=8))
    assert [c.sequence.info.name for c in clips] == ["composite_train_1_0", "composite_train_1_1"]
    assert all(len(c.frames) == 8 and c.sequence.subject_id is not None for c in clips)
    with pytest.raises(ValueError, match="unknown"):
        list(composite_training_clips(1, sources=[_source()], colour="red"))
