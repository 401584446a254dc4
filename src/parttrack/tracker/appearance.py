"""Appearance memory of the subject: colour histograms of its body box.

The Siamese template says "a person like this"; the memory says "this person": a
hue-saturation histogram of the body (Swain & Ballard 1991; compared with the Bhattacharyya
coefficient) taken on the first frame and kept for ever, plus a dynamic one refreshed only on
confident frames with no rival near the subject (the first/dynamic template pair of STARK,
Yan et al. ICCV 2021). Re-finding after a loss compares candidates against both. A
differently dressed passer-by scores low; a look-alike does not, which is why identity also
rests on motion (``kalman.py``) and on tracking the distractors (``identity.py``).
"""

from __future__ import annotations

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH

HIST_BINS = (16, 8)  # hue, saturation


def box_histogram(frame: np.ndarray, box: BoxXYWH, inner: float = 0.8) -> np.ndarray | None:
    """Normalised hue-saturation histogram ``(16, 8)`` float32 (sums to 1) of the central
    ``inner`` share of ``box`` ``(x, y, w, h)`` image px in ``frame`` ``(H, W, 3)`` uint8 BGR.
    None when less than 4x4 pixels of the box lie inside the frame. Large boxes are sampled
    every few pixels (the cost stays ~0.05 ms)."""
    H, W = frame.shape[:2]
    x, y, w, h = box
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, x1 = int(max(cx - w * inner / 2, 0)), int(min(cx + w * inner / 2, W))
    y0, y1 = int(max(cy - h * inner / 2, 0)), int(min(cy + h * inner / 2, H))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    step = max(1, int(np.sqrt((x1 - x0) * (y1 - y0) / 2048)))
    patch = np.ascontiguousarray(frame[y0:y1:step, x0:x1:step])
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    total = float(hist.sum())
    return hist / total if total > 0 else None


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya coefficient ``sum(sqrt(a * b))`` of two normalised histograms, in
    [0, 1] (1 = same colours). 0 when either is None (nothing to compare: no match)."""
    if a is None or b is None:
        return 0.0
    return float(np.sqrt(np.maximum(a, 0) * np.maximum(b, 0)).sum())


class AppearanceMemory:
    """The subject's first-frame histogram (kept for ever) and a dynamic one.

    Args:
        update_rate: blend weight of a new sample into the dynamic histogram, in (0, 1].
    """

    def __init__(self, update_rate: float = 0.2) -> None:
        if not 0 < update_rate <= 1:
            raise ValueError(f"update_rate must be in (0, 1], got {update_rate}")
        self.update_rate = update_rate
        self.first: np.ndarray | None = None
        self.dynamic: np.ndarray | None = None

    def reset(self, hist: np.ndarray | None) -> None:
        """Start from the first frame's histogram."""
        self.first = hist
        self.dynamic = None if hist is None else hist.copy()

    def update(self, hist: np.ndarray | None) -> None:
        """Blend a confident, rival-free sample into the dynamic histogram."""
        if hist is None:
            return
        if self.dynamic is None:
            self.dynamic = hist.copy()
        else:
            self.dynamic = (1 - self.update_rate) * self.dynamic + self.update_rate * hist

    def match(self, hist: np.ndarray | None) -> float:
        """Similarity of ``hist`` to the subject: the better of first and dynamic, [0, 1]."""
        if self.first is None:
            return 0.0
        return max(similarity(self.first, hist), similarity(self.dynamic, hist))
