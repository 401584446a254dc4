"""Subject localisation on the subject maps (parttrack.tracker.locate): exact values."""

import numpy as np
import pytest

from parttrack.crop import CropWindow
from parttrack.tracker.locate import change, context_size, hann_window, locate_subject

N, STRIDE = 32, 4
WIN = CropWindow(160.0, 120.0, 128.0, 128)  # scale 1: crop px = image px - (96, 56)


def maps_with_peak(x: int, y: int, value: float, w: float, h: float):
    heat = np.zeros((N, N), np.float32)
    heat[y, x] = value
    size = np.zeros((2, N, N), np.float32)
    size[0], size[1] = w / STRIDE, h / STRIDE
    offset = np.zeros((2, N, N), np.float32)
    offset[:, y, x] = (0.5, -0.25)
    return heat, size, offset


def test_hann_window_and_size_measures():
    hw = hann_window(4)
    assert hw.shape == (4, 4) and hw.dtype == np.float32 and hw[0, 0] == 0.0
    assert np.unravel_index(int(np.argmax(hann_window(N))), (N, N)) == (N // 2, N // 2)
    assert context_size(30.0, 90.0) == pytest.approx(np.sqrt(90.0 * 150.0))
    np.testing.assert_array_equal(change(np.array([0.5, 2.0, 1.0])), [2.0, 2.0, 1.0])


def test_peak_plus_offset_mapped_through_the_crop():
    heat, size, offset = maps_with_peak(20, 10, 0.9, 30.0, 90.0)
    got = locate_subject(heat, size, offset, WIN, STRIDE, (30.0, 90.0), None, 0.0, 0.1, 0.4)
    cx, cy = (20.5 * 4 - 64) + 160.0, (9.75 * 4 - 64) + 120.0  # element -> crop px -> image
    assert got.box == pytest.approx((cx - 15.0, cy - 45.0, 30.0, 90.0))
    assert got.score == pytest.approx(0.9)
    assert got.size_rate == pytest.approx(0.9 * 0.4)  # same size: no penalty


def test_cosine_window_moves_the_choice_to_the_centre():
    heat, size, offset = maps_with_peak(2, 2, 0.6, 30.0, 90.0)
    heat[16, 16] = 0.5
    far = locate_subject(heat, size, offset, WIN, STRIDE, (30.0, 90.0), None, 0.0, 0.1, 0.4)
    near = locate_subject(heat, size, offset, WIN, STRIDE, (30.0, 90.0), hann_window(N), 0.3, 0.1, 0.4)
    assert far.score == pytest.approx(0.6) and near.score == pytest.approx(0.5)
