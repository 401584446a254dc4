"""Drawing helpers for looking at annotations and results: boxes on a frame, contact sheets.

Colours (BGR): the chosen subject's box is green and thicker, other people get a colour
from their id; ``head`` boxes are cyan, ``eye`` boxes magenta, any other part yellow; a part
flagged ``visible=False`` (occluded) is drawn grey and dashed; an absent part (None) is not
drawn.

Example::

    from parttrack.viz.draw import contact_sheet, draw_annotations

    tiles = [draw_annotations(img, seq.frames[t], seq.subject_id) for t, img in shown]
    sheet = contact_sheet(tiles, cols=4, labels=[f"t={t}" for t, _ in shown])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH, FrameAnnotation

SUBJECT_COLOR = (0, 220, 0)
PART_COLORS = {"head": (255, 255, 0), "eye": (255, 0, 255)}
OTHER_PART_COLOR = (0, 255, 255)
HIDDEN_COLOR = (160, 160, 160)
_ID_COLORS = ((60, 60, 230), (230, 130, 40), (40, 170, 230), (200, 80, 200), (90, 200, 200),
              (40, 90, 170), (230, 200, 90), (120, 120, 255))
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def id_color(subject_id: int) -> tuple[int, int, int]:
    """A stable BGR colour for a non-subject id (never the subject's green)."""
    return _ID_COLORS[subject_id % len(_ID_COLORS)]


def _as_bgr(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {img.dtype}")
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 3:
        return img.copy()
    raise ValueError(f"image must be (H, W) or (H, W, 3), got {img.shape}")


def _corners(box: BoxXYWH) -> tuple[tuple[int, int], tuple[int, int]]:
    x, y, w, h = box
    return (int(math.floor(x)), int(math.floor(y))), (int(math.ceil(x + w)) - 1, int(math.ceil(y + h)) - 1)


def draw_box(image: np.ndarray, box: BoxXYWH, color: tuple[int, int, int], thickness: int = 1,
             dashed: bool = False) -> None:
    """Draw an ``(x, y, w, h)`` box (pixels) on ``image`` in place: its outline covers the
    pixel columns ``floor(x) .. ceil(x + w) - 1`` and rows likewise."""
    p, q = _corners(box)
    if not dashed:
        cv2.rectangle(image, p, q, color, thickness)
        return
    dash = 3
    for (a, b) in (((p[0], p[1]), (q[0], p[1])), ((q[0], p[1]), (q[0], q[1])),
                   ((q[0], q[1]), (p[0], q[1])), ((p[0], q[1]), (p[0], p[1]))):
        n = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1])) // dash)
        for k in range(0, n, 2):
            s, e = k / n, min(1.0, (k + 1) / n)
            cv2.line(image, (round(a[0] + (b[0] - a[0]) * s), round(a[1] + (b[1] - a[1]) * s)),
                     (round(a[0] + (b[0] - a[0]) * e), round(a[1] + (b[1] - a[1]) * e)), color, thickness)


def draw_annotations(image: np.ndarray, frame_annotation: FrameAnnotation, subject_id: int | None = None,
                     labels: bool = True) -> np.ndarray:
    """Draw one frame's subject boxes and part boxes on a copy of ``image``.

    Args:
        image: ``(H, W, 3)`` or ``(H, W)`` uint8 (BGR); not modified.
        frame_annotation: the frame's subjects (boxes in pixels of ``image``).
        subject_id: the chosen subject, drawn green and 2 px thick (others 1 px).
        labels: write each id above its box.

    Returns:
        ``(H, W, 3)`` uint8 BGR copy with the boxes drawn.
    """
    out = _as_bgr(image)
    for s in frame_annotation.subjects:
        chosen = subject_id is not None and s.id == subject_id
        color = SUBJECT_COLOR if chosen else id_color(s.id)
        draw_box(out, s.box, color, 2 if chosen else 1)
        for name, part in s.parts.items():
            if part is None:
                continue
            pc = PART_COLORS.get(name, OTHER_PART_COLOR) if part.visible else HIDDEN_COLOR
            draw_box(out, part.box, pc, 1, dashed=not part.visible)
        if labels:
            (x, y), _ = _corners(s.box)
            cv2.putText(out, str(s.id), (x, max(8, y - 2)), _FONT, 0.32, color, 1, cv2.LINE_AA)
    return out


def contact_sheet(images: Sequence[np.ndarray], cols: int, labels: Sequence[str] | None = None,
                  pad: int = 2, background: tuple[int, int, int] = (32, 32, 32)) -> np.ndarray:
    """Tile images on a grid, row by row, each resized to the first image's size.

    Args:
        images: ``(H, W, 3)`` or ``(H, W)`` uint8 images (at least one).
        cols: tiles per row (>= 1; fewer when there are fewer images).
        labels: one caption per image, written in a 14 px band above its tile.
        pad: pixels between tiles and around the sheet.

    Returns:
        ``(rows * (H + band + pad) + pad, c * (W + pad) + pad, 3)`` uint8 BGR, where
        ``c = min(cols, len(images))``, ``rows = ceil(len(images) / c)`` and ``band`` is 14
        with labels, else 0.

    Raises:
        ValueError: no images, ``cols < 1`` or a label count that differs from the images.
    """
    if len(images) == 0:
        raise ValueError("contact_sheet needs at least one image")
    if cols < 1:
        raise ValueError(f"cols must be >= 1, got {cols}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"labels has {len(labels)} entries for {len(images)} images")
    tiles = [_as_bgr(im) for im in images]
    h, w = tiles[0].shape[:2]
    band = 14 if labels is not None else 0
    cols = min(cols, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    sheet = np.empty((rows * (h + band + pad) + pad, cols * (w + pad) + pad, 3), np.uint8)
    sheet[:] = background
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        x, y = pad + c * (w + pad), pad + r * (h + band + pad)
        if tile.shape[:2] != (h, w):
            tile = cv2.resize(tile, (w, h), interpolation=cv2.INTER_AREA)
        sheet[y + band : y + band + h, x : x + w] = tile
        if labels is not None:
            cv2.putText(sheet, labels[k], (x + 2, y + band - 4), _FONT, 0.35, (235, 235, 235), 1, cv2.LINE_AA)
    return sheet
