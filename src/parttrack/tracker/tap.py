"""Start from a tap: find the person at a tapped point, or the person inside a loose box.

Camera autofocus users tap a person; operators click one. The part detector (first model)
finds the heads around the point at a few scales; the person is the head whose body (sized
from the head, :data:`BODY_PER_HEAD`) contains the point, the nearest such head if several
do. A loosely drawn start box is refined the same way: to the body of the most central,
strongest head in its upper part.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH
from parttrack.errors import ParttrackError
from parttrack.tracker.decoders import PART_PRIORS
from parttrack.tracker.result import TrackMaps
from parttrack.tracker.search import merge_candidates, window_candidates

#: Body box size per head box size ``(w, h)``: medians of 1,325 head/body pairs of the
#: Town Centre training clip ``clip_fm004_n126`` (8.47 and 3.31; synthetic people are
#: squatter, so slightly lower values are used).
BODY_PER_HEAD = (3.0, 8.0)

#: Search window sides tried around a tap, as shares of the frame's shorter side.
TAP_SCALES = (0.125, 0.25, 0.5, 1.0)


def body_from_head(head: BoxXYWH) -> BoxXYWH:
    """The body box of a person whose head box is ``head`` (image px): sized by
    :data:`BODY_PER_HEAD`, the head centre at the head prior of ``PART_PRIORS``."""
    hx, hy = head[0] + head[2] / 2.0, head[1] + head[3] / 2.0
    s = max(head[2], head[3])
    w, h = s * BODY_PER_HEAD[0], s * BODY_PER_HEAD[1]
    rx, ry = PART_PRIORS["head"]
    return hx - rx * w, hy - ry * h, w, h


def tap_windows(point: tuple[float, float], frame_size: tuple[int, int], size: int) -> list[CropWindow]:
    """Windows of :data:`TAP_SCALES` around ``point`` (a quarter side above it: heads are
    above where people are tapped)."""
    side0 = float(min(frame_size))
    return [CropWindow(point[0], point[1] - side0 * s / 4, side0 * s, size) for s in TAP_SCALES]


def choose_head(heads: np.ndarray, point: tuple[float, float], min_score: float = 0.3) -> int | None:
    """Row of ``heads`` ``(N, 5)`` ``(cx, cy, w, h, score)`` image px whose body contains
    ``point``; of several, the one whose body centre is nearest the point. None if none."""
    best, best_d = None, np.inf
    px, py = point
    for i, (cx, cy, w, h, s) in enumerate(np.asarray(heads, dtype=np.float64).reshape(-1, 5)):
        if s < min_score:
            continue
        bx, by, bw, bh = body_from_head((cx - w / 2, cy - h / 2, w, h))
        if not (bx <= px <= bx + bw and by <= py <= by + bh):
            continue
        d = np.hypot((px - (bx + bw / 2)) / bw, (py - (by + bh / 2)) / bh)
        if d < best_d:
            best, best_d = i, d
    return best


def refine_loose_box(heads: np.ndarray, box: BoxXYWH, min_score: float = 0.3, max_area: float = 0.6) -> BoxXYWH:
    """A loosely drawn start box -> the body of the strongest head in its upper half
    nearest its centre line, when that body is clearly smaller (area < ``max_area`` of the
    box) and lies inside it; otherwise ``box`` unchanged."""
    x, y, w, h = box
    best, best_key = None, -np.inf
    for cx, cy, hw, hh, s in np.asarray(heads, dtype=np.float64).reshape(-1, 5):
        if s < min_score or not (x <= cx <= x + w and y <= cy <= y + h / 2):
            continue
        key = s - abs(cx - (x + w / 2)) / w
        if key > best_key:
            best, best_key = (cx - hw / 2, cy - hh / 2, hw, hh), key
    if best is None:
        return box
    body = body_from_head(best)
    inside = body[0] >= x - 0.1 * w and body[0] + body[2] <= x + 1.1 * w and body[1] + body[3] <= y + 1.1 * h
    if body[2] * body[3] < max_area * w * h and inside:
        return body
    return box


def heads_in(maps: TrackMaps, k: int = 10, threshold: float = 0.2) -> np.ndarray:
    """The part detector's heads in one crop's maps as image rows ``(cx, cy, w, h, score)``
    (up to ``k`` local maxima of the head likelihood at or above ``threshold``); the first
    part channel when the weights have no "head"."""
    c = maps.parts.index("head") if "head" in maps.parts else 0
    return window_candidates(
        maps.part_heatmap[c], maps.part_size[2 * c : 2 * c + 2], maps.part_offset[2 * c : 2 * c + 2],
        maps.window, maps.stride, k=k, threshold=threshold,
    )


def find_person(
    frame: np.ndarray, point: tuple[float, float], size: int, run: Callable[[list[CropWindow]], list[TrackMaps]]
) -> BoxXYWH:
    """The body box (image px) of the person at a tapped ``point`` ``(x, y)`` of ``frame``
    ``(H, W, 3)``: the heads of the :func:`tap_windows` (crop side ``size``) through ``run``
    (one batched network call -> each window's maps), the one :func:`choose_head` picks, its
    body by :func:`body_from_head`.

    Raises:
        ParttrackError: ``point`` outside the frame, or no person found there.
    """
    H, W = frame.shape[:2]
    px, py = (float(v) for v in point)
    if not (0 <= px < W and 0 <= py < H):
        raise ParttrackError(f"point ({px:g}, {py:g}) is outside the {W}x{H} frame")
    heads, _ = merge_candidates([heads_in(mp) for mp in run(tap_windows((px, py), (W, H), size))])
    i = choose_head(heads, (px, py))
    if i is None:
        raise ParttrackError(f"no person found at ({px:g}, {py:g}): tap on a person's head or body")
    cx, cy, w, h, _ = heads[i]
    return body_from_head((cx - w / 2, cy - h / 2, w, h))
