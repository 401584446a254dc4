"""Subject-heatmap candidates: local maxima and sub-cell refinement, exact values."""

import numpy as np
import pytest

from parttrack.tracker.candidates import local_maxima, refine_subcell


def test_local_maxima_best_first_threshold_and_k():
    m = np.zeros((8, 8), np.float32)
    m[2, 3], m[5, 6], m[0, 0], m[7, 1] = 0.9, 0.5, 0.05, 0.7
    xs, ys, s = local_maxima(m, k=5, threshold=0.1)
    assert xs.tolist() == [3, 1, 6] and ys.tolist() == [2, 7, 5]
    assert s.tolist() == pytest.approx([0.9, 0.7, 0.5])
    xs, _, _ = local_maxima(m, k=1, threshold=0.1)
    assert xs.tolist() == [3]


def test_plateau_gives_one_maximum():
    m = np.zeros((5, 5), np.float32)
    m[2, 1:3] = 0.5
    xs, ys, _ = local_maxima(m, threshold=0.1)
    assert list(zip(xs.tolist(), ys.tolist(), strict=True)) == [(1, 2)]


def test_empty_and_bad_input():
    xs, ys, s = local_maxima(np.zeros((4, 4), np.float32), threshold=0.1)
    assert len(xs) == len(ys) == len(s) == 0
    with pytest.raises(ValueError, match=r"\(h, w\)"):
        local_maxima(np.zeros((1, 4, 4)))


def test_refine_subcell_parabola():
    m = np.array([[0, 0, 0], [1, 3, 2], [0, 0, 0]], np.float32)
    dx, dy = refine_subcell(m, 1, 1)
    assert dx == pytest.approx(1 / 6) and dy == 0.0  # y: [0, 3, 0] symmetric
    assert refine_subcell(m, 0, 1) == (0.0, 0.0)  # border on x, flat column on y
