"""The patent's FIG. 3 panels (parttrack.viz.panels)."""

import cv2
import numpy as np
import pytest

from parttrack.crop import CropWindow
from parttrack.tracker.result import TrackMaps, TrackResult
from parttrack.viz.panels import save_panel
from tests.viz.test_overlay import result


def _with_maps(parts=("head", "eye")) -> TrackResult:
    n, K = 32, len(parts)
    m = np.zeros((K, n, n), np.float32)
    m[:, 10, 20] = 0.9
    window = CropWindow(160.0, 120.0, 200.0, 128)
    z2 = np.zeros((2 * K, n, n), np.float32)
    maps = TrackMaps(
        search=np.full((128, 128, 3), 120, np.uint8), window=window, parts=parts, stride=4,
        part_heatmap=m, part_size=z2, part_offset=z2, subject_heatmap=np.zeros((1, n, n), np.float32),
        subject_size=z2[:2], subject_offset=z2[:2], part_region=np.full_like(m, 0.5), product=m * 0.5,
    )
    r = result()
    return TrackResult(r.frame, r.box, r.score, r.lost, {p: r.parts["head"] for p in parts}, {}, maps)


def test_panel_is_written_atomically_one_row_per_part(tmp_path):
    one = save_panel(tmp_path / "p" / "one.png", _with_maps(), parts=("eye",))
    two = save_panel(tmp_path / "p" / "two.png", _with_maps())
    a, b = cv2.imread(str(one)), cv2.imread(str(two))
    assert a.shape[1] == b.shape[1] == 1200 and b.shape[0] > 1.8 * a.shape[0]
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["one.png", "two.png"]
    with pytest.raises(ValueError, match="keep_maps=True"):
        save_panel(tmp_path / "x.png", result())
    assert not (tmp_path / "x.png").exists()
