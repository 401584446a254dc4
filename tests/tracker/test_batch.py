"""CropBatch: windows of one frame through one backend call, with the size calibration."""

import numpy as np
import pytest

from parttrack.crop import CropWindow
from parttrack.models import ModelConfig
from parttrack.tracker.batch import CropBatch
from parttrack.tracker.config import TrackerConfig


class FixedMaps:
    """A backend whose maps are constants: subject size 10 everywhere."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def run(self, feat: np.ndarray, search: np.ndarray, outputs):  # noqa: ANN001, ANN201
        self.calls += 1
        B, n = search.shape[0], self.n
        out = {name: np.zeros((B, 4, n, n), np.float32) for name in outputs}
        out["subject_size"] = np.full((B, 2, n, n), 10.0, np.float32)
        return out


@pytest.mark.parametrize(("gain", "expected"), [(1.0, 10.0), (1.25, 12.5), (0.5, 5.0)])
def test_size_gain_scales_the_subject_size_map_exactly(gain: float, expected: float) -> None:
    m = ModelConfig()
    backend = FixedMaps(m.map_size)
    batch = CropBatch(backend, m, size_gain=gain)  # type: ignore[arg-type]
    frame = np.zeros((240, 320, 3), np.uint8)
    windows = [CropWindow(100.0, 100.0, 80.0, m.search_size), CropWindow(200.0, 120.0, 80.0, m.search_size)]
    maps = batch.run(frame, windows, np.zeros((1, 4, 2, 2), np.float32))
    assert backend.calls == 1 and len(maps) == 2
    for mp in maps:
        assert np.all(mp.subject_size == np.float32(expected))


@pytest.mark.parametrize(
    "kw", [{"size_gain": 0.4}, {"size_gain": 2.5}, {"identity_size_rate": 1.5}, {"refind_grace": -1}]
)
def test_tracker_config_rejects_bad_identity_knobs(kw: dict) -> None:
    with pytest.raises(ValueError):
        TrackerConfig(**kw)
