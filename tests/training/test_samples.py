"""Training samples: crop geometry, targets in map coordinates, masks, flips, sampling."""

from pathlib import Path

import numpy as np
import pytest

from parttrack.crop import CropWindow
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import ConfigError
from parttrack.models import ModelConfig
from parttrack.training.config import DataConfig, SampleConfig
from parttrack.training.data import Sampler, TrainBatches, load_sources
from parttrack.training.samples import (
    Source,
    is_hard,
    jittered_window,
    make_sample,
    scale_sequence,
)

CFG = ModelConfig(parts=("head", "eye"))  # 128 px search, stride 4 -> 32x32 maps
SC = SampleConfig(color_jitter=0.0)
W, H = 400, 300


def person(pid, x, y, head=True, eye=True, visible=True):
    """A 20x60 person at (x, y) with an 8x8 head at its top centre."""
    parts = {}
    if head is not None:
        parts["head"] = PartBox((x + 6.0, y, 8.0, 8.0), visible) if head else None
    if eye is not None:
        parts["eye"] = PartBox((x + 8.0, y + 2.0, 4.0, 2.0)) if eye else None
    return Subject(pid, (float(x), float(y), 20.0, 60.0), 1.0, parts)


def seq_of(frames, part_names=("head", "eye"), name="hand"):
    info = SequenceInfo(name, W, H, 25.0, len(frames), None, part_names)
    return AnnotatedSequence(info, {k: FrameAnnotation(k, tuple(s)) for k, s in enumerate(frames)})


# window centred on (200, 150), side 128 image px -> scale 1: crop px = image px - 136 / - 86
WIN = CropWindow(200.0, 150.0, 128.0, 128)


def _marked_source(name="hand"):
    """Two frames; a white 8x8 head square of subject 1 drawn where its head box is."""
    frames = {}
    subjects = [[person(1, 190, 120), person(2, 100, 100)], [person(1, 196, 122), person(2, 104, 100)]]
    for k, subs in enumerate(subjects):
        img = np.full((H, W, 3), 40, np.uint8)
        x, y, w, h = subs[0].parts["head"].box
        img[int(y) : int(y + h), int(x) : int(x + w)] = 255
        frames[k] = img
    return Source(name, "synthetic", seq_of(subjects), frames)


@pytest.mark.parametrize("flip", [False, True])
def test_crop_pixels_and_targets_agree(flip):
    src = _marked_source()
    rng = np.random.default_rng(0)
    s = make_sample(src, 1, 0, 1, WIN, flip, CFG, SC, rng)
    white = s["search"][0] > 0.9  # (128, 128)
    ys, xs = np.nonzero(white)
    cx, cy = xs.mean(), ys.mean()  # bright square centre, crop pixels (pixel centres)
    peak_y, peak_x = np.unravel_index(np.argmax(s["subject_parts"][0]), (32, 32))
    off = s["part_offset"][0:2, peak_y, peak_x]
    # target centre (element + offset) x stride lands on the drawn square (within 1 px)
    assert abs((peak_x + off[0]) * 4 - cx) <= 1.0 and abs((peak_y + off[1]) * 4 - cy) <= 1.0
    assert s["template"].shape == (3, 64, 64) and s["search"].dtype == np.float32
    assert s["window"].tolist() == [-200.0 if flip else 200.0, 150.0, 128.0]


def test_scale_sequence_scales_boxes_and_keeps_absent():
    seq = seq_of([[person(1, 190, 120, eye=False)]])
    half = scale_sequence(seq, 0.5)
    s = half.frames[0].get(1)
    assert s.box == (95.0, 60.0, 10.0, 30.0)
    assert s.parts["head"].box == (98.0, 60.0, 4.0, 4.0) and s.parts["eye"] is None
    assert (half.info.width, half.info.height) == (200, 150)


def test_is_hard_uses_head_heights():
    a, b = person(1, 190, 120), person(2, 205, 120)  # heads 15 px apart, 8 px tall
    fa = FrameAnnotation(0, (a, b))
    assert is_hard(fa, a, radius=2.0).id == 2  # 15 / 8 = 1.9 head heights
    assert is_hard(fa, a, radius=1.5) is None


def test_jitter_zero_is_the_inference_window():
    box = (100.0, 50.0, 20.0, 60.0)
    w = jittered_window(box, 128, 2.0, 0.5, 0.0, 0.0, np.random.default_rng(0))
    assert w == CropWindow.around(box, 128, 2.0, 0.5)


def test_sample_config_rejects_bad_values():
    with pytest.raises(ValueError, match="flip_prob"):
        SampleConfig(flip_prob=1.5)
    with pytest.raises(ValueError, match="sigma"):
        SampleConfig(sigma=0.0)


def test_held_out_clip_is_refused():
    with pytest.raises(ValueError, match="held out"):
        _marked_source(name="clip_f0249_n149")
    dc = DataConfig(towncentre=("clip_f0249_n149.mp4",))
    with pytest.raises(ConfigError, match="held out"):
        load_sources(dc, Path("/nonexistent"))


def test_batches_mix_pairs_and_in_order_streams():
    frames = [[person(1, 150 + 3 * k, 120), person(2, 160 + 3 * k, 121)] for k in range(5)]
    imgs = {k: np.full((H, W, 3), 60 + 10 * k, np.uint8) for k in range(5)}
    src = Source("s", "synthetic", seq_of(frames), imgs)
    sc = SampleConfig(clip_length=3, hard_fraction=1.0)
    smp = Sampler([src], {"synthetic": 1.0}, CFG, sc, with_template=True)
    assert len(smp.hard[0]) == 10  # heads 10 px apart, 8 px tall: every sample is hard
    it = iter(TrainBatches(smp, batch_size=4, num_streams=2, seed=0))
    steps: list[list[int]] = [[], []]
    for _ in range(10):
        b = next(it)
        assert b["search"].shape == (4, 3, 128, 128) and b["template"].shape == (4, 3, 64, 64)
        assert b["subject_parts"].shape == (4, 2, 32, 32) and b["part_size"].shape == (4, 4, 32, 32)
        assert b["stream"].tolist()[:2] == [-1, -1] and b["stream"].tolist()[2:] == [0, 1]
        for slot in range(2):
            steps[slot].append(int(b["stream_step"][2 + slot]))
    for seq in steps:
        # clips played in order from their head frame (step 0); the first clip of a slot may
        # be cut short (2..3 frames) so slots do not restart together; later clips have 3
        first = seq.index(0, 1)
        assert seq[:first] == list(range(first)) and 2 <= first <= 3
        assert seq[first : first + 6] == [0, 1, 2, 0, 1, 2]


def test_absent_window_avoids_the_subject():
    from parttrack.training.samples import absent_window

    fa = FrameAnnotation(0, (person(1, 20, 20), person(2, 300, 200)))
    rng = np.random.default_rng(0)
    w = absent_window(fa, 1, CropWindow(30.0, 50.0, 100.0, 128), rng)
    assert (w.cx, w.cy, w.side) == (310.0, 230.0, 100.0)  # centred on the other person
    alone = FrameAnnotation(0, (person(1, 150, 100),))
    for _ in range(5):
        w = absent_window(alone, 1, CropWindow(160.0, 130.0, 100.0, 128), rng)
        half = w.side / 2
        assert w.cx + half < 150 or w.cx - half > 170 or w.cy + half < 100 or w.cy - half > 160


def test_sampler_absent_fraction_gives_subjectless_pairs():
    src = _marked_source()
    sc = SampleConfig(color_jitter=0.0, absent_fraction=1.0, hard_fraction=0.0)
    sampler = Sampler([src], {"synthetic": 1.0}, CFG, sc, with_template=True)
    item = sampler.pair(np.random.default_rng(1))
    assert item["subject_heatmap"].max() == 0.0 and item["subject_parts"].max() == 0.0
