"""Ground-plane camera and walking paths for the synthetic crowd generator.

World coordinates: ``X`` metres to the right, ``Z`` metres of depth from the camera, on flat
ground. The camera is an elevated street camera (like Oxford Town Centre): at 384x288 people
are ~40 px tall far away (top of the walkable ground) and ~120 px near the bottom edge, and a
head is 1/7 of body height. All image positions here are *scene* pixels (the frame plus a
margin for camera pan, see ``synth_scene.View``).

A path is a per-frame array of positions, heading, speed and walking phase. The roles that
make the patent's hard cases ([0005]: a nearby person's part taken for the subject's own):

* ``crosser``: passes the subject so that the two heads come within ~0.8 head heights
  in the image at a chosen frame (crossing, passing or overtaking);
* ``companion``: walks beside its leader (0.36-0.43 m to the side) for the whole clip;
* ``occluder``: walks in front of a target (0.4-1.8 m nearer) at a chosen frame;
* ``walker``: walks on its own, sometimes stopping and turning round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HEAD_FRACTION = 1.0 / 7.0  # head height / body height
HEAD_CENTRE = 1.0 - HEAD_FRACTION / 2.0  # head centre height / body height
STRIDE_M = 1.4  # metres walked per walking cycle (two steps)


@dataclass(frozen=True)
class Camera:
    """Pinhole camera over flat ground, optical axis level, horizon above the image.

    Attributes:
        focal: focal length, pixels.
        cx: image column of the optical axis, scene pixels.
        horizon: image row of the horizon, scene pixels (negative = above the frame).
        height_m: camera height above the ground, metres.
        z_near, z_far: depth (m) of the nearest / farthest walkable ground rows.
    """

    focal: float
    cx: float
    horizon: float
    height_m: float
    z_near: float
    z_far: float

    @classmethod
    def street(cls, width: int, height: int, margin: tuple[int, int] = (0, 0)) -> Camera:
        """The Town-Centre-like camera for a ``width`` x ``height`` frame inside a scene
        with ``margin = (mx, my)`` extra pixels on each side."""
        mx, my = margin
        focal, horizon, cam_h = 1.18 * height, -0.073 * height, 4.7
        z_of = lambda row: focal * cam_h / (row - horizon)  # noqa: E731
        return cls(focal, mx + width / 2.0, my + horizon, cam_h, z_of(1.05 * height), z_of(0.30 * height))

    def project(self, x: np.ndarray | float, z: np.ndarray | float, up: np.ndarray | float = 0.0):
        """Image point ``(u, v)`` (scene px) of the world point ``(x, up, z)`` metres."""
        return self.cx + self.focal * x / z, self.horizon + self.focal * (self.height_m - up) / z

    def px_per_m(self, z: np.ndarray | float):
        """Image scale at depth ``z``: pixels per metre."""
        return self.focal / z

    def ground_at(self, u: float, v: float) -> tuple[float, float]:
        """World ground point ``(x, z)`` seen at scene pixel ``(u, v)`` (``v`` below horizon)."""
        z = self.focal * self.height_m / (v - self.horizon)
        return (u - self.cx) * z / self.focal, z

    def point_for_head(self, u: float, v: float, body_m: float) -> tuple[float, float]:
        """Ground point ``(x, z)`` where a person ``body_m`` tall has its head centre at
        scene pixel ``(u, v)``."""
        z = self.focal * (self.height_m - HEAD_CENTRE * body_m) / (v - self.horizon)
        return (u - self.cx) * z / self.focal, z


@dataclass
class WalkPath:
    """One person's motion, arrays of shape ``(T,)``.

    Attributes:
        x, z: ground position, metres.
        heading: walking direction, radians, ``atan2(dx, dz)`` (0 = away from the camera).
        speed: metres per second (0 = standing).
        phase: walking-cycle phase, radians.
    """

    x: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    phase: np.ndarray


@dataclass
class Actor:
    """A person of the scene before rendering: role, size and motion."""

    role: str  # subject | companion | crosser | occluder | walker
    body_m: float  # standing height, metres
    path: WalkPath
    partner: int | None = None  # index of the actor it walks beside / crosses / occludes
    linked: set[int] = field(default_factory=set)  # indices exempt from spacing checks


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2 * np.pi) - np.pi


def yaw_deg(path: WalkPath) -> np.ndarray:
    """Facing relative to the camera, degrees in (-180, 180]: 0 = facing the camera,
    +90 = facing image-right, 180 = facing away. Shape ``(T,)``."""
    to_cam = np.arctan2(-path.x, -path.z)
    return np.degrees(_wrap(to_cam - path.heading))


def walk(
    num_frames: int,
    fps: float,
    anchor: tuple[int, float, float],
    heading: float,
    speed: float,
    phase0: float = 0.0,
    stop_turn: tuple[int, int, float] | None = None,
) -> WalkPath:
    """A straight walk through ``anchor = (frame, x, z)``, optionally stopping and turning.

    Args:
        stop_turn: ``(frame, hold_frames, turn_radians)``: slow to a stop at ``frame``, stand
            ``hold_frames`` while turning by ``turn_radians``, then walk on the new heading.
    """
    t = np.arange(num_frames, dtype=np.float64)
    head = np.full(num_frames, heading)
    spd = np.full(num_frames, speed)
    if stop_turn is not None:
        te, hold, turn = stop_turn
        ramp = 6.0
        down = np.clip((te - t) / ramp, 0.0, 1.0)
        up = np.clip((t - (te + hold)) / ramp, 0.0, 1.0)
        spd = speed * np.maximum(down, up)
        head = heading + turn * np.clip((t - te) / max(hold, 1), 0.0, 1.0)
    step = spd / fps
    dx, dz = np.sin(head) * step, np.cos(head) * step
    cx = np.concatenate([[0.0], np.cumsum(dx[:-1])])
    cz = np.concatenate([[0.0], np.cumsum(dz[:-1])])
    ta, xa, za = anchor
    phase = phase0 + 2 * np.pi * np.concatenate([[0.0], np.cumsum(step[:-1])]) / STRIDE_M
    return WalkPath(xa + cx - cx[ta], za + cz - cz[ta], head, spd, phase)


def beside(leader: WalkPath, side: float, gap_m: np.ndarray | float, fps: float, phase0: float) -> WalkPath:
    """A companion ``gap_m`` metres to the ``side`` (+1 right, -1 left) of ``leader``."""
    h = leader.heading
    x = leader.x + side * gap_m * np.cos(h)
    z = leader.z - side * gap_m * np.sin(h)
    step = np.hypot(np.diff(x, prepend=x[0]), np.diff(z, prepend=z[0]))
    phase = phase0 + 2 * np.pi * np.cumsum(step) / STRIDE_M
    return WalkPath(x, z, h.copy(), leader.speed.copy(), phase)


def head_track(cam: Camera, actor: Actor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Head centre ``(u, v)`` and head height (scene px) per frame, each ``(T,)``."""
    p = actor.path
    u, v = cam.project(p.x, p.z, HEAD_CENTRE * actor.body_m)
    return u, v, cam.px_per_m(p.z) * actor.body_m * HEAD_FRACTION


def body_boxes(cam: Camera, actor: Actor) -> np.ndarray:
    """Approximate body boxes ``(T, 4)`` as ``x0, y0, x1, y1`` scene px (planning only)."""
    p = actor.path
    u, v = cam.project(p.x, p.z)
    h = cam.px_per_m(p.z) * actor.body_m
    return np.stack([u - 0.22 * h, v - h, u + 0.22 * h, v + 0.03 * h], axis=1)


def in_view(boxes: np.ndarray, view: np.ndarray) -> np.ndarray:
    """Whether each box ``(T, 4)`` overlaps its frame's view rect ``(T, 4)``; ``(T,)`` bool."""
    return (
        (boxes[:, 2] > view[:, 0])
        & (boxes[:, 0] < view[:, 2])
        & (boxes[:, 3] > view[:, 1])
        & (boxes[:, 1] < view[:, 3])
    )


def head_gap(cam: Camera, a: Actor, b: Actor, view: np.ndarray) -> float:
    """Smallest image distance between the heads of ``a`` and ``b`` over the frames where
    both are in view, in units of their mean head height (inf if never both in view)."""
    ua, va, ha = head_track(cam, a)
    ub, vb, hb = head_track(cam, b)
    both = in_view(body_boxes(cam, a), view) & in_view(body_boxes(cam, b), view)
    if not both.any():
        return math.inf
    d = np.hypot(ua - ub, va - vb) / (0.5 * (ha + hb))
    return float(d[both].min())


def world_gap(a: WalkPath, b: WalkPath) -> float:
    """Smallest ground distance (m) between two paths over the clip."""
    return float(np.hypot(a.x - b.x, a.z - b.z).min())
