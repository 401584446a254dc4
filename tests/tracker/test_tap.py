"""Tap-to-track geometry: body from head, which head a tap picks, loose-box refinement."""

import numpy as np
import pytest

from parttrack.tracker.tap import (
    BODY_PER_HEAD,
    body_from_head,
    choose_head,
    refine_loose_box,
    tap_windows,
)


def test_body_from_head_exact():
    x, y, w, h = body_from_head((90.0, 90.0, 20.0, 20.0))  # head centre (100, 100)
    assert (w, h) == (20 * BODY_PER_HEAD[0], 20 * BODY_PER_HEAD[1])
    assert x + 0.49 * w == pytest.approx(100.0) and y + 0.12 * h == pytest.approx(100.0)


def test_tap_on_body_picks_that_person_not_the_neighbour():
    heads = np.array([[100.0, 100.0, 20.0, 20.0, 0.9], [170.0, 100.0, 20.0, 20.0, 0.9]])
    assert choose_head(heads, (100.0, 180.0)) == 0  # on A's belly
    assert choose_head(heads, (172.0, 230.0)) == 1  # on B's legs
    assert choose_head(heads, (100.0, 100.0)) == 0  # on A's head
    assert choose_head(heads, (400.0, 400.0)) is None  # nobody there
    assert choose_head(heads * [1, 1, 1, 1, 0.1], (100.0, 180.0)) is None  # weak heads


def test_tap_windows_scales():
    ws = tap_windows((320.0, 240.0), (640, 480), 128)
    assert [w.side for w in ws] == [60.0, 120.0, 240.0, 480.0]
    assert ws[0].cy == pytest.approx(240.0 - 15.0)


def test_loose_box_refined_to_the_person_inside():
    heads = np.array([[100.0, 100.0, 20.0, 20.0, 0.9]])
    body = body_from_head((90.0, 90.0, 20.0, 20.0))
    cx, cy = body[0] + body[2] / 2, body[1] + body[3] / 2
    loose = (cx - body[2], cy - body[3], 2 * body[2], 2 * body[3])  # 2x the person
    assert refine_loose_box(heads, loose) == pytest.approx(body)
    assert refine_loose_box(heads, body) == body  # a tight box stays
    assert refine_loose_box(np.zeros((0, 5)), loose) == loose
