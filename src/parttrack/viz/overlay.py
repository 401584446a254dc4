"""Annotated frames of tracking results (for the ``--out`` video): subject box, part points,
boxes and trails, scores, LOST label; several subjects on one frame in distinct colours.

Example::

    overlay = Overlay()
    for frame, result in zip(frames, results):
        writer.write(overlay.draw(frame, result))
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import cv2
import numpy as np

from parttrack.tracker.result import TrackResult

SUBJECT_COLOR = (80, 220, 80)  # BGR
#: Subject box colours by subject id (BGR; subject 0 is SUBJECT_COLOR), away from the part colours.
SUBJECT_COLORS = (SUBJECT_COLOR, (230, 200, 60), (120, 120, 255), (240, 240, 240), (255, 255, 120))
LOST_COLOR = (40, 40, 230)
PART_COLORS = ((0, 200, 255), (255, 120, 40), (200, 80, 255), (60, 255, 255))  # per part, BGR


def _pt(p: tuple[float, float]) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _label(img: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int], scale: float) -> None:
    """Text with a dark backing box so it reads on any background."""
    font, th = cv2.FONT_HERSHEY_SIMPLEX, max(1, int(round(scale * 1.6)))
    (w, h), base = cv2.getTextSize(text, font, scale, th)
    x = int(np.clip(org[0], 0, max(0, img.shape[1] - w - 2)))
    y = int(np.clip(org[1], h + 2, img.shape[0] - base - 1))
    cv2.rectangle(img, (x - 1, y - h - 2), (x + w + 1, y + base), (20, 20, 20), -1)
    cv2.putText(img, text, (x, y), font, scale, color, th, cv2.LINE_AA)


class Overlay:
    """Draws :class:`TrackResult` s on frames, keeping a short trail of each part's points
    (per subject).

    Args:
        trail: number of past part points drawn as a fading line.
    """

    def __init__(self, trail: int = 12) -> None:
        if trail < 0:
            raise ValueError(f"trail must be >= 0, got {trail}")
        self.trail = trail
        self._trails: dict[tuple[int, str], deque[tuple[float, float]]] = {}

    def draw(self, image: np.ndarray, result: TrackResult) -> np.ndarray:
        """A copy of ``image`` ``(H, W, 3)`` uint8 BGR with the subject box, its score, each
        part's point (a cross), box and trail, or a LOST label when the subject is lost."""
        return self.draw_many(image, [result])

    def draw_many(self, image: np.ndarray, results: Sequence[TrackResult]) -> np.ndarray:
        """A copy of ``image`` ``(H, W, 3)`` uint8 BGR with every subject of one frame
        (``results``, one per subject): as :meth:`draw`, each subject's box in its own colour
        (:data:`SUBJECT_COLORS` by ``result.subject``) labelled ``#id`` when there are
        several; the lost ones are listed in one LOST label."""
        img = image.copy()
        H, W = img.shape[:2]
        s = min(max(min(H, W) / 300.0, 1.0), 4.0)  # marker / line scale with the frame size
        th = max(1, int(round(min(H, W) / 500.0)))
        fs = min(max(min(H, W) / 700.0, 0.35), 1.0)  # font scale
        several = len(results) > 1
        for result in results:
            self._draw_subject(img, result, s, th, fs, several)
        lost = [r for r in results if r.lost]
        if lost:
            text = ("LOST  " + "  ".join(f"#{r.subject}" for r in lost)) if several else f"LOST  {lost[0].score:.2f}"
            _label(img, text, (int(6 * s), int(30 * fs) + 4), LOST_COLOR, 1.6 * fs)
        if results:
            _label(img, f"frame {results[0].frame}", (int(6 * s), H - 4), (230, 230, 230), fs)
        return img

    def _draw_subject(self, img: np.ndarray, result: TrackResult, s: float, th: int, fs: float, tag: bool) -> None:
        """One subject's parts, trails, box and score label, drawn into ``img``."""
        for k, (name, part) in enumerate(result.parts.items()):
            trail = self._trails.setdefault((result.subject, name), deque(maxlen=max(self.trail, 1)))
            if part is not None and self.trail:
                trail.append(part.point)
            color = PART_COLORS[k % len(PART_COLORS)]
            pts = list(trail)
            for i in range(1, len(pts)):
                fade = 0.3 + 0.7 * i / len(pts)
                c = tuple(int(v * fade) for v in color)
                cv2.line(img, _pt(pts[i - 1]), _pt(pts[i]), c, th, cv2.LINE_AA)
            if part is None:
                continue
            if part.box is not None:
                x, y, w, h = part.box
                cv2.rectangle(img, _pt((x, y)), _pt((x + w, y + h)), color, th, cv2.LINE_AA)
            cv2.drawMarker(img, _pt(part.point), color, cv2.MARKER_CROSS, int(10 * s), th + 1, cv2.LINE_AA)
        if result.box is not None:
            colour = SUBJECT_COLORS[result.subject % len(SUBJECT_COLORS)]
            x, y, w, h = result.box
            cv2.rectangle(img, _pt((x, y)), _pt((x + w, y + h)), colour, th + 1, cv2.LINE_AA)
            text = (f"#{result.subject} " if tag else "") + f"{result.score:.2f}"
            for name, part in result.parts.items():
                text += f"  {name} " + ("-" if part is None else f"{part.score:.2f}")
            _label(img, text, _pt((x, y - 4 * s)), colour, fs)


def draw_result(image: np.ndarray, result: TrackResult) -> np.ndarray:
    """One annotated frame without a trail (see :class:`Overlay`)."""
    return Overlay(trail=0).draw(image, result)
