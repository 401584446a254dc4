"""Perturbation primitives and scoring for the real-clip robustness cases (issue 12).

Pure functions on ``(H, W, 3)`` uint8 BGR images and ``(x, y, w, h)`` pixel boxes; the cases
that combine them on Town Centre clips live in :mod:`parttrack.evaluation.robustness_cases`,
the script in ``benchmarks/robustness.py``. Each rebuilds a failure kind reported against
Siamese trackers (an occluding board, a subject leaving, a passer-by in front, camera motion,
a loose start box, a still subject) so the tracker's identity keeping ([0053]-[0062]) is
measured on real pixels.

Scoring (per frame): the predicted head point is a *hit* inside the subject's true head box,
a *hijack* inside another person's head box, a *miss* elsewhere and *none* when no point is
reported; frames where the subject is hidden or gone are scored by the absent flag instead.

Example::

    img = paint_board(frame, (100, 50, 40, 120), seed=3)      # opaque textured board
    counts = count_frames(preds, truth, range(1, len(truth)))
    print(rates(counts)["hit"])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH, box_contains

Point = tuple[float, float]
PixelRect = tuple[int, int, int, int]


# --- boxes ---------------------------------------------------------------------------------
def pixel_rect(box: BoxXYWH, width: int, height: int) -> PixelRect | None:
    """Integer pixel rectangle ``(x0, y0, x1, y1)`` (ends exclusive) of every pixel ``box``
    touches, clipped to a ``width`` x ``height`` frame; None when nothing is inside."""
    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(width, math.ceil(box[0] + box[2])), min(height, math.ceil(box[1] + box[3]))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def scale_box(box: BoxXYWH, fx: float, fy: float | None = None) -> BoxXYWH:
    """``box`` scaled by ``fx`` in width and ``fy`` (default ``fx``) in height about its centre."""
    fy = fx if fy is None else fy
    cx, cy = box[0] + box[2] / 2.0, box[1] + box[3] / 2.0
    w, h = box[2] * fx, box[3] * fy
    return cx - w / 2.0, cy - h / 2.0, w, h


def shift_box(box: BoxXYWH, dx: float, dy: float) -> BoxXYWH:
    """``box`` moved by ``(dx, dy)`` pixels."""
    return box[0] + dx, box[1] + dy, box[2], box[3]


def union_box(boxes: Iterable[BoxXYWH]) -> BoxXYWH:
    """Smallest box holding all ``boxes``. Raises ValueError when there are none."""
    bs = list(boxes)
    if not bs:
        raise ValueError("union_box needs at least one box")
    x0, y0 = min(b[0] for b in bs), min(b[1] for b in bs)
    x1, y1 = max(b[0] + b[2] for b in bs), max(b[1] + b[3] for b in bs)
    return x0, y0, x1 - x0, y1 - y0


def coverage(inner: BoxXYWH, outer: BoxXYWH) -> float:
    """Fraction of ``inner``'s area inside ``outer`` (0..1)."""
    iw = min(inner[0] + inner[2], outer[0] + outer[2]) - max(inner[0], outer[0])
    ih = min(inner[1] + inner[3], outer[1] + outer[3]) - max(inner[1], outer[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / (inner[2] * inner[3])


# --- image perturbations -------------------------------------------------------------------
def board_texture(height: int, width: int, seed: int) -> np.ndarray:
    """An opaque grey board with per-pixel noise (mean 110, sd 30), ``(height, width, 3)``
    uint8; the same ``seed`` and size give the same board."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(110.0, 30.0, size=(height, width, 1))
    tint = np.array([1.0, 0.97, 0.93])  # slightly warm grey
    return np.clip(noise * tint, 0, 255).astype(np.uint8)


def paint_board(image: np.ndarray, box: BoxXYWH, seed: int) -> np.ndarray:
    """A copy of ``image`` with a textured board over exactly :func:`pixel_rect` of ``box``
    (a fixed ``box`` and ``seed`` give the same board in every frame)."""
    out = image.copy()
    r = pixel_rect(box, image.shape[1], image.shape[0])
    if r is not None:
        x0, y0, x1, y1 = r
        out[y0:y1, x0:x1] = board_texture(y1 - y0, x1 - x0, seed)
    return out


def shift_image(image: np.ndarray, dx: int, dy: int, fill: int = 0) -> np.ndarray:
    """``image`` with its content moved by integer ``(dx, dy)`` pixels (a camera moving the
    other way); the uncovered border is ``fill``. Same shape as ``image``."""
    H, W = image.shape[:2]
    out = np.full_like(image, fill)
    if abs(dx) >= W or abs(dy) >= H:
        return out
    out[max(0, dy) : H + min(0, dy), max(0, dx) : W + min(0, dx)] = image[
        max(0, -dy) : H - max(0, dy), max(0, -dx) : W - max(0, dx)
    ]
    return out


def jump_offsets(n: int, at: int, dx: int, dy: int) -> np.ndarray:
    """Per-frame camera offsets ``(n, 2)`` int: 0 before frame ``at``, ``(dx, dy)`` from it on
    (one whole-picture jump between frames ``at - 1`` and ``at``)."""
    off = np.zeros((n, 2), np.int64)
    off[at:] = (dx, dy)
    return off


def shake_offsets(n: int, sigma: float, seed: int) -> np.ndarray:
    """Hand-held shake: independent Gaussian offsets ``(n, 2)`` int (rounded, sd ``sigma`` px)
    from ``seed``; frame 0 (the start frame) is not moved."""
    off = np.rint(np.random.default_rng(seed).normal(0.0, sigma, size=(n, 2))).astype(np.int64)
    off[0] = 0
    return off


def pan_offsets(n: int, start: int, frames: int, step_x: int, step_y: int = 0) -> np.ndarray:
    """A pan burst: the picture moves ``(step_x, step_y)`` px per frame for ``frames`` frames
    from ``start`` on and then stays; cumulative offsets ``(n, 2)`` int."""
    k = np.clip(np.arange(n) - start + 1, 0, frames)
    return np.stack([k * step_x, k * step_y], axis=1).astype(np.int64)


def median_background(images: Sequence[np.ndarray], step: int = 2, rows: int = 90) -> np.ndarray:
    """Per-pixel temporal median of ``images[::step]`` (walkers vanish from it), computed
    ``rows`` image rows at a time to bound memory. Returns ``(H, W, 3)`` uint8."""
    if not images:
        raise ValueError("median_background needs at least one image")
    picked = list(images[::step])
    H = picked[0].shape[0]
    out = np.empty_like(picked[0])
    for y in range(0, H, rows):
        stack = np.stack([im[y : y + rows] for im in picked])
        out[y : y + rows] = np.median(stack, axis=0).astype(np.uint8)
    return out


def paste_region(image: np.ndarray, source: np.ndarray, box: BoxXYWH) -> np.ndarray:
    """A copy of ``image`` whose :func:`pixel_rect` of ``box`` comes from ``source`` (same
    shape), e.g. a background plate that blanks a person."""
    out = image.copy()
    r = pixel_rect(box, image.shape[1], image.shape[0])
    if r is not None:
        x0, y0, x1, y1 = r
        out[y0:y1, x0:x1] = source[y0:y1, x0:x1]
    return out


def feather_mask(height: int, width: int, feather: int) -> np.ndarray:
    """Soft rectangle alpha ``(height, width)`` float32: 1 at least ``feather`` px inside the
    edge, ramping linearly to ``1 / (feather + 1)`` on the outermost pixels."""
    ys = np.minimum(np.arange(height), np.arange(height)[::-1])
    xs = np.minimum(np.arange(width), np.arange(width)[::-1])
    d = np.minimum(ys[:, None], xs[None, :]).astype(np.float32)
    return np.minimum(1.0, (d + 1.0) / (feather + 1.0)).astype(np.float32)


def paste_patch(image: np.ndarray, patch: np.ndarray, x: int, y: int, feather: int = 4) -> np.ndarray:
    """A copy of ``image`` with ``patch`` ``(h, w, 3)`` alpha-blended (:func:`feather_mask`)
    with its top-left at integer ``(x, y)``; parts outside the frame are dropped."""
    out = image.copy()
    H, W = image.shape[:2]
    h, w = patch.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return out
    a = feather_mask(h, w, feather)[y0 - y : y1 - y, x0 - x : x1 - x, None]
    src = patch[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    dst = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.rint(a * src + (1.0 - a) * dst).astype(np.uint8)
    return out


def recolour(patch: np.ndarray, from_row: int, hue_shift: int = 90, sat_gain: float = 1.6) -> np.ndarray:
    """Re-dress a person patch: rows ``>= from_row`` (below the head) get their hue rotated by
    ``hue_shift`` OpenCV units (0..179, i.e. 2 degrees each) and saturation times
    ``sat_gain``; the rows above are unchanged."""
    out = patch.copy()
    body = out[max(0, from_row) :]
    if body.size == 0:
        return out
    hsv = cv2.cvtColor(body, cv2.COLOR_BGR2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + hue_shift) % 180
    hsv[..., 1] = np.clip(np.rint(hsv[..., 1] * sat_gain), 0, 255)
    out[max(0, from_row) :] = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    return out


# --- ground truth and scoring --------------------------------------------------------------
@dataclass(frozen=True)
class FrameTruth:
    """What one (perturbed) frame shows, in its own pixels.

    Attributes:
        box: the subject's body box, or None when not annotated.
        head: the subject's head box, or None when not annotated.
        others: head boxes of every other visible person (pasted passers-by included).
        absent: the subject is hidden or gone; a good tracker says so and reports no part.
    """

    box: BoxXYWH | None
    head: BoxXYWH | None
    others: tuple[BoxXYWH, ...] = ()
    absent: bool = False


@dataclass(frozen=True)
class Prediction:
    """One frame of a method's output: head point and box (None when not reported) and
    whether it flags the subject lost/absent."""

    point: Point | None
    box: BoxXYWH | None
    absent: bool


def classify(point: Point | None, head: BoxXYWH | None, others: Iterable[BoxXYWH]) -> str:
    """``"hit"`` inside ``head``, else ``"hijack"`` inside any of ``others``, else ``"miss"``;
    ``"none"`` when no point is reported."""
    if point is None:
        return "none"
    if head is not None and box_contains(head, point):
        return "hit"
    if any(box_contains(o, point) for o in others):
        return "hijack"
    return "miss"


COUNT_KEYS = ("frames", "present", "hit", "hijack", "miss", "none", "false_absent",
              "expected_absent", "flagged_absent", "absent_found", "absent_hijack")


def count_frames(preds: Sequence[Prediction], truth: Sequence[FrameTruth], frames: Iterable[int]) -> dict[str, int]:
    """Counts over ``frames`` (indices into both lists): present frames (subject visible and
    its head annotated) by :func:`classify`, present frames flagged absent, expected-absent
    frames, frames flagged absent, both (``absent_found``), and expected-absent frames whose
    point lands on another person's head (``absent_hijack``). Sum counts over subjects,
    then :func:`rates`."""
    c = dict.fromkeys(COUNT_KEYS, 0)
    for i in frames:
        p, t = preds[i], truth[i]
        c["frames"] += 1
        c["flagged_absent"] += int(p.absent)
        if t.absent:
            c["expected_absent"] += 1
            c["absent_found"] += int(p.absent)
            c["absent_hijack"] += int(classify(p.point, None, t.others) == "hijack")
        elif t.head is not None:
            c["present"] += 1
            c[classify(p.point, t.head, t.others)] += 1
            c["false_absent"] += int(p.absent)
    return c


def add_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    """Key-wise sum of two :func:`count_frames` results."""
    return {k: a.get(k, 0) + b.get(k, 0) for k in COUNT_KEYS}


def _pct(n: int, d: int) -> float | None:
    return None if d == 0 else 100.0 * n / d


def rates(c: dict[str, int]) -> dict[str, float | None]:
    """Percentages from counts: hit / hijack / miss / none / false_absent of present frames,
    absent recall (found / expected), absent precision (found / flagged) and absent_hijack
    (of expected-absent frames); None where the denominator is 0."""
    return {
        "hit": _pct(c["hit"], c["present"]),
        "hijack": _pct(c["hijack"], c["present"]),
        "miss": _pct(c["miss"], c["present"]),
        "none": _pct(c["none"], c["present"]),
        "false_absent": _pct(c["false_absent"], c["present"]),
        "absent_recall": _pct(c["absent_found"], c["expected_absent"]),
        "absent_precision": _pct(c["absent_found"], c["flagged_absent"]),
        "absent_hijack": _pct(c["absent_hijack"], c["expected_absent"]),
    }


def steadiness(points: Sequence[Point | None], boxes: Sequence[BoxXYWH | None]) -> dict[str, float | None]:
    """Motion of the output on a still picture (it should not move), pixels:
    ``step_median`` / ``step_max`` of the head point between consecutive frames that both
    have one, ``point_spread`` = largest distance from the first point, and ``box_drift`` =
    largest distance of a box centre from the first box's centre."""
    steps = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False) if a is not None and b is not None]
    pts = [p for p in points if p is not None]
    centres = [(b[0] + b[2] / 2.0, b[1] + b[3] / 2.0) for b in boxes if b is not None]
    return {
        "step_median": float(np.median(steps)) if steps else None,
        "step_max": max(steps) if steps else None,
        "point_spread": max(math.dist(pts[0], p) for p in pts) if pts else None,
        "box_drift": max(math.dist(centres[0], c) for c in centres) if centres else None,
    }
