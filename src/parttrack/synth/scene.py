"""The street around the synthetic people: ground texture, shop fronts, static props,
camera pan/zoom, and per-frame blur, noise and lighting.

The *scene* is the frame plus a margin on each side (``View.margin``); the camera's view
is a rectangle of the scene that pans and zooms in over time, resized to the frame size.
Everything here is precomputed once per clip, so each frame costs a copy and a few
cv2 calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.synth.motion import Camera

PROP_LABEL = 255  # id-buffer value of static props


@dataclass
class View:
    """Camera view per frame: the scene rect ``(T, 4)`` (integers ``x0, y0, x1, y1``, scene
    px) that is resized onto the ``width`` x ``height`` frame; ``margin = (mx, my)`` scene
    padding on each side."""

    rects: np.ndarray
    width: int
    height: int
    margin: tuple[int, int]

    @classmethod
    def make(cls, width: int, height: int, num_frames: int, amount: float, rng: np.random.Generator) -> View:
        """A smooth pan of up to ``0.08 * amount`` of the frame and a zoom-in up to
        ``1 + 0.25 * amount``; static when ``amount`` is 0."""
        mx, my = 0, 0
        if amount > 0:
            mx, my = int(math.ceil(0.08 * amount * width)) + 1, int(math.ceil(0.05 * amount * height)) + 1
        t = np.arange(num_frames) / max(num_frames, 1)
        if amount > 0:
            f = rng.uniform(0.3, 1.2, size=3)
            ph = rng.uniform(0, 2 * math.pi, size=3)
            zoom = 1.0 + 0.25 * amount * 0.5 * (1 - np.cos(2 * math.pi * f[2] * t + ph[2]))
            cx = mx + width / 2 + (mx - 1) * np.sin(2 * math.pi * f[0] * t + ph[0])
            cy = my + height / 2 + (my - 1) * np.sin(2 * math.pi * f[1] * t + ph[1])
        else:
            zoom = np.ones(num_frames)
            cx, cy = np.full(num_frames, width / 2), np.full(num_frames, height / 2)
        x0, y0 = np.floor(cx - width / (2 * zoom)), np.floor(cy - height / (2 * zoom))
        rects = np.stack([x0, y0, x0 + np.round(width / zoom), y0 + np.round(height / zoom)], axis=1)
        return cls(rects.astype(np.int64), width, height, (mx, my))

    def scale(self, t: int) -> tuple[float, float]:
        """Frame px per scene px ``(sx, sy)`` at frame ``t``."""
        r = self.rects[t]
        return self.width / float(r[2] - r[0]), self.height / float(r[3] - r[1])

    def to_frame(self, box: tuple[float, float, float, float], t: int) -> tuple[float, float, float, float]:
        """Map a scene box ``(x, y, w, h)`` to frame px at frame ``t``."""
        (sx, sy), (x0, y0) = self.scale(t), self.rects[t, :2]
        return ((box[0] - x0) * sx, (box[1] - y0) * sy, box[2] * sx, box[3] * sy)

    def render(self, canvas: np.ndarray, t: int) -> np.ndarray:
        """The frame ``(height, width, 3)`` seen at frame ``t`` (a new array)."""
        x0, y0, x1, y1 = (int(v) for v in self.rects[t])
        crop = canvas[y0:y1, x0:x1]
        if crop.shape[:2] == (self.height, self.width):
            return crop.copy()
        return cv2.resize(crop, (self.width, self.height), interpolation=cv2.INTER_LINEAR)


@dataclass
class Prop:
    """A static object (bin, bollard, bench, planter, post): sprite and mask at ``(x0, y0)``,
    standing on scene row ``foot_v`` (for depth ordering)."""

    x0: int
    y0: int
    image: np.ndarray
    mask: np.ndarray
    foot_v: float

    def draw(self, canvas: np.ndarray, ids: np.ndarray) -> None:
        """Paste onto ``canvas`` and mark its pixels ``PROP_LABEL`` in ``ids``."""
        h, w = self.mask.shape
        cv2.copyTo(self.image, self.mask, canvas[self.y0 : self.y0 + h, self.x0 : self.x0 + w])
        roi = ids[self.y0 : self.y0 + h, self.x0 : self.x0 + w]
        roi[self.mask > 0] = PROP_LABEL


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: int, amp: float) -> np.ndarray:
    small = rng.normal(0.0, amp, size=(shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _line(img: np.ndarray, a, b, color, thickness: int = 1) -> None:
    p, q = (round(a[0] * 16), round(a[1] * 16)), (round(b[0] * 16), round(b[1] * 16))
    cv2.line(img, p, q, color, thickness, cv2.LINE_AA, 4)


def make_background(
    width: int, height: int, cam: Camera, top_row: float, rng: np.random.Generator
) -> np.ndarray:
    """Paved street seen from above with an asphalt strip, slab joints in perspective and a
    row of shop fronts above ``top_row`` (scene px). Returns ``(height, width, 3)`` uint8."""
    shape = (height, width)
    warm = rng.uniform(-8, 8)
    base = np.array([rng.uniform(130, 165)] * 3) + np.array([-warm, 0.0, warm]) + rng.uniform(-4, 4, size=3)
    grain = rng.normal(0, 2.5, size=shape).astype(np.float32)
    tex = _noise(rng, shape, 48, 6) + _noise(rng, shape, 5, 4) + grain
    paving = np.clip(base[None, None, :] + tex[:, :, None], 0, 255).astype(np.uint8)
    joint = tuple(int(c) for c in np.clip(base * 0.8, 0, 255))
    slab, zf, zn = rng.uniform(0.5, 0.9), cam.z_far, 1.0
    for x in np.arange(-14.0, 14.0, slab):
        _line(paving, cam.project(x, zf), cam.project(x, zn), joint)
    z = zn
    while z < zf:
        v = cam.project(0.0, z)[1]
        _line(paving, (0, v), (width, v), joint)
        z += slab
    # asphalt strip between the ground lines x = xa and xb (a trapezoid to the vanishing point)
    xa = rng.uniform(-4.0, 1.0)
    xb = xa + rng.uniform(2.5, 4.5)
    dark = rng.uniform(0.5, 0.7)
    asphalt = base.mean() * dark + _noise(rng, shape, 3, 5)[:, :, None] + tex[:, :, None] * 0.5
    asphalt = np.clip(asphalt, 0, 255)
    road = np.zeros(shape, np.uint8)
    pts = [cam.project(xa, zf), cam.project(xb, zf), cam.project(xb, zn), cam.project(xa, zn)]
    cv2.fillConvexPoly(road, np.round(np.array(pts) * 16).astype(np.int32), 255, cv2.LINE_AA, 4)
    alpha = road[:, :, None].astype(np.float32) / 255.0
    img = (paving * (1 - alpha) + asphalt * alpha).astype(np.uint8)
    for xe in (xa, xb):  # kerbs
        _line(img, cam.project(xe, zf), cam.project(xe, zn), (178, 180, 182), 2)
    for _ in range(int(rng.integers(2, 6))):  # drain covers
        gx, gz = rng.uniform(-6, 6), rng.uniform(zn + 3, zf)
        c, s = cam.project(gx, gz), cam.px_per_m(gz)
        cv2.rectangle(img, (int(c[0]), int(c[1])), (int(c[0] + 0.5 * s), int(c[1] + 0.25 * s)), joint, -1)
    _shop_fronts(img, int(top_row), rng)
    return img


def _shop_fronts(img: np.ndarray, bottom: int, rng: np.random.Generator) -> None:
    width = img.shape[1]
    x = int(rng.integers(-40, 0))
    stone = ((150, 165, 180), (120, 125, 130), (70, 80, 120), (190, 195, 200), (90, 100, 105))
    while x < width:
        w = int(rng.integers(60, 140))
        wall = _scale(stone[int(rng.integers(len(stone)))], rng.uniform(0.85, 1.1))
        cv2.rectangle(img, (x, 0), (x + w, bottom), wall, -1)
        glass = tuple(int(c) for c in rng.uniform(35, 75, size=3))
        sign_h = max(4, bottom // 6)
        sign = _scale(TOPS_SIGN[int(rng.integers(len(TOPS_SIGN)))], rng.uniform(0.8, 1.1))
        cv2.rectangle(img, (x + 3, bottom // 6), (x + w - 3, bottom // 6 + sign_h), sign, -1)
        gy = bottom // 6 + sign_h + 3
        cv2.rectangle(img, (x + 5, gy), (x + w - 5, bottom - 1), glass, -1)
        for _ in range(int(rng.integers(2, 6))):  # goods in the window
            gx = int(rng.integers(x + 6, x + w - 8))
            c = tuple(int(v) for v in rng.uniform(50, 200, size=3))
            top, gw = int(rng.integers(gy, bottom - 4)), int(rng.integers(3, 10))
            cv2.rectangle(img, (gx, top), (gx + gw, bottom - 2), c, -1)
        door = x + int(rng.integers(8, max(9, w - 20)))
        cv2.rectangle(img, (door, gy + 2), (door + 12, bottom - 1), _scale(glass, 0.6), -1)
        cv2.line(img, (x, 0), (x, bottom), _scale(wall, 0.7), 2)
        x += w
    cv2.line(img, (0, bottom), (width, bottom), (70, 70, 72), 2)


TOPS_SIGN = ((40, 40, 150), (120, 60, 30), (30, 30, 30), (60, 120, 60), (200, 200, 200), (40, 120, 170))


def _scale(c, f: float) -> tuple[int, int, int]:
    return tuple(int(min(255, v * f)) for v in c)  # type: ignore[return-value]


def make_props(count: int, cam: Camera, view: np.ndarray, rng: np.random.Generator, size: tuple[int, int],
               avoid: np.ndarray | None = None) -> list[Prop]:
    """``count`` static props on the ground in view at frame 0 (bins, bollards, benches,
    planters, posts), sized by perspective. ``size = (W, H)`` of the scene; ``avoid``: a box
    ``x0, y0, x1, y1`` (scene px) that no prop may stand in front of."""
    props = []
    x0, y0, x1, y1 = view[0]
    for _ in range(count):
        for _try in range(10):
            u, v = rng.uniform(x0 + 10, x1 - 10), rng.uniform(y0 + 0.35 * (y1 - y0), y0 + 0.97 * (y1 - y0))
            s = cam.px_per_m(cam.ground_at(u, v)[1])
            kind = int(rng.integers(5))
            w_m, h_m = [(0.5, 0.9), (0.16, 0.9), (1.6, 0.5), (0.7, 1.0), (0.12, 2.6)][kind]
            w, h = max(3, int(w_m * s)), max(4, int(h_m * s))
            px, py = int(u - w / 2), int(v - h)
            inside = px >= 0 and py >= 0 and px + w <= size[0] and py + h <= size[1]
            hides = (avoid is not None and v > avoid[3] and py < avoid[3]
                     and px < avoid[2] and px + w > avoid[0])
            if inside and not hides:
                break
        else:
            continue
        img = np.zeros((h, w, 3), np.uint8)
        mask = np.zeros((h, w), np.uint8)
        c = tuple(int(v) for v in rng.choice([(35, 38, 35), (40, 70, 40), (70, 70, 75), (30, 40, 60)]))
        if kind == 2:  # bench: seat and legs
            cv2.rectangle(img, (0, 0), (w - 1, h // 3), c, -1)
            cv2.rectangle(mask, (0, 0), (w - 1, h // 3), 1, -1)
            for lx in (1, w - 3):
                cv2.rectangle(img, (lx, 0), (lx + 2, h - 1), c, -1)
                cv2.rectangle(mask, (lx, 0), (lx + 2, h - 1), 1, -1)
        else:
            cv2.rectangle(img, (0, 0), (w - 1, h - 1), c, -1)
            mask[:] = 1
            shade = _scale(c, 1.6)
            cv2.line(img, (w // 4, 1), (w // 4, h - 2), shade, max(1, w // 8))
            if kind == 3:  # planter: foliage on top
                cv2.ellipse(img, (w // 2, h // 5), (w // 2, h // 4), 0, 0, 360, (40, 110, 50), -1)
            cv2.rectangle(img, (0, 0), (w - 1, max(1, h // 12)), _scale(c, 0.6), -1)
        props.append(Prop(px, py, img, mask, v))
    return props


@dataclass
class Effects:
    """Per-frame lighting (gain and tint drift), Gaussian blur and sensor noise."""

    gain: np.ndarray  # (T, 3) per-channel gain
    blur_sigma: float
    noise: list[tuple[np.ndarray, np.ndarray]]  # (positive, negative) uint8 noise banks
    offsets: np.ndarray  # (T, 2) noise-bank index and column offset

    @classmethod
    def make(cls, width: int, height: int, num_frames: int, blur: float, noise: float, lighting: float,
             rng: np.random.Generator) -> Effects:
        """Amounts in [0, 1]: blur sigma up to 1.8 px, noise sigma up to 12 grey levels,
        brightness drift up to +-35 % with a slight colour tint."""
        t = np.arange(num_frames) / max(num_frames, 1)
        if lighting > 0:
            f, ph = rng.uniform(0.3, 1.5), rng.uniform(0, 2 * math.pi)
            tint = rng.uniform(-0.08, 0.08, size=3) * lighting
            g = 1 + 0.35 * lighting * np.sin(2 * math.pi * f * t + ph)
            gain = g[:, None] * (1 + tint[None, :] * np.sin(math.pi * t)[:, None])
        else:
            gain = np.ones((num_frames, 3))
        banks = []
        if noise > 0:
            for _ in range(2):
                n = rng.normal(0, 12 * noise, size=(height, width + 32, 3))
                banks.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        offsets = np.stack([rng.integers(0, 2, num_frames), rng.integers(0, 33, num_frames)], axis=1)
        return cls(gain, 0.3 + 1.5 * blur if blur > 0 else 0.0, banks, offsets)

    def apply(self, frame: np.ndarray, t: int) -> np.ndarray:
        """Apply lighting, blur and noise to frame ``t`` (``(H, W, 3)`` uint8) in place."""
        g = self.gain[t]
        if not np.all(g == 1.0):
            cv2.multiply(frame, (float(g[0]), float(g[1]), float(g[2]), 0.0), dst=frame)
        if self.blur_sigma > 0:
            cv2.GaussianBlur(frame, (0, 0), self.blur_sigma, dst=frame)
        if self.noise:
            k, o = self.offsets[t]
            pos, neg = self.noise[k]
            w = frame.shape[1]
            cv2.add(frame, pos[:, o : o + w], dst=frame)
            cv2.subtract(frame, neg[:, o : o + w], dst=frame)
        return frame
