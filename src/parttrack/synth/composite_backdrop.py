"""Backdrops of the real-person composites: a source clip's empty street at the output size,
with its ground-plane perspective, and the conversions that replay a walk under another camera.

Perspective model (flat ground, pinhole camera, no roll): a standing person's body-box height
is ``h = a * (v - v0)`` in image rows, ``a`` = person height / camera height; fitted per clip
to the annotated people. The focal length is not calibrated: ``FOCAL_PER_WIDTH`` x the image
width is assumed (a ~53 degree lens), which only scales how fast walking towards the camera
moves the feet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from parttrack.synth.composite_sources import Source

FOCAL_PER_WIDTH = 1.0  # assumed focal length / image width (a ~53 degree lens); no calibration


def fit_perspective(feet: np.ndarray, height: float) -> tuple[float, float]:
    """``(a, b)`` with body height ~ ``a * foot_row + b`` over ``(N, 2)`` ``(foot row, body
    height)`` pairs: least-squares slope (>= 0; 0 when fewer than 10 people or feet spread
    over < 10 % of ``height``), intercept the median residual (robust to odd boxes)."""
    if len(feet) >= 10 and np.ptp(feet[:, 0]) > 0.1 * height:
        a = max(float(np.polyfit(feet[:, 0], feet[:, 1], 1)[0]), 0.0)
        return a, float(np.median(feet[:, 1] - a * feet[:, 0]))
    return 0.0, float(np.median(feet[:, 1])) if len(feet) else 0.3 * height


def depth_speed(dv: float, height: float, a: float, focal: float) -> float:
    """Walking speed towards the camera, body heights per frame, from the foot's image motion.

    On flat ground seen by a pinhole camera, body height ``h = a (v - v0)`` with ``a`` the
    person's height over the camera's, and distance ``z = focal * H / h``; so a foot moving
    ``dv`` px per frame approaches by ``focal * a * dv / h**2`` body heights per frame.

    Args:
        dv: foot row change per frame, px (down = towards the camera).
        height: body height, px. a: perspective slope. focal: focal length, px.
    """
    return focal * a * dv / (height * height)


def foot_rate(speed: float, height: float, a: float, focal: float) -> float:
    """Inverse of :func:`depth_speed`: foot row change per frame (px) of a person walking
    ``speed`` body heights per frame towards the camera; 0 without perspective (``a == 0``)."""
    return 0.0 if a <= 0 or focal <= 0 else speed * height * height / (focal * a)


@dataclass(frozen=True)
class Backdrop:
    """A source's median at the output size, with its ground-plane perspective.

    Attributes:
        image: ``(H, W, 3)`` uint8 BGR.
        height_fit: ``(a, b)``: body height = ``a * foot_v + b`` output pixels (a least-squares
            fit to the clip's annotated people).
        foot_range: ``(lo, hi)`` foot rows where people were annotated (5-95 %), output px.
        focal: assumed focal length, output px (``FOCAL_PER_WIDTH`` x the source's width).
    """

    name: str
    image: np.ndarray
    height_fit: tuple[float, float]
    foot_range: tuple[float, float]
    mean_bgr: tuple[float, float, float]
    focal: float = 0.0

    def body_height(self, v: float) -> float:
        """Body-box height in output pixels of a person whose feet are at row ``v``."""
        H = self.image.shape[0]
        a, b = self.height_fit
        return float(np.clip(a * v + b, 0.08 * H, 0.8 * H))


def make_backdrop(src: Source, width: int, height: int) -> Backdrop:
    """Scale the source's median to cover ``width`` x ``height`` and crop it (vertically
    centred on where people were annotated), refitting the perspective in output pixels."""
    h0, w0 = src.median.shape[:2]
    s = max(width / w0, height / h0)
    sw, sh = max(width, round(w0 * s)), max(height, round(h0 * s))
    big = cv2.resize(src.median, (sw, sh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    ox = (sw - width) // 2
    if len(src.feet):
        mid = 0.5 * (np.percentile(src.tops, 5) + np.percentile(src.feet[:, 0], 95)) * s
    else:
        mid = sh / 2
    oy = int(np.clip(round(mid - height / 2), 0, sh - height))
    image = np.ascontiguousarray(big[oy : oy + height, ox : ox + width])
    feet = src.feet * s
    feet[:, 0] -= oy
    a, b = fit_perspective(feet, height)
    lo = float(np.clip(np.percentile(feet[:, 0], 5), 0, height)) if len(feet) else 0.5 * height
    hi = float(np.clip(np.percentile(feet[:, 0], 95), 0, height)) if len(feet) else height
    mean_bgr = tuple(float(v) for v in image.reshape(-1, 3).mean(axis=0))
    return Backdrop(src.name, image, (float(a), float(b)), (lo, hi), mean_bgr,  # type: ignore[arg-type]
                    FOCAL_PER_WIDTH * w0 * s)
