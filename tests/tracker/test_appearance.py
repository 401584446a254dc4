"""Appearance memory: colour histograms and their similarity."""

import numpy as np
import pytest

from parttrack.tracker.appearance import AppearanceMemory, box_histogram, similarity


def _frame():
    f = np.zeros((100, 200, 3), np.uint8)
    f[:, :100] = (0, 0, 255)  # red (BGR)
    f[:, 100:] = (255, 0, 0)  # blue
    return f


def test_histogram_sums_to_one_and_same_colour_is_similar():
    f = _frame()
    red1, red2, blue = (box_histogram(f, b) for b in ((10, 10, 30, 60), (50, 20, 30, 60), (120, 10, 30, 60)))
    assert red1.sum() == pytest.approx(1.0)
    assert similarity(red1, red2) == pytest.approx(1.0)
    assert similarity(red1, blue) == pytest.approx(0.0)


def test_box_off_frame_and_undecided():
    assert box_histogram(_frame(), (500, 500, 10, 10)) is None
    assert similarity(None, np.ones((16, 8)) / 128) == 0.0


def test_memory_keeps_first_and_blends_dynamic():
    f = _frame()
    red, blue = box_histogram(f, (10, 10, 30, 60)), box_histogram(f, (120, 10, 30, 60))
    mem = AppearanceMemory(update_rate=0.5)
    mem.reset(red)
    mem.update(blue)
    assert mem.match(red) == pytest.approx(1.0)  # the first histogram is kept
    assert mem.match(blue) == pytest.approx(np.sqrt(0.5))  # dynamic = half red, half blue
    with pytest.raises(ValueError, match="update_rate"):
        AppearanceMemory(update_rate=0)
