"""Tiny synthetic clips for the viewer tests, written with parttrack's own VideoWriter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from parttrack.data.video import VideoWriter


@dataclass(frozen=True)
class Clip:
    """A written clip: ``path``, ``size`` (W, H), the subject's ``box0`` on frame 0 and its
    ground-truth head ``heads[frame] = (cx, cy, head_height)`` (visible heads only)."""

    path: Path
    size: tuple[int, int]
    frames: int
    box0: tuple[float, float, float, float]
    heads: dict[int, tuple[float, float, float]]

    def torso(self) -> tuple[float, float]:
        """A tap on the subject's body on frame 0: centred, 35 % down the box."""
        x, y, w, h = self.box0
        return x + w / 2.0, y + 0.35 * h


def _build_suite():  # noqa: ANN202 - the synthetic suites are moving; try both homes
    try:
        from parttrack.synth.suites import build_suite
    except ImportError:
        try:
            from parttrack.data.suites import build_suite
        except ImportError:
            return None
    return build_suite


def _drawn(n: int) -> tuple[list[np.ndarray], tuple, dict]:
    """Fallback: one drawn person walking right over a plain background."""
    frames, heads = [], {}
    for t in range(n):
        img = np.full((240, 320, 3), (90, 110, 100), np.uint8)
        x = 60 + 3 * t
        cv2.rectangle(img, (x - 12, 100), (x + 12, 180), (40, 40, 160), -1)
        cv2.circle(img, (x, 88), 10, (150, 180, 220), -1)
        frames.append(img)
        heads[t] = (float(x), 88.0, 20.0)
    return frames, (48.0, 78.0, 24.0, 102.0), heads


def write_clip(folder: Path, name: str = "clip.mp4", frames: int = 12) -> Clip:
    """Write the first ``frames`` frames of the ``easy`` suite's first clip (or a drawn one
    when the generator cannot be imported) as ``folder/name``."""
    build = _build_suite()
    if build is None:
        images, box0, heads = _drawn(frames)
    else:
        clip = build("easy", limit=1)[0]
        seq, sid = clip.sequence, clip.sequence.subject_id
        images = clip.frames[:frames]
        box0 = tuple(seq.frames[0].get(sid).box)
        heads = {}
        for t in range(frames):
            s = seq.frames[t].get(sid)
            head = None if s is None else s.parts.get("head")
            if head is not None and head.visible:
                x, y, w, h = head.box
                heads[t] = (x + w / 2.0, y + h / 2.0, h)
    h, w = images[0].shape[:2]
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with VideoWriter(path, 25.0, (w, h)) as writer:
        for img in images:
            writer.write(img)
    return Clip(path, (w, h), len(images), box0, heads)


def head_error(points: dict[int, list[float]], clip: Clip) -> tuple[float, int]:
    """Mean distance of the reported head points to the ground truth, in head heights, and
    how many frames were compared."""
    errs = [
        np.hypot(p[0] - clip.heads[f][0], p[1] - clip.heads[f][1]) / clip.heads[f][2]
        for f, p in ((int(k), v) for k, v in points.items()) if f in clip.heads
    ]
    return (float(np.mean(errs)) if errs else float("inf")), len(errs)
