"""Square crops around a subject, and the mapping between crop and image coordinates.

Training and inference use the same geometry, so a map element means the same image place
in both. A :class:`CropWindow` is a square of ``side`` image pixels centred on ``(cx, cy)``;
warped to ``size`` x ``size`` crop pixels with one OpenCV affine warp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.maps import image_to_map, map_to_image


def context_side(box: BoxXYWH, context: float = 0.5) -> float:
    """SiamFC context size: ``sqrt((w + p) * (h + p))`` with ``p = context * (w + h)``.

    This is the image side a template of the subject covers.
    """
    w, h = box[2], box[3]
    p = context * (w + h)
    return math.sqrt((w + p) * (h + p))


def mean_colour(frame: np.ndarray) -> tuple[float, ...]:
    """The padding colour of crops of ``frame`` ``(H, W, C)``: the mean of ~4096 of its pixels
    (:meth:`CropWindow.warp`'s default; compute it once to warp several windows of a frame)."""
    m = frame.reshape(-1, frame.shape[-1])[:: max(1, frame.shape[0] * frame.shape[1] // 4096)].mean(0)
    return tuple(float(v) for v in m)


@dataclass(frozen=True)
class CropWindow:
    """A square image region ``side`` pixels wide centred on ``(cx, cy)``, seen at ``size``
    crop pixels. ``scale = size / side`` crop pixels per image pixel."""

    cx: float
    cy: float
    side: float
    size: int

    @property
    def scale(self) -> float:
        return self.size / self.side

    @classmethod
    def around(cls, box: BoxXYWH, size: int, factor: float = 1.0, context: float = 0.5) -> CropWindow:
        """Window centred on ``box`` covering ``factor`` x its context side."""
        cx, cy = box[0] + box[2] / 2.0, box[1] + box[3] / 2.0
        return cls(cx, cy, max(context_side(box, context) * factor, 1.0), size)

    def matrix(self) -> np.ndarray:
        """2x3 affine matrix image -> crop."""
        s = self.scale
        return np.array(
            [[s, 0.0, self.size / 2.0 - self.cx * s], [0.0, s, self.size / 2.0 - self.cy * s]],
            dtype=np.float64,
        )

    def warp(self, frame: np.ndarray, border_value: tuple[int, int, int] | None = None) -> np.ndarray:
        """Crop ``frame`` (H, W, 3 uint8) to ``(size, size, 3)``. Outside the frame is filled
        with the frame's mean colour (or ``border_value``)."""
        if border_value is None:
            border_value = mean_colour(frame)
        return cv2.warpAffine(
            frame,
            self.matrix(),
            (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=border_value,
        )

    def to_crop(self, pts: np.ndarray) -> np.ndarray:
        """Image ``(..., 2)`` points -> crop pixels."""
        pts = np.asarray(pts, dtype=np.float64)
        c = np.array([self.cx, self.cy])
        return (pts - c) * self.scale + self.size / 2.0

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """Crop ``(..., 2)`` pixels -> image points."""
        pts = np.asarray(pts, dtype=np.float64)
        c = np.array([self.cx, self.cy])
        return (pts - self.size / 2.0) / self.scale + c

    def box_to_crop(self, box: BoxXYWH) -> BoxXYWH:
        """Image box -> crop box."""
        x, y = self.to_crop(np.array([box[0], box[1]]))
        return float(x), float(y), box[2] * self.scale, box[3] * self.scale

    def box_to_image(self, box: BoxXYWH) -> BoxXYWH:
        """Crop box -> image box."""
        x, y = self.to_image(np.array([box[0], box[1]]))
        return float(x), float(y), box[2] / self.scale, box[3] / self.scale

    def map_to_image(self, pts: np.ndarray, stride: int) -> np.ndarray:
        """Map elements ``(..., 2)`` of this crop's maps -> image points
        (:func:`parttrack.maps.map_to_image`, [0060])."""
        pts = np.asarray(pts, dtype=np.float64)
        return map_to_image(pts, stride, np.array([self.cx, self.cy]), self.scale, self.size)

    def image_to_map(self, pts: np.ndarray, stride: int) -> np.ndarray:
        """Image points ``(..., 2)`` -> map elements of this crop (:func:`parttrack.maps.image_to_map`)."""
        pts = np.asarray(pts, dtype=np.float64)
        return image_to_map(pts, stride, np.array([self.cx, self.cy]), self.scale, self.size)

    def box_to_map(self, box: BoxXYWH, stride: int) -> BoxXYWH:
        """Image box -> box in this crop's map elements."""
        cb = self.box_to_crop(box)
        return cb[0] / stride, cb[1] / stride, cb[2] / stride, cb[3] / stride

    def map_box_to_image(self, box: BoxXYWH, stride: int) -> BoxXYWH:
        """Box in this crop's map elements -> image box."""
        x, y = self.map_to_image(np.array([box[0], box[1]]), stride)
        return float(x), float(y), box[2] * stride / self.scale, box[3] * stride / self.scale
