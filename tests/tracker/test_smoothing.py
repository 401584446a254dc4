"""One-Euro filter: exact smoothing factors and behaviour."""

import math

import numpy as np
import pytest

from parttrack.tracker.smoothing import OneEuroFilter, smoothing_factor


def test_smoothing_factor_exact():
    assert smoothing_factor(1.0, 2 * math.pi) == pytest.approx(0.5)


def test_first_sample_passes_then_low_pass_at_rest():
    f = OneEuroFilter(rate_hz=2 * math.pi, min_cutoff_hz=1.0, beta=0.0, d_cutoff_hz=1.0)
    assert f((0.0, 0.0)).tolist() == [0.0, 0.0]
    assert f((2.0, 4.0)).tolist() == pytest.approx([1.0, 2.0])  # alpha 0.5


def test_steadies_noise_and_follows_motion():
    rng = np.random.default_rng(0)
    still = OneEuroFilter()
    out = np.array([still(np.array([100.0, 100.0]) + rng.normal(0, 3, 2), scale=100.0) for _ in range(200)])
    assert out[50:].std(0).max() < 2.0  # raw noise 3 px
    moving = OneEuroFilter()
    for t in range(100):
        y = moving((4.0 * t, 0.0), scale=100.0)
    assert abs(y[0] - 4.0 * 99) < 8.0  # lag of about two frames, not seconds


def test_reset_and_bad_args():
    f = OneEuroFilter()
    f((1.0,))
    f.reset()
    assert f((5.0,)).tolist() == [5.0]
    with pytest.raises(ValueError, match="rate_hz"):
        OneEuroFilter(rate_hz=0)
