"""Frame pixel helpers shared by the video reader and writer: any image -> ``(H, W, 3)`` uint8
BGR, and resizing."""

from __future__ import annotations

import cv2
import numpy as np


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Convert gray ``(H, W)`` / ``(H, W, 1)``, BGR or BGRA images to ``(H, W, 3)`` uint8 BGR.

    uint8 is kept as is, uint16 is scaled by 1/257, floats are read as [0, 1] and scaled by 255.

    Raises:
        ValueError: an image of another shape or dtype.
    """
    img = np.asarray(image)
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif np.issubdtype(img.dtype, np.floating):
        img = (np.clip(np.nan_to_num(img), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ValueError(f"image dtype must be uint8, uint16 or float, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.ndim == 3 and img.shape[2] == 3:
        return np.ascontiguousarray(img)
    raise ValueError(f"image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {img.shape}")


def resize_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``image`` to ``size = (W, H)`` (area filter when shrinking); no-op if equal."""
    h, w = image.shape[:2]
    if (w, h) == tuple(size):
        return image
    shrink = size[0] < w or size[1] < h
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
