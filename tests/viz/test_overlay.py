"""Annotated frames (parttrack.viz.overlay)."""

import numpy as np
import pytest

from parttrack.tracker.result import PartResult, TrackResult
from parttrack.viz.overlay import (
    LOST_COLOR,
    PART_COLORS,
    SUBJECT_COLOR,
    Overlay,
    draw_result,
)

BG = (100, 100, 100)


def frame(h: int = 240, w: int = 320) -> np.ndarray:
    return np.full((h, w, 3), BG, np.uint8)


def result(i: int = 0, point=(60.0, 150.0), lost: bool = False) -> TrackResult:
    if lost:
        return TrackResult(i, None, 0.05, True, {"head": None}, {"head": "subject lost"})
    head = PartResult(point, (point[0] - 10, point[1] - 10, 20.0, 20.0), 0.7)
    return TrackResult(i, (100.0, 120.0, 60.0, 100.0), 0.9, False, {"head": head})


def near(img: np.ndarray, x: int, y: int, color, r: int = 1) -> bool:
    patch = img[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
    return bool((np.abs(patch.astype(int) - np.array(color)).sum(1) <= 60).any())


def test_overlay_draws_box_point_part_box_and_leaves_the_input():
    src = frame()
    img = draw_result(src, result(point=(130.0, 150.0)))
    assert (src == BG).all()  # input untouched
    assert near(img, 100, 170, SUBJECT_COLOR) and near(img, 160, 200, SUBJECT_COLOR)  # box edges
    assert near(img, 130, 150, PART_COLORS[0])  # the part cross
    assert near(img, 120, 145, PART_COLORS[0])  # the part box's left edge
    assert (img[60:100, 200:300] == BG).all()  # nothing elsewhere


def test_overlay_trail_and_lost_label():
    ov = Overlay(trail=5)
    src = frame()
    ov.draw(src, result(0, (20.0, 60.0)))
    img = ov.draw(src, result(1, (80.0, 60.0)))
    faded = tuple(int(v * 0.65) for v in PART_COLORS[0])  # older segment fades
    assert near(img, 50, 60, faded)
    lost = ov.draw(src, result(2, lost=True))
    assert near(lost, 50, 60, faded)  # the trail stays while lost
    top_left = lost[:40, :120].reshape(-1, 3)
    assert (np.abs(top_left.astype(int) - LOST_COLOR).sum(1) < 60).sum() > 50  # "LOST" text
    assert not near(lost, 100, 170, SUBJECT_COLOR)  # no subject box when lost
    with pytest.raises(ValueError, match="trail must be >= 0"):
        Overlay(trail=-1)


def test_several_subjects_on_one_frame_in_their_colours():
    import dataclasses

    from parttrack.viz.overlay import SUBJECT_COLORS

    ov = Overlay(trail=5)
    src = frame()
    a = result(0, (130.0, 150.0))
    b = dataclasses.replace(a, box=(200.0, 20.0, 60.0, 80.0), parts={"head": None}, subject=1)
    c = dataclasses.replace(result(0, lost=True), subject=2)
    img = ov.draw_many(src, [a, b, c])
    assert (src == BG).all()
    assert near(img, 100, 170, SUBJECT_COLORS[0]) and near(img, 200, 60, SUBJECT_COLORS[1])  # both boxes
    assert not near(img, 100, 170, SUBJECT_COLORS[1]) and not near(img, 200, 60, SUBJECT_COLORS[0])
    assert near(img, 130, 150, PART_COLORS[0])
    top_left = img[:40, :120].reshape(-1, 3)
    assert (np.abs(top_left.astype(int) - LOST_COLOR).sum(1) < 60).sum() > 50  # "LOST  #2"
    # one subject: exactly what draw gives (no id label)
    assert (Overlay().draw_many(src, [a]) == Overlay().draw(src, a)).all()
    # trails are per subject: subject 1's part does not continue subject 0's trail
    ov2 = Overlay(trail=5)
    ov2.draw_many(src, [result(0, (20.0, 60.0))])
    moved = dataclasses.replace(result(1, (80.0, 60.0)), subject=1)
    assert not near(ov2.draw_many(src, [moved]), 50, 60, tuple(int(v * 0.65) for v in PART_COLORS[0]))
