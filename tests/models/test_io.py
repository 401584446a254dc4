"""Weights files: round trip, and a CheckpointError naming the file for every bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from parttrack.config import to_dict
from parttrack.errors import CheckpointError
from parttrack.models import (
    ModelConfig,
    PartDetector,
    SiameseTracker,
    default_weights_path,
    load_weights,
    save_weights,
)
from parttrack.models.io import FORMAT, VERSION

CFG = ModelConfig(parts=("head", "eye"), width=8)


@pytest.fixture(scope="module")
def models() -> tuple[PartDetector, SiameseTracker]:
    torch.manual_seed(0)
    return PartDetector(CFG), SiameseTracker(CFG)


def payload(models: tuple[PartDetector, SiameseTracker], **changes: object) -> dict:
    det, trk = models
    p = {"format": FORMAT, "version": VERSION, "config": to_dict(CFG), "detector": det.state_dict(), "tracker": trk.state_dict(), "meta": {}}
    p.update(changes)
    return p


def test_round_trip(tmp_path: Path, models: tuple[PartDetector, SiameseTracker]) -> None:
    det, trk = models
    path = tmp_path / "w" / "m.pt"
    save_weights(path, CFG, det, trk, meta={"steps": 12, "data": ["tud"]})
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # atomic: no temp left
    w = load_weights(path, expect=CFG)
    assert w.config == CFG and w.meta == {"steps": 12, "data": ["tud"]}
    assert w.tracker is not None and not w.detector.training and not w.tracker.training
    for a, b in ((det, w.detector), (trk, w.tracker)):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_detector_only(tmp_path: Path, models: tuple[PartDetector, SiameseTracker]) -> None:
    path = tmp_path / "det.pt"
    save_weights(path, CFG, models[0])
    assert load_weights(path, need_tracker=False).tracker is None
    with pytest.raises(CheckpointError, match="no tracker"):
        load_weights(path)


def test_expect_other_config(tmp_path: Path, models: tuple[PartDetector, SiameseTracker]) -> None:
    path = tmp_path / "m.pt"
    save_weights(path, CFG, *models)
    with pytest.raises(CheckpointError, match="another model config"):
        load_weights(path, expect=ModelConfig(parts=("head",), width=8))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format": "something-else"}, "no 'parttrack-weights' format tag"),
        ({"version": VERSION + 1}, "newer than this parttrack reads"),
        ({"version": "1"}, "version"),
        ({"config": {"width": 8, "colour": 1}}, "bad model config"),
        ({"config": {"stride": 3}}, "bad model config"),
        ({"config": "width=8"}, "bad model config"),
        ({"config": to_dict(ModelConfig(parts=("head", "eye"), width=16))}, "do not fit their config"),
        ({"detector": {}}, "do not fit their config"),
        ({"detector": None}, "do not fit their config"),
        ({"tracker": {"x": torch.zeros(1)}}, "do not fit their config"),
    ],
)
def test_bad_payload(tmp_path: Path, models: tuple[PartDetector, SiameseTracker], change: dict, match: str) -> None:
    path = tmp_path / "bad.pt"
    torch.save(payload(models, **change), path)
    with pytest.raises(CheckpointError, match=match) as e:
        load_weights(path)
    assert e.value.path == str(path) and "\n" not in str(e.value)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04garbage"])
def test_not_a_checkpoint(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a parttrack weights file") as e:
        load_weights(path)
    assert e.value.path == str(path)


def test_other_objects(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="format tag"):
        load_weights(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="weights file not found"):
        load_weights(tmp_path / "none.pt")


def test_default_weights_path() -> None:
    p = default_weights_path()
    assert p.parts[-3:] == ("parttrack", "weights", "parttrack.pt")
