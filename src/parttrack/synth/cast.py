"""Casting a synthetic scene: who walks where, and which roles make the hard cases.

Actor 0 is the *subject* (the person a benchmark tracks); the others are, in this order of
priority: the subject's side-by-side companion, crossers that pass close to the subject's head
([0005]), occluders that walk in front of someone, pairs of walkers, and free walkers.
Counts come from the ``SceneConfig`` rates (see ``parttrack.synth.generator``).
"""

from __future__ import annotations

import math

import numpy as np

from parttrack.synth.config import SceneConfig
from parttrack.synth.motion import (
    Actor,
    Camera,
    beside,
    body_boxes,
    head_gap,
    head_track,
    in_view,
    walk,
    world_gap,
)

MIN_Z = 2.0  # metres: nobody walks closer to the camera than this
TRIES = 30


def _count(x: float, n: int) -> int:
    """A rate times a population as a count: 0 for rate 0, else at least 1."""
    return 0 if x <= 0 or n < 2 else max(1, int(round(x)))


def _heading(rng: np.random.Generator, toward: float = 0.35, away: float = 0.25) -> float:
    """Town-Centre-like directions: mostly along the street (toward/away), some across."""
    r = rng.random()
    if r < toward:
        return math.pi + rng.uniform(-0.6, 0.6)
    if r < toward + away:
        return rng.uniform(-0.6, 0.6)
    if r < 0.9:
        return rng.choice([-1.0, 1.0]) * math.pi / 2 + rng.uniform(-0.45, 0.45)
    return rng.uniform(-math.pi, math.pi)


def _stop_turn(cfg: SceneConfig, rng: np.random.Generator) -> tuple[int, int, float] | None:
    if rng.random() >= cfg.stop_turn_rate:
        return None
    t = cfg.num_frames
    te = int(rng.integers(int(0.2 * t), max(int(0.2 * t) + 1, int(0.65 * t))))
    hold = int(rng.integers(8, 26))
    return te, hold, float(rng.choice([-1.0, 1.0]) * rng.uniform(math.radians(100), math.pi))


def _scene_point(view: np.ndarray, t: int, fu: float, fv: float, cfg: SceneConfig) -> tuple[float, float]:
    """Scene pixel of the frame point ``(fu, fv)`` (fractions of W, H) at frame ``t``."""
    x0, y0, x1, y1 = view[t]
    return x0 + fu * (x1 - x0), y0 + fv * (y1 - y0)


class _Caster:
    def __init__(self, cfg: SceneConfig, cam: Camera, view: np.ndarray, rng: np.random.Generator):
        self.cfg, self.cam, self.view, self.rng = cfg, cam, view, rng
        self.actors: list[Actor] = []

    # -- scoring: 0 = all constraints met, larger = worse ------------------------------------
    def _penalty(self, actor: Actor, need_view: float, linked: set[int], near_ok: float) -> float:
        p = actor.path
        pen = 0.0
        pen += 10.0 * max(0.0, float(p.z.max()) - self.cam.z_far)
        pen += 10.0 * max(0.0, MIN_Z - float(p.z.min()))
        seen = float(in_view(body_boxes(self.cam, actor), self.view).mean())
        pen += 5.0 * max(0.0, need_view - seen)
        if self.actors:
            pen += 5.0 * self._covers_subject_start(actor)
        for j, other in enumerate(self.actors):
            gap_min = near_ok if j in linked else 0.55
            pen += 5.0 * max(0.0, gap_min - world_gap(p, other.path))
            if self.cfg.min_head_distance > 0 and j not in linked:
                pen += max(0.0, self.cfg.min_head_distance - head_gap(self.cam, actor, other, self.view))
        return pen

    def _covers_subject_start(self, actor: Actor, frames: int = 3) -> float:
        """Largest share of the subject's box covered by ``actor`` standing nearer, over the
        first ``frames`` frames (the subject must start the clip unhidden)."""
        sub = self.actors[0]
        a, b = body_boxes(self.cam, sub)[:frames], body_boxes(self.cam, actor)[:frames]
        w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
        h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
        share = w * h / ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))
        share[actor.path.z[:frames] > sub.path.z[:frames]] = 0.0
        return float(max(0.0, share.max() - 0.1))

    def _best(self, make, need_view: float, linked: set[int], near_ok: float = 0.55) -> Actor:
        best, best_pen = None, math.inf
        for _ in range(TRIES):
            actor = make()
            pen = self._penalty(actor, need_view, linked, near_ok)
            if pen < best_pen:
                best, best_pen = actor, pen
            if pen == 0.0:
                break
        assert best is not None
        best.linked |= linked
        for j in linked:
            self.actors[j].linked.add(len(self.actors))
        self.actors.append(best)
        return best

    # -- roles ------------------------------------------------------------------------------
    def subject(self) -> None:
        cfg, rng, t_mid = self.cfg, self.rng, self.cfg.num_frames // 2
        best, best_score = None, -1.0
        for attempt in range(40):
            body = rng.uniform(1.6, 1.9)
            u, v = _scene_point(self.view, t_mid, rng.uniform(0.3, 0.7), rng.uniform(0.55, 0.92), cfg)
            x, z = self.cam.ground_at(u, v)
            speed = rng.uniform(0.8, 1.4) * (0.94**attempt)
            path = walk(cfg.num_frames, cfg.fps, (t_mid, x, z), _heading(rng, 0.5, 0.2), speed,
                        rng.uniform(0, 2 * math.pi), _stop_turn(cfg, rng))
            actor = Actor("subject", body, path)
            score = self._subject_score(actor)
            if score > best_score:
                best, best_score = actor, score
            if score >= 2.0:
                break
        assert best is not None
        self.actors.append(best)

    def _subject_score(self, actor: Actor) -> float:
        """2.0 when the head is in view every frame and the body fully in view at frame 0."""
        p, view = actor.path, self.view
        if p.z.max() > self.cam.z_far or p.z.min() < MIN_Z:
            return 0.0
        u, v, _ = head_track(self.cam, actor)
        head_in = (u > view[:, 0]) & (u < view[:, 2]) & (v > view[:, 1]) & (v < view[:, 3])
        b0 = body_boxes(self.cam, actor)[0]
        v0 = view[0]
        first = b0[0] >= v0[0] + 2 and b0[2] <= v0[2] - 2 and b0[1] >= v0[1] + 2 and b0[3] <= v0[3] - 2
        return float(head_in.mean()) + float(first)

    def walker(self, role: str = "walker") -> None:
        cfg, rng = self.cfg, self.rng

        def make() -> Actor:
            ta = int(rng.integers(0, cfg.num_frames))
            u, v = _scene_point(self.view, ta, rng.uniform(-0.05, 1.05), rng.uniform(0.32, 1.0), cfg)
            x, z = self.cam.ground_at(u, v)
            path = walk(cfg.num_frames, cfg.fps, (ta, x, z), _heading(rng), rng.uniform(0.7, 1.6),
                        rng.uniform(0, 2 * math.pi), _stop_turn(cfg, rng))
            return Actor(role, rng.uniform(1.55, 1.95), path)

        self._best(make, 0.6, set())

    def companion(self, leader: int) -> None:
        cfg, rng, lead = self.cfg, self.rng, self.actors[leader]
        t = np.arange(cfg.num_frames)

        def make() -> Actor:
            drift = np.sin(2 * math.pi * t / rng.uniform(60, 160) + rng.uniform(0, 6.3))
            gap = rng.uniform(0.36, 0.43) + 0.02 * drift
            side = float(rng.choice([-1.0, 1.0]))
            path = beside(lead.path, side, gap, cfg.fps, rng.uniform(0, 2 * math.pi))
            body = float(np.clip(lead.body_m + rng.uniform(-0.08, 0.08), 1.55, 1.95))
            return Actor("companion", body, path, partner=leader)

        self._best(make, 0.0, {leader}, near_ok=0.35)

    def crosser(self, target: int, tc: int) -> None:
        cfg, rng, tgt = self.cfg, self.rng, self.actors[target]
        u, v, hh = (a[tc] for a in head_track(self.cam, tgt))
        th, ts = float(tgt.path.heading[tc]), float(tgt.path.speed[tc])

        def make() -> Actor:
            body = rng.uniform(1.6, 1.9)
            dx = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 0.55)
            dy = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 0.6)
            r = math.hypot(dx, dy)
            if r > 0.8:
                dx, dy = dx * 0.8 / r, dy * 0.8 / r
            x, z = self.cam.point_for_head(u + dx * hh, v + dy * hh, body)
            kind = rng.choice(3, p=[0.45, 0.35, 0.2])
            if kind == 0:  # cross at an angle
                heading, speed = th + rng.choice([-1.0, 1.0]) * rng.uniform(1.05, 2.1), rng.uniform(0.9, 1.5)
            elif kind == 1:  # pass head-on
                heading, speed = th + math.pi + rng.uniform(-0.35, 0.35), rng.uniform(0.9, 1.5)
            else:  # overtake
                heading, speed = th + rng.uniform(-0.17, 0.17), ts + rng.uniform(0.4, 0.7)
            path = walk(cfg.num_frames, cfg.fps, (tc, x, z), heading, speed, rng.uniform(0, 2 * math.pi))
            return Actor("crosser", body, path, partner=target)

        self._best(make, 0.3, {target}, near_ok=0.25)

    def occluder(self, target: int, tc: int) -> None:
        cfg, rng, tgt = self.cfg, self.rng, self.actors[target]
        xt, zt = float(tgt.path.x[tc]), float(tgt.path.z[tc])

        def make() -> Actor:
            z = zt - rng.uniform(0.4, 1.8)
            x = xt * z / zt + rng.uniform(-0.15, 0.15)
            lateral = rng.random() < 0.75
            if lateral:
                heading = rng.choice([-1.0, 1.0]) * math.pi / 2 + rng.uniform(-0.5, 0.5)
            else:
                heading = _heading(rng, 0.5, 0.5)
            speed, phase = rng.uniform(0.8, 1.5), rng.uniform(0, 2 * math.pi)
            path = walk(cfg.num_frames, cfg.fps, (tc, x, z), heading, speed, phase)
            return Actor("occluder", rng.uniform(1.6, 1.95), path, partner=target)

        self._best(make, 0.3, {target}, near_ok=0.3)


def plan_cast(cfg: SceneConfig, cam: Camera, view: np.ndarray, rng: np.random.Generator) -> list[Actor]:
    """Place ``cfg.num_people`` actors (actor 0 = subject) with their paths.

    Args:
        view: ``(T, 4)`` visible rect per frame, ``x0, y0, x1, y1`` scene px.

    Returns:
        The actors; ``Actor.path`` arrays have shape ``(num_frames,)``.
    """
    n, t = cfg.num_people, cfg.num_frames
    c = _Caster(cfg, cam, view, rng)
    c.subject()
    free = n - 1
    n_pairs = _count(cfg.side_by_side_rate * n / 2, n)
    if n_pairs and free:
        c.companion(0)
        n_pairs, free = n_pairs - 1, free - 1
    n_cross = min(free, _count(cfg.crossing_rate * (n - 1), n))
    for k in range(n_cross):
        tc = int((0.15 + 0.7 * (k + rng.uniform(0.2, 0.8)) / n_cross) * t)
        c.crosser(0, min(max(tc, 0), t - 1))
    free -= n_cross
    n_occ = min(free, _count(cfg.occlusion_share * (n - 1), n))
    free -= n_occ
    while free > 0:
        c.walker()
        free -= 1
        if n_pairs and free:
            c.companion(len(c.actors) - 1)
            n_pairs, free = n_pairs - 1, free - 1
    for k in range(n_occ):
        target = 0 if k == 0 else int(rng.integers(0, len(c.actors)))
        c.occluder(target, int(rng.uniform(0.15, 0.85) * t))
    return c.actors

