"""A light temporal filter for the reported points: the One-Euro filter.

Casiez, Roussel and Vogel, "1 Euro Filter: A Simple Speed-based Low-pass Filter for Noisy
Input in Interactive Systems", CHI 2012. A first-order low-pass filter whose cutoff rises with
the speed of the signal: a still subject's head point stays steady (low cutoff, little
jitter), a moving one is followed with little lag (high cutoff). Camera autofocus needs both.
"""

from __future__ import annotations

import math

import numpy as np

from parttrack.tracker.result import PartResult


def smoothing_factor(cutoff_hz: float, rate_hz: float) -> float:
    """``alpha = 1 / (1 + tau * rate)`` with ``tau = 1 / (2 pi cutoff)`` (CHI 2012, eq. 4).

    Example: cutoff 1 Hz at 2 pi Hz gives ``alpha = 1 / (1 + 1) = 0.5``.
    """
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * rate_hz)


class OneEuroFilter:
    """One-Euro filter of a point (any dimension), one sample per frame.

    Args:
        rate_hz: samples per second (the video's frame rate).
        min_cutoff_hz: cutoff at rest (lower = steadier, more lag).
        beta: cutoff increase (Hz) per unit of speed (``scale`` units/s; with the subject height
            as ``scale``, per height/s): higher = less lag when moving.
        d_cutoff_hz: cutoff of the speed estimate.

    Raises:
        ValueError: a non-positive rate or cutoff, or a negative beta.
    """

    def __init__(self, rate_hz: float = 25.0, min_cutoff_hz: float = 1.0, beta: float = 1.0,
                 d_cutoff_hz: float = 1.0) -> None:
        if rate_hz <= 0 or min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ValueError(
                f"rate_hz, min_cutoff_hz and d_cutoff_hz must be > 0 and beta >= 0, got "
                f"{rate_hz}, {min_cutoff_hz}, {d_cutoff_hz}, {beta}"
            )
        self.rate, self.min_cutoff, self.beta, self.d_cutoff = rate_hz, min_cutoff_hz, beta, d_cutoff_hz
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the past (the next sample passes through unchanged)."""
        self._x = self._dx = None

    def __call__(self, value: tuple[float, ...] | np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Filter one sample; returns the filtered value (float64 array of the same shape).

        Args:
            value: the raw point.
            scale: units per "unit" of ``beta`` (e.g. the subject height in pixels, so one set
                of parameters suits small and large subjects).
        """
        x = np.asarray(value, dtype=np.float64)
        if self._x is None:
            self._x, self._dx = x.copy(), np.zeros_like(x)
            return x.copy()
        dx = (x - self._x) * self.rate / max(scale, 1e-9)
        a_d = smoothing_factor(self.d_cutoff, self.rate)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * float(np.linalg.norm(self._dx))
        a = smoothing_factor(cutoff, self.rate)
        self._x = a * x + (1 - a) * self._x
        return self._x.copy()


def smooth_part(f: OneEuroFilter, part: PartResult, box: tuple[float, float, float, float]) -> PartResult:
    """``part`` steadied by ``f`` in the subject's own frame: the filter sees the part's
    offset from the subject box centre (nearly constant while a person walks), so a moving
    subject's part does not lag and a still one's does not jitter; the part box moves with
    its point. ``box``: the subject box ``(x, y, w, h)`` (its height scales ``beta``)."""
    cx, cy = box[0] + box[2] / 2.0, box[1] + box[3] / 2.0
    dx, dy = (float(v) for v in f((part.point[0] - cx, part.point[1] - cy), scale=max(box[3], 1.0)))
    sx, sy = cx + dx, cy + dy
    pb = part.box
    if pb is not None:
        pb = (pb[0] + sx - part.point[0], pb[1] + sy - part.point[1], pb[2], pb[3])
    return PartResult((sx, sy), pb, part.score)
