"""Training sources: teacher-labelled video (parttrack JSONL) as a source of its own kind."""

from pathlib import Path

import numpy as np
import pytest

from parttrack.data.jsonl import write_sequence
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.data.video import VideoWriter
from parttrack.errors import ConfigError
from parttrack.models import ModelConfig
from parttrack.training.config import DataConfig, SampleConfig
from parttrack.training.data import Sampler, load_sources

W, H, N = 160, 120, 4


def _labelled(folder: Path, video_name: str, part_names=("head", "eye"), name: str | None = None) -> Path:
    """A 4-frame video and teacher-style labels of one person (head, eye, confidences)."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / video_name
    with VideoWriter(video, fps=10.0, size=(W, H)) as w:
        for k in range(N):
            w.write(np.full((H, W, 3), 60 + 10 * k, np.uint8))
    frames = {}
    for k in range(N):
        parts = {"head": PartBox((62.0 + k, 20.0, 10.0, 12.0), confidence=0.8),
                 "eye": PartBox((64.0 + k, 24.0, 6.0, 3.0), confidence=0.6)} if part_names else {}
        frames[k] = FrameAnnotation(k, (Subject(3, (55.0 + k, 18.0, 24.0, 70.0), 1.0, parts, confidence=0.9),))
    name = name or Path(video_name).stem
    info = SequenceInfo(name, W, H, 10.0, N, str(video), part_names)
    out = folder / "labels" / f"{name}.jsonl"
    out.parent.mkdir(exist_ok=True)
    write_sequence(AnnotatedSequence(info, frames), out)
    return out


def test_labelled_jsonl_loads_as_its_own_kind_and_is_mixed(tmp_path: Path) -> None:
    _labelled(tmp_path, "office.mp4")
    dc = DataConfig(labelled=("labels/office.jsonl",), labelled_scale=0.5, mix_labelled=0.3)
    (src,) = load_sources(dc, tmp_path, need_parts=True)
    assert (src.kind, src.name, sorted(src.frames)) == ("labelled", "office", [0, 1, 2, 3])
    assert src.frames[0].shape == (H // 2, W // 2, 3)  # labelled_scale resizes frames and labels
    s = src.subject(2, 3)
    assert s.box == pytest.approx((28.5, 9.0, 12.0, 35.0))
    assert s.parts["head"].box == pytest.approx((32.0, 10.0, 5.0, 6.0))
    sampler = Sampler([src], {"labelled": 0.3}, ModelConfig(parts=("head", "eye")), SampleConfig(), False)
    assert sampler.p.tolist() == [1.0]
    with pytest.raises(ConfigError, match="no training samples"):
        Sampler([src], {"synthetic": 1.0}, ModelConfig(parts=("head", "eye")), SampleConfig(), False)


def test_labelled_parts_keeps_only_the_named_parts(tmp_path: Path) -> None:
    _labelled(tmp_path, "office.mp4")
    (src,) = load_sources(DataConfig(labelled=("labels/office.jsonl",), labelled_parts=("head",)), tmp_path)
    assert src.sequence.info.part_names == ("head",)  # eye losses masked out, not learned as background
    assert set(src.subject(1, 3).parts) == {"head"}


def test_labelled_without_parts_is_skipped_by_the_detector_stage(tmp_path: Path) -> None:
    _labelled(tmp_path, "boxes.mp4", part_names=())
    dc = DataConfig(labelled=("labels/boxes.jsonl",), synthetic_clips=0)
    assert [s.kind for s in load_sources(dc, tmp_path)] == ["labelled"]
    with pytest.raises(ConfigError, match="no training data"):
        load_sources(dc, tmp_path, need_parts=True)


def test_labels_of_the_held_out_clip_are_refused(tmp_path: Path) -> None:
    _labelled(tmp_path, "clip_f0249_n149.mp4", name="street")  # only its video names the clip
    with pytest.raises(ConfigError, match="held out"):
        load_sources(DataConfig(labelled=("labels/street.jsonl",)), tmp_path)


def test_data_config_rejects_bad_labelled_values() -> None:
    with pytest.raises(ValueError, match="labelled_scale"):
        DataConfig(labelled_scale=0.0)
    with pytest.raises(ValueError, match="mixing weights"):
        DataConfig(mix_labelled=-1.0)
