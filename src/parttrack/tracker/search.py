"""Where to look and what was seen: search windows around the motion prediction, and the
subject candidates read from each window's maps, in image pixels.

While the subject is tracked one search region is centred on the Kalman prediction. After a
loss the search stays *at the subject's own scale* (a person far from the camera stays big
enough in the crop to be recognised) and spreads as a growing ring of windows of the same
size around the prediction, a few per frame in one batched network call, rather than one
ever-wider crop in which a person shrinks to a few pixels (the failure of SiamRPN-style
"global search" on large frames).
"""

from __future__ import annotations

import math

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH
from parttrack.tracker.candidates import local_maxima


def search_windows(
    box: BoxXYWH,
    frame_size: tuple[int, int],
    size: int,
    factor: float,
    context: float,
    unmatched: int = 0,
    ring_after: int = 3,
    ring_every: int = 2,
    max_windows: int = 9,
    spacing: float = 0.7,
) -> list[CropWindow]:
    """Search windows for this frame; the first is always centred on ``box``.

    Args:
        box: predicted subject box ``(x, y, w, h)`` image px.
        frame_size: ``(W, H)``.
        size: search crop side in crop px (the network input).
        factor: window side / the box's context side (``ModelConfig.search_factor``).
        context: SiamFC context amount.
        unmatched: frames the subject has gone unmatched.
        ring_after: frames of loss before the ring of windows starts.
        ring_every: frames per ring step; ring ``r`` is the ``(2r+1)^2`` grid.
        max_windows: at most this many windows per frame; a ring with more is visited in
            turns over successive frames (windows nearest the prediction first).
        spacing: distance between window centres, in window sides (< 1: they overlap).

    Returns:
        windows, each ``side`` image px (the same for all), centred in or near the frame.
    """
    centre = CropWindow.around(box, size, factor, context)
    if unmatched < ring_after or max_windows <= 1:
        return [centre]
    W, H = frame_size
    step = centre.side * spacing
    # rings needed to cover the frame from here; beyond that, keep sweeping the largest
    reach = max(centre.cx, W - centre.cx, centre.cy, H - centre.cy)
    r_max = max(1, math.ceil(reach / step))
    r = min(1 + (unmatched - ring_after) // max(ring_every, 1), r_max)
    others: list[tuple[float, CropWindow]] = []
    for j in range(-r, r + 1):
        for i in range(-r, r + 1):
            if i == 0 and j == 0:
                continue
            cx, cy = centre.cx + i * step, centre.cy + j * step
            half = centre.side / 2
            if cx + half < 0 or cx - half > W or cy + half < 0 or cy - half > H:
                continue  # entirely outside the frame
            others.append((math.hypot(i, j), CropWindow(cx, cy, centre.side, size)))
    others.sort(key=lambda t: t[0])
    n = max_windows - 1
    if len(others) > n:
        start = ((unmatched - ring_after) * n) % len(others)
        turn = (others + others)[start : start + n]
    else:
        turn = others
    return [centre] + [w for _, w in turn]


def window_candidates(
    heat: np.ndarray,
    size_map: np.ndarray,
    offset_map: np.ndarray,
    window: CropWindow,
    stride: int,
    k: int = 5,
    threshold: float = 0.1,
) -> np.ndarray:
    """Subject candidates of one window: the heatmap's local maxima as image boxes.

    Args:
        heat: subject heatmap ``(h, w)``; size_map, offset_map: ``(2, h, w)`` map elements.
        window: the search window the maps belong to.
        stride: crop px per map element.

    Returns:
        ``(N, 5)`` rows ``(cx, cy, w, h, score)`` image px, best first.
    """
    xs, ys, scores = local_maxima(heat, k, threshold)
    if len(xs) == 0:
        return np.zeros((0, 5))
    pts = np.stack([xs + offset_map[0, ys, xs], ys + offset_map[1, ys, xs]], axis=1)
    centres = window.map_to_image(pts, stride)
    wh = np.maximum(np.stack([size_map[0, ys, xs], size_map[1, ys, xs]], axis=1), 1e-3) * stride / window.scale
    return np.column_stack([centres, wh, scores.astype(np.float64)])


def merge_candidates(per_window: list[np.ndarray], min_dist: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of several windows as one list: where two lie closer than ``min_dist`` x the
    larger one's width, the higher-scoring one is kept (overlapping windows see a person
    twice).

    Returns:
        ``(cands (N, 5), origin (N,))``: rows best first and the window index of each.
    """
    if not per_window or not any(len(c) for c in per_window):
        return np.zeros((0, 5)), np.zeros(0, np.int64)
    rows = np.concatenate([c for c in per_window])
    origin = np.concatenate([np.full(len(c), i, np.int64) for i, c in enumerate(per_window)])
    order = np.argsort(-rows[:, 4], kind="stable")
    keep: list[int] = []
    for i in order:
        if all(math.hypot(rows[i, 0] - rows[j, 0], rows[i, 1] - rows[j, 1]) >= min_dist * max(rows[i, 2], rows[j, 2])
               for j in keep):
            keep.append(int(i))
    return rows[keep], origin[keep]


def row_box(row: np.ndarray) -> BoxXYWH:
    """A candidate row ``(cx, cy, w, h, ...)`` as a box ``(x, y, w, h)``."""
    cx, cy, w, h = (float(v) for v in row[:4])
    return cx - w / 2, cy - h / 2, w, h
