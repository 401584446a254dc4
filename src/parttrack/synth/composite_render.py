"""Pure pieces of the real-person composites: soft masks, exact pasting, visibility, recolouring.

Every function here works on small arrays and has no I/O; :mod:`parttrack.synth.composite`
strings them together. Coordinates are continuous pixels: pixel ``i`` covers ``[i, i + 1)``,
boxes are ``(x, y, w, h)`` in that convention (as in :mod:`parttrack.data.types`), so a box
maps through a paste exactly by the same affine map as the image ([0028]-[0029]: the correct
answer data must sit on the pixels drawn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH

Affine = tuple[float, float, float, float]  # (sx, sy, tx, ty): X' = sx * X + tx, Y' = sy * Y + ty


def ellipse_mask(shape: tuple[int, int], box: BoxXYWH, feather: float) -> np.ndarray:
    """A soft ellipse inscribed in ``box``: 1 inside, falling to 0 over ``feather`` px.

    Args:
        shape: ``(H, W)`` of the mask.
        box: ``(x, y, w, h)`` pixels; the ellipse has semi-axes ``w/2``, ``h/2``.
        feather: width of the soft edge in pixels (>= 0; 0 = hard edge), straddling the
            ellipse outline.

    Returns:
        ``(H, W)`` float32 in [0, 1].
    """
    H, W = shape
    cx, cy = box[0] + box[2] / 2.0, box[1] + box[3] / 2.0
    ax, ay = max(box[2] / 2.0, 1e-3), max(box[3] / 2.0, 1e-3)
    xs = (np.arange(W, dtype=np.float32) + 0.5 - cx) / ax
    ys = (np.arange(H, dtype=np.float32) + 0.5 - cy) / ay
    r = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)  # 1 on the outline
    dist = (r - 1.0) * min(ax, ay)  # ~ pixels outside the outline (negative inside)
    if feather <= 0:
        return (dist <= 0).astype(np.float32)
    return np.clip(0.5 - dist / feather, 0.0, 1.0).astype(np.float32)


def fill_holes(solid: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: ``solid`` with every region not connected to the border filled."""
    H, W = solid.shape
    pad = np.zeros((H + 2, W + 2), np.uint8)
    pad[1:-1, 1:-1] = solid
    flood = pad.copy()
    cv2.floodFill(flood, np.zeros((H + 4, W + 4), np.uint8), (0, 0), 2)
    return (flood[1:-1, 1:-1] != 2)


def foreground_mask(crop: np.ndarray, background: np.ndarray, body: BoxXYWH, head: BoxXYWH | None = None,
                    low: float = 14.0, high: float = 34.0) -> np.ndarray:
    """Soft mask of the person in a cut: background difference, holes closed and filled, a
    core (torso, and head when its box is known) always kept, bounded by an ellipse around the
    body box, edges feathered.

    Args:
        crop: ``(H, W, 3)`` uint8 BGR cut from a video frame.
        background: ``(H, W, 3)`` uint8 BGR, the same region of the clip's temporal median.
        body: the person's body box in crop pixels.
        head: the head box in crop pixels, or None.
        low, high: colour difference (max over channels, 0-255) mapped to 0 and 1.

    Returns:
        ``(H, W)`` float32 alpha in [0, 1].

    Raises:
        ValueError: crop and background differ in shape.
    """
    if crop.shape != background.shape or crop.ndim != 3:
        raise ValueError(f"crop {crop.shape} and background {background.shape} must be equal (H, W, 3)")
    H, W = crop.shape[:2]
    x, y, w, h = body
    bh = max(h, 1.0)
    diff = np.abs(crop.astype(np.int16) - background.astype(np.int16)).max(axis=2).astype(np.float32)
    diff = cv2.GaussianBlur(diff, (0, 0), max(0.6, 0.008 * bh))
    fg = np.clip((diff - low) / (high - low), 0.0, 1.0)
    k = max(3, int(round(0.07 * bh)) | 1)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # a torso core (and the head) stay opaque where the person matches the street's colour
    core = ellipse_mask((H, W), (x + 0.27 * w, y + 0.14 * h, 0.46 * w, 0.5 * h), 0.0)
    if head is not None:
        core = np.maximum(core, ellipse_mask((H, W), (head[0] + 0.1 * head[2], head[1] + 0.1 * head[3],
                                                      0.8 * head[2], 0.8 * head[3]), 0.0))
    fg = np.maximum(fg, core)
    fg = np.maximum(fg, fill_holes(fg >= 0.5).astype(np.float32))
    # the body box is loose (Town Centre widths ~0.37 body heights): an ellipse a bit wider
    # than the box bounds the person, the background difference does the fine shape
    outer = ellipse_mask((H, W), (x - 0.08 * w, y - 0.02 * h, 1.16 * w, 1.05 * h), 0.03 * bh)
    alpha = cv2.GaussianBlur(fg * outer, (0, 0), max(0.5, 0.006 * bh))
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def map_box(box: BoxXYWH, affine: Affine) -> BoxXYWH:
    """Map an ``(x, y, w, h)`` box through ``X' = sx X + tx, Y' = sy Y + ty`` (``sx < 0``
    mirrors): the image of the box's two corners, re-ordered. Exact, no rounding."""
    sx, sy, tx, ty = affine
    xa, xb = sx * box[0] + tx, sx * (box[0] + box[2]) + tx
    ya, yb = sy * box[1] + ty, sy * (box[1] + box[3]) + ty
    return min(xa, xb), min(ya, yb), abs(xb - xa), abs(yb - ya)


def foot_affine(body: BoxXYWH, foot: tuple[float, float], height: float, mirror: bool) -> Affine:
    """The affine map that stands a cut person's body box on ``foot`` with body ``height``.

    Args:
        body: body box in the cut's pixels; its bottom centre is the foot point.
        foot: ``(u, v)`` target foot point, pixels.
        height: target body-box height, pixels (> 0).
        mirror: flip left-right (about the foot point).

    Returns:
        ``(sx, sy, tx, ty)`` with ``map_box(body, a) == (u - s w/2, v - height, s w, height)``.
    """
    s = height / body[3]
    fx, fy = body[0] + body[2] / 2.0, body[1] + body[3]
    sx = -s if mirror else s
    return sx, s, foot[0] - sx * fx, foot[1] - s * fy


@dataclass
class Pasted:
    """One person pasted into a frame: where and what it covers.

    Attributes:
        x0, y0: top-left pixel of the patch in frame pixels (may be negative).
        alpha: ``(h, w)`` float32 warped soft mask (whole patch, also the part off-frame).
    """

    x0: int
    y0: int
    alpha: np.ndarray

    def solid(self) -> np.ndarray:
        """``(h, w)`` bool: the pixels that belong to the person (alpha >= 0.5)."""
        return self.alpha >= 0.5


def paste(canvas: np.ndarray, crop: np.ndarray, alpha: np.ndarray, affine: Affine,
          gain: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> Pasted:
    """Warp a cut (image + soft mask) by ``affine`` and alpha-blend it onto ``canvas`` in place.

    Args:
        canvas: ``(H, W, 3)`` uint8 BGR frame, modified in place.
        crop: ``(h, w, 3)`` uint8 BGR cut; alpha: ``(h, w)`` float32 in [0, 1].
        affine: ``(sx, sy, tx, ty)`` in continuous pixel coordinates (see :func:`map_box`).
        gain: per-channel BGR multiplier applied to the cut (colour matching to the scene).

    Returns:
        :class:`Pasted` with the warped mask over the cut's whole image rectangle (parts
        outside the canvas kept, so visible fractions can count them as hidden).
    """
    sx, sy, tx, ty = affine
    x0, y0, wb, hb = map_box((0.0, 0.0, float(crop.shape[1]), float(crop.shape[0])), affine)
    px0, py0 = int(math.floor(x0)), int(math.floor(y0))
    pw, ph = max(1, int(math.ceil(x0 + wb)) - px0), max(1, int(math.ceil(y0 + hb)) - py0)
    # pixel centres: x'_pix + 0.5 = sx (x_pix + 0.5) + tx, then shift to the patch origin
    m = np.array([[sx, 0.0, 0.5 * sx + tx - 0.5 - px0], [0.0, sy, 0.5 * sy + ty - 0.5 - py0]], np.float64)
    a = cv2.warpAffine(alpha, m, (pw, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    H, W = canvas.shape[:2]
    cx0, cy0, cx1, cy1 = max(px0, 0), max(py0, 0), min(px0 + pw, W), min(py0 + ph, H)
    if cx1 > cx0 and cy1 > cy0:
        img = cv2.warpAffine(crop, m, (pw, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        sub_a = a[cy0 - py0 : cy1 - py0, cx0 - px0 : cx1 - px0, None]
        sub_i = img[cy0 - py0 : cy1 - py0, cx0 - px0 : cx1 - px0].astype(np.float32)
        if gain != (1.0, 1.0, 1.0):
            sub_i *= np.asarray(gain, np.float32)
        roi = canvas[cy0:cy1, cx0:cx1]
        out = roi.astype(np.float32) * (1.0 - sub_a) + sub_i * sub_a
        roi[:] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return Pasted(px0, py0, a)


def paint_labels(labels: np.ndarray, p: Pasted, label: int) -> None:
    """Write ``label`` into the ``(H, W)`` label buffer where ``p`` is solid (nearer people
    are pasted later and overwrite whom they hide)."""
    H, W = labels.shape
    solid = p.solid()
    x0, y0, x1, y1 = max(p.x0, 0), max(p.y0, 0), min(p.x0 + solid.shape[1], W), min(p.y0 + solid.shape[0], H)
    if x1 > x0 and y1 > y0:
        labels[y0:y1, x0:x1][solid[y0 - p.y0 : y1 - p.y0, x0 - p.x0 : x1 - p.x0]] = label


def visible_fraction(labels: np.ndarray, p: Pasted, label: int, region: BoxXYWH | None = None) -> float:
    """Fraction of a pasted person's solid pixels still showing after every nearer person
    was painted (pixels off the frame count as hidden).

    Args:
        labels: ``(H, W)`` label buffer after all people were painted in depth order.
        p: the person's paste; label: its value in ``labels``.
        region: count only solid pixels whose centres lie in this frame-pixel box (e.g. the
            head box); None = the whole body.

    Returns:
        In [0, 1]; 0.0 when the person has no solid pixel (in ``region``).
    """
    solid = p.solid()
    if region is not None:
        h, w = solid.shape
        xs = np.arange(w) + p.x0 + 0.5
        ys = np.arange(h) + p.y0 + 0.5
        inside = ((ys >= region[1]) & (ys < region[1] + region[3]))[:, None] & \
                 ((xs >= region[0]) & (xs < region[0] + region[2]))[None, :]
        solid = solid & inside
    total = int(np.count_nonzero(solid))
    if total == 0:
        return 0.0
    H, W = labels.shape
    x0, y0, x1, y1 = max(p.x0, 0), max(p.y0, 0), min(p.x0 + solid.shape[1], W), min(p.y0 + solid.shape[0], H)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    seen = (labels[y0:y1, x0:x1] == label) & solid[y0 - p.y0 : y1 - p.y0, x0 - p.x0 : x1 - p.x0]
    return min(1.0, int(np.count_nonzero(seen)) / total)


def recolour(image: np.ndarray, weight: np.ndarray, angle_deg: float, chroma: float = 0.0) -> np.ndarray:
    """Shift the hue of the weighted pixels (a look-alike in other clothes), keeping lightness.

    The CIELAB chroma plane ``(a, b)`` is rotated by ``angle_deg`` and pushed by ``chroma``
    along the new hue (so grey clothes take a colour too); ``L`` is untouched, so the
    luminance pattern (folds, shading, the walk) stays the person's own.

    Args:
        image: ``(H, W, 3)`` uint8 BGR.
        weight: ``(H, W)`` float in [0, 1]: how much each pixel is recoloured (the clothes).
        angle_deg: hue rotation, degrees.
        chroma: extra chroma (LAB units, 0-60) added along the rotated hue direction.

    Returns:
        ``(H, W, 3)`` uint8 BGR; LAB lightness within ~2 levels of the input's (where the
        new colour leaves the sRGB gamut the shift is halved, up to 3 times); pixels of
        weight 0 unchanged.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    a, b = lab[..., 1] - 128.0, lab[..., 2] - 128.0
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    ra, rb = c * a - s * b, s * a + c * b
    if chroma:
        ra += chroma * c
        rb += chroma * s
    w = np.clip(weight.astype(np.float32), 0.0, 1.0)
    for _ in range(4):  # a colour outside the sRGB gamut is clipped and changes lightness:
        new = lab.copy()  # halve the shift there until lightness holds
        new[..., 1] = np.clip(128.0 + a + w * (ra - a), 0, 255)
        new[..., 2] = np.clip(128.0 + b + w * (rb - b), 0, 255)
        out = cv2.cvtColor(np.round(new).astype(np.uint8), cv2.COLOR_LAB2BGR)
        drift = np.abs(cv2.cvtColor(out, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32) - lab[..., 0])
        if not (drift > 2).any():
            break
        w = np.where(drift > 2, 0.5 * w, w)
    keep = w <= 0
    out[keep] = image[keep]
    return out


def contact_shadow(canvas: np.ndarray, foot: tuple[float, float], height: float, strength: float = 0.22) -> None:
    """Darken a soft ellipse on the ground under a pasted person's feet (in place), so the
    person stands on the ground instead of floating."""
    u, v = foot
    ax, ay = 0.16 * height, 0.035 * height
    x0, y0 = int(math.floor(u - 1.5 * ax)), int(math.floor(v - 1.5 * ay))
    x1, y1 = int(math.ceil(u + 1.5 * ax)) + 1, int(math.ceil(v + 1.5 * ay)) + 1
    H, W = canvas.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    m = ellipse_mask((y1 - y0, x1 - x0), (u - ax - x0, v - ay - y0, 2 * ax, 2 * ay), max(1.0, 0.6 * ay))
    m = m[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0, None] * strength
    roi = canvas[cy0:cy1, cx0:cx1]
    roi[:] = (roi.astype(np.float32) * (1.0 - m) + 0.5).astype(np.uint8)
