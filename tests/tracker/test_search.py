"""Search windows and image-space candidates (exact geometry)."""

import numpy as np
import pytest

from parttrack.crop import CropWindow
from parttrack.tracker.search import merge_candidates, search_windows, window_candidates


def test_tracked_subject_gets_one_window_at_its_scale():
    (w,) = search_windows((100, 100, 40, 100), (640, 480), 128, 2.0, 0.5)
    assert w == CropWindow.around((100, 100, 40, 100), 128, 2.0, 0.5)


def test_lost_subject_gets_a_ring_of_same_size_windows_visited_in_turns():
    box = (300, 190, 40, 100)
    first = search_windows(box, (640, 480), 128, 2.0, 0.5, unmatched=2)
    assert len(first) == 1
    ring = search_windows(box, (640, 480), 128, 2.0, 0.5, unmatched=3, max_windows=5)
    assert len(ring) == 5 and len({w.side for w in ring}) == 1
    assert ring[0].cx == pytest.approx(320) and ring[0].cy == pytest.approx(240)
    later = search_windows(box, (640, 480), 128, 2.0, 0.5, unmatched=4, max_windows=5)
    assert {(w.cx, w.cy) for w in ring[1:]} != {(w.cx, w.cy) for w in later[1:]}


def test_window_candidates_map_to_image():
    heat = np.zeros((32, 32), np.float32)
    heat[16, 8] = 0.9
    size = np.zeros((2, 32, 32), np.float32)
    size[:, 16, 8] = (4.0, 8.0)
    off = np.zeros((2, 32, 32), np.float32)
    off[:, 16, 8] = (0.5, 0.25)
    win = CropWindow(200.0, 100.0, 256.0, 128)  # 2 image px per crop px
    (row,) = window_candidates(heat, size, off, win, stride=4)
    # crop point (8.5 * 4, 16.25 * 4) = (34, 65) -> image 200 + (34 - 64) * 2, 100 + (65 - 64) * 2
    assert row.tolist() == pytest.approx([140.0, 102.0, 32.0, 64.0, 0.9])


def test_merge_keeps_best_of_duplicates():
    a = np.array([[100.0, 100.0, 40.0, 100.0, 0.8]])
    b = np.array([[110.0, 100.0, 40.0, 100.0, 0.9], [300.0, 100.0, 40.0, 100.0, 0.5]])
    rows, origin = merge_candidates([a, b])
    assert rows[:, 0].tolist() == [110.0, 300.0] and origin.tolist() == [1, 1]
    rows, origin = merge_candidates([np.zeros((0, 5))])
    assert rows.shape == (0, 5) and origin.shape == (0,)
