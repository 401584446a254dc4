"""Drawing synthetic people with cv2 primitives, and their silhouette masks.

A person is drawn at a foot point ``(u, v)`` (scene px), ``height`` px tall, facing ``yaw``
degrees (0 = facing the camera, +90 = facing image-right, 180 = away) at walking ``phase``.
Each primitive is drawn twice: anti-aliased in colour on the canvas, and as a label in a
patch-local mask (1 = body, 2 = head) from which visibility and boxes are computed.
Eyes are annotated (and drawn when the head is big enough) only where they face the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH

BGR = tuple[int, int, int]

TOPS: tuple[BGR, ...] = (
    (30, 30, 32), (55, 55, 60), (70, 42, 30), (118, 118, 124), (140, 170, 190), (40, 60, 92),
    (40, 40, 170), (52, 30, 110), (50, 92, 50), (60, 110, 110), (120, 52, 112), (212, 214, 218),
    (200, 160, 120), (40, 150, 200), (170, 140, 222), (140, 100, 60),
)
TROUSERS: tuple[BGR, ...] = (
    (100, 70, 45), (35, 35, 38), (90, 90, 95), (120, 160, 185), (45, 60, 80), (80, 50, 35),
)
SHOES: tuple[BGR, ...] = ((25, 25, 25), (30, 45, 60), (215, 215, 215), (90, 90, 90))
SKINS: tuple[BGR, ...] = (
    (180, 200, 235), (160, 185, 225), (130, 165, 210), (100, 135, 185), (70, 100, 150), (50, 70, 110),
)
HAIRS: tuple[BGR, ...] = (
    (25, 25, 30), (30, 45, 70), (45, 75, 115), (110, 170, 210), (150, 150, 155), (40, 70, 150),
)
EYE: BGR = (30, 25, 25)
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Appearance:
    """Colours (BGR) and style of one person; look-alikes share one Appearance."""

    top: BGR
    trousers: BGR
    shoes: BGR
    skin: BGR
    hair: BGR
    hair_long: bool = False
    hat: BGR | None = None
    coat_long: bool = False
    bag: BGR | None = None
    bag_side: int = 1
    build: float = 1.0  # width multiplier


def random_appearance(rng: np.random.Generator) -> Appearance:
    """Draw clothes, skin and hair from the palettes."""

    def pick(p: tuple[BGR, ...]) -> BGR:
        return p[int(rng.integers(len(p)))]

    return Appearance(
        top=pick(TOPS), trousers=pick(TROUSERS), shoes=pick(SHOES), skin=pick(SKINS),
        hair=pick(HAIRS), hair_long=bool(rng.random() < 0.3),
        hat=pick(TOPS) if rng.random() < 0.12 else None, coat_long=bool(rng.random() < 0.3),
        bag=pick(TOPS) if rng.random() < 0.3 else None, bag_side=int(rng.choice([-1, 1])),
        build=float(rng.uniform(0.9, 1.12)),
    )


@dataclass(frozen=True)
class Pose:
    """Where and how one person stands in one frame (scene px, degrees, radians)."""

    u: float
    v: float
    height: float
    yaw: float
    phase: float
    swing: float = 1.0  # 0 standing .. 1 full stride


@dataclass
class PersonRender:
    """What :func:`render_person` drew.

    Attributes:
        x0, y0: scene px of the mask patch's top-left corner.
        mask: ``(h, w)`` uint8 patch, 0 = background, 1 = body, 2 = head.
        body_box, head_box: ``(x, y, w, h)`` scene px (head box inside body box).
        eye_box: box around the centre of the visible eyes, or None when facing away.
    """

    x0: int
    y0: int
    mask: np.ndarray
    body_box: BoxXYWH
    head_box: BoxXYWH
    eye_box: BoxXYWH | None


class _Painter:
    """Draw a primitive in colour on the canvas and as a label in the local mask."""

    def __init__(self, canvas: np.ndarray, mask: np.ndarray, x0: int, y0: int) -> None:
        self.canvas, self.mask, self.x0, self.y0 = canvas, mask, x0, y0

    def _pt(self, x: float, y: float, local: bool) -> tuple[int, int]:
        if local:
            x, y = x - self.x0, y - self.y0
        return int(round(x * _ONE)), int(round(y * _ONE))

    def ellipse(self, c, axes, color, label=None, start=0, end=360) -> None:
        ax = (max(1, round(axes[0] * _ONE)), max(1, round(axes[1] * _ONE)))
        for local, img, col, aa in self._targets(color, label):
            cv2.ellipse(img, self._pt(c[0], c[1], local), ax, 0, start, end, col, -1, aa, _SHIFT)

    def line(self, p, q, thick: float, color, label=None) -> None:
        th = max(1, int(round(thick)))
        for local, img, col, aa in self._targets(color, label):
            cv2.line(img, self._pt(p[0], p[1], local), self._pt(q[0], q[1], local), col, th, aa, _SHIFT)

    def poly(self, pts, color, label=None) -> None:
        for local, img, col, aa in self._targets(color, label):
            a = np.array([self._pt(x, y, local) for x, y in pts], np.int32)
            cv2.fillConvexPoly(img, a, col, aa, _SHIFT)

    def _targets(self, color, label):
        yield False, self.canvas, color, cv2.LINE_AA
        if label is not None:
            yield True, self.mask, label, cv2.LINE_8


def _shade(c: BGR, f: float) -> BGR:
    return tuple(int(min(255, max(0, round(x * f)))) for x in c)  # type: ignore[return-value]


def eye_points(
    yaw: float, head_c: tuple[float, float], head_w: float, head_h: float
) -> list[tuple[float, float]]:
    """Image points of the eyes that face the camera (none when facing away: |yaw| >= 100)."""
    out = []
    for side in (-1.0, 1.0):
        ang = (yaw + side * 28.0 + 180.0) % 360.0 - 180.0
        if abs(ang) < 72.0:
            out.append((head_c[0] + 0.42 * head_w * math.sin(math.radians(ang)), head_c[1] + 0.06 * head_h))
    return out


def render_person(canvas: np.ndarray, pose: Pose, look: Appearance) -> PersonRender:
    """Draw one person on ``canvas`` (``(H, W, 3)`` uint8 BGR, modified in place).

    Body proportions: head 1/7 of ``pose.height``, shoulders at 0.82, hips at 0.47.
    Returns the mask patch and the body / head / eye boxes (scene px).
    """
    h, u, v = pose.height, pose.u, pose.v
    yr = math.radians(pose.yaw)
    sy, fr = math.sin(yr), abs(math.cos(yr))
    swing = pose.swing * math.sin(pose.phase)
    lift = 0.012 * h * abs(math.cos(pose.phase)) * pose.swing
    hh, hw = h / 7.0, 0.78 * h / 7.0
    hc = (u + 0.02 * h * sy, v - h + hh / 2 - lift)
    x0, y0 = int(math.floor(u - 0.45 * h)) - 2, int(math.floor(v - h - lift)) - 2
    mask = np.zeros((int(math.ceil(1.1 * h)) + 6, int(math.ceil(0.9 * h)) + 6), np.uint8)
    p = _Painter(canvas, mask, x0, y0)

    shoulder_y, hip_y = v - 0.82 * h - lift, v - 0.47 * h - lift
    sw = h * (0.15 + 0.10 * fr) * look.build
    hipw = h * (0.12 + 0.08 * fr) * look.build
    hem_y = hip_y + (0.17 * h if look.coat_long else 0.04 * h)
    flare = 0.02 * h if look.coat_long else 0.0
    legs = _shade(look.trousers, 0.85)

    def arm(k: float, color: BGR) -> tuple[float, float]:
        sx = u + k * (sw / 2 - 0.03 * h) * max(fr, 0.3)
        a = -k * swing
        hand = (sx + k * 0.025 * h * fr + sy * 0.12 * h * a, hip_y + 0.03 * h - 0.02 * h * abs(a))
        p.line((sx, shoulder_y + 0.03 * h), hand, 0.065 * h * look.build, color, 1)
        p.ellipse(hand, (0.024 * h, 0.024 * h), look.skin, 1)
        return hand

    def leg(k: float, color: BGR) -> None:
        s = k * swing
        hip = (u + k * 0.045 * h * fr, hip_y)
        foot = (u + k * 0.05 * h * fr + sy * 0.15 * h * s, v + math.cos(yr) * 0.03 * h * s)
        p.line(hip, foot, 0.085 * h * look.build, color, 1)
        shoe = (0.028 * h + 0.02 * h * abs(sy), 0.018 * h)
        p.ellipse((foot[0] + sy * 0.02 * h, foot[1] - 0.01 * h), shoe, look.shoes, 1)

    profile = abs(sy) > 0.5
    if look.hair_long and abs(pose.yaw) < 100:
        p.ellipse((hc[0], hc[1] + 0.45 * hh), (0.52 * hw, 0.55 * hh), look.hair, 1)
    if profile:
        arm(-1.0, _shade(look.top, 0.8))
    leg(-1.0, _shade(legs, 0.85))
    leg(1.0, legs)
    p.line((u, hc[1] + 0.3 * hh), (u, shoulder_y + 0.02 * h), 0.06 * h, look.skin, 1)
    p.poly([(u - sw / 2, shoulder_y + 0.015 * h), (u + sw / 2, shoulder_y + 0.015 * h),
            (u + hipw / 2 + flare, hem_y), (u - hipw / 2 - flare, hem_y)], look.top, 1)
    p.ellipse((u, shoulder_y + 0.03 * h), (sw / 2, 0.035 * h), look.top, 1)
    hands = [arm(1.0, look.top)] if profile else [arm(-1.0, look.top), arm(1.0, look.top)]
    if look.bag is not None:
        hand = hands[-1] if profile else hands[0 if look.bag_side < 0 else 1]
        bx, by, bw = hand[0], hand[1], 0.05 * h
        p.poly([(bx - bw, by), (bx + bw, by), (bx + bw, by + 0.1 * h), (bx - bw, by + 0.1 * h)], look.bag, 1)
    if look.hair_long and abs(pose.yaw) >= 100:
        p.ellipse((hc[0], hc[1] + 0.45 * hh), (0.52 * hw, 0.55 * hh), look.hair, 1)

    p.ellipse(hc, (hw / 2, hh / 2), look.hair, 2)  # the head: hair all round
    eyes: list[tuple[float, float]] = []
    if abs(pose.yaw) < 100:
        face = (hw / 2 * (0.4 + 0.45 * fr), 0.34 * hh)
        p.ellipse((hc[0] + 0.22 * hw * sy, hc[1] + 0.14 * hh), face, look.skin)
        eyes = eye_points(pose.yaw, hc, hw, hh)
        if hh >= 8:
            for e in eyes:
                p.ellipse(e, (max(0.5, 0.07 * hh), max(0.5, 0.05 * hh)), EYE)
    if look.hat is not None:
        p.ellipse(hc, (hw / 2, hh / 2), look.hat, None, 180, 360)

    head_box = (hc[0] - hw / 2, hc[1] - hh / 2, hw, hh)
    bx, by, bw, bh = cv2.boundingRect(mask)
    bx0, by0 = min(bx + x0, head_box[0]), min(by + y0, head_box[1])
    bx1 = max(bx + x0 + bw, head_box[0] + hw)
    by1 = max(by + y0 + bh, head_box[1] + hh)
    eye_box = None
    if eyes:
        xs = [e[0] for e in eyes]
        ew, eh = max(xs) - min(xs) + 0.32 * hw, 0.24 * hh
        ex = max(head_box[0], (min(xs) + max(xs)) / 2 - ew / 2)
        ew = min(ew, head_box[0] + hw - ex)
        eye_box = (ex, eyes[0][1] - eh / 2, ew, eh)
    return PersonRender(x0, y0, mask, (bx0, by0, bx1 - bx0, by1 - by0), head_box, eye_box)
