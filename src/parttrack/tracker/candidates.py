"""Subject candidates: every local maximum of the subject heatmap, not only the best one.

KeepTrack (Mayer et al., ICCV 2021) tracks the distractors too: each frame it takes the
top peaks of the target score map, associates them with the previous frame's, and keeps the
target's identity across them. This module extracts those peaks; ``identity.py`` associates
them. Heatmaps are in map elements (element ``(x, y)`` = column x, row y, [0040]).
"""

from __future__ import annotations

import cv2
import numpy as np


def local_maxima(
    heatmap: np.ndarray, k: int = 5, threshold: float = 0.1, radius: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of a ``(h, w)`` heatmap (CenterNet's max-pool equality), best first.

    An element is a maximum when it equals the maximum of its ``(2 radius + 1)^2``
    neighbourhood and is at least ``threshold``. Of equal neighbours (a plateau within
    ``radius``) the first in row-major order is kept.

    Args:
        heatmap: ``(h, w)`` float map.
        k: at most this many maxima.
        threshold: smallest value kept.
        radius: neighbourhood radius in elements (>= 1).

    Returns:
        ``(xs, ys, scores)``: int64 ``(n,)``, int64 ``(n,)``, float32 ``(n,)``, ``n <= k``,
        sorted by score, highest first.

    Raises:
        ValueError: heatmap not 2-D, ``k < 1`` or ``radius < 1``.
    """
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be (h, w), got shape {heatmap.shape}")
    if k < 1 or radius < 1:
        raise ValueError(f"k and radius must be >= 1, got k={k}, radius={radius}")
    m = np.ascontiguousarray(heatmap, dtype=np.float32)
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    dil = cv2.dilate(m, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=-np.inf)
    keep = (m == dil) & (m >= threshold)
    ys, xs = np.nonzero(keep)
    if len(xs) == 0:
        e = np.zeros(0, np.int64)
        return e, e.copy(), np.zeros(0, np.float32)
    # drop later elements of a plateau that lie next to an earlier kept one
    order = np.lexsort((xs, ys))
    xs, ys = xs[order], ys[order]
    sel: list[int] = []
    for i in range(len(xs)):
        if all(abs(xs[i] - xs[j]) > radius or abs(ys[i] - ys[j]) > radius or m[ys[i], xs[i]] != m[ys[j], xs[j]] for j in sel):
            sel.append(i)
    xs, ys = xs[sel], ys[sel]
    scores = m[ys, xs]
    best = np.argsort(-scores, kind="stable")[:k]
    return xs[best].astype(np.int64), ys[best].astype(np.int64), scores[best]


def refine_subcell(heatmap: np.ndarray, x: int, y: int) -> tuple[float, float]:
    """Sub-element offset of a peak by a 1-D parabola through it and its two neighbours on
    each axis (a steady point for a still subject). Returns ``(dx, dy)`` in ``[-0.5, 0.5]``;
    0 on an axis at the map border or where the curvature is not negative.

    Example: values ``[1, 3, 2]`` around x give ``dx = (2 - 1) / (2 (2*3 - 1 - 2)) = 1/6``.
    """
    h, w = heatmap.shape

    def axis(a: float, b: float, c: float) -> float:
        den = a - 2 * b + c
        if den >= 0:
            return 0.0
        return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))

    dx = axis(heatmap[y, x - 1], heatmap[y, x], heatmap[y, x + 1]) if 0 < x < w - 1 else 0.0
    dy = axis(heatmap[y - 1, x], heatmap[y, x], heatmap[y + 1, x]) if 0 < y < h - 1 else 0.0
    return dx, dy
