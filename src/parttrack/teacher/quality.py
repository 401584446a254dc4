"""Teacher label quality against ground truth: head recall, strays, head-point error.

Protocol (docs/teacher.md):

* a teacher head *hits* a true head when its point lies inside the true head box enlarged
  ``enlarge`` times about its centre; teacher and true heads are paired one-to-one by the
  Hungarian assignment on the point-to-centre distance over admissible pairs.
* **recall** = true heads hit / true heads.
* a **stray** is a teacher head that hits no true head *and* lies inside no true person's body
  box (it matches no true person: a false head, or an unannotated person). Unpaired teacher
  heads inside a true person (a duplicate) are counted apart as ``extra``.
* **head-point error** = distance from the teacher point to the true head-box centre, in
  true head heights, over hits.
* TUD (body boxes only): the true head is the top of the body box, :func:`head_from_body`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from parttrack.data.types import BoxXYWH

# TUD head = top part of the body box: its full width (a walker's head is anywhere from 20 % to
# 85 % across a box that spans the stride), top 20 % of its height (heads measure ~12 %)
TUD_HEAD_HEIGHT = 0.2


def head_from_body(body: BoxXYWH) -> BoxXYWH:
    """The head region of a MOT (TUD) body box: its top fifth, ``(x, y, w, 0.2 h)``."""
    x, y, w, h = body
    return (x, y, w, TUD_HEAD_HEIGHT * h)


def inside(point: tuple[float, float], box: BoxXYWH, enlarge: float = 1.0) -> bool:
    """Whether ``point`` lies in ``box`` scaled by ``enlarge`` about its centre (edges in)."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    return abs(point[0] - cx) <= enlarge * w / 2 and abs(point[1] - cy) <= enlarge * h / 2


def match_heads(
    points: Sequence[tuple[float, float]], heads: Sequence[BoxXYWH], enlarge: float = 1.5
) -> list[tuple[int, int]]:
    """One-to-one pairs ``(teacher index, true index)`` of admissible hits.

    Args:
        points: teacher head points (x, y) pixels.
        heads: true head boxes (x, y, w, h) pixels.
        enlarge: a pair is admissible when the point lies in the true box scaled by this.

    Returns:
        Pairs minimising the summed point-to-centre distance (in true head heights).
    """
    if not points or not heads:
        return []
    cost = np.full((len(points), len(heads)), 1e6)
    for i, p in enumerate(points):
        for j, b in enumerate(heads):
            if inside(p, b, enlarge):
                cost[i, j] = np.hypot(p[0] - b[0] - b[2] / 2, p[1] - b[1] - b[3] / 2) / b[3]
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if cost[i, j] < 1e6]


@dataclass(frozen=True)
class FrameScore:
    """Counts for one frame: true heads, hits, teacher heads, strays, extras, point errors."""

    true: int
    hits: int
    teacher: int
    strays: int
    extra: int
    errors: tuple[float, ...]


def score_frame(
    points: Sequence[tuple[float, float]],
    heads: Sequence[BoxXYWH],
    bodies: Sequence[BoxXYWH] = (),
    enlarge: float = 1.5,
) -> FrameScore:
    """Score the teacher heads of one frame against the true heads (and bodies) of it.

    Args:
        points: teacher head points (x, y) pixels.
        heads: true head boxes (x, y, w, h).
        bodies: true body boxes (x, y, w, h) of every annotated person (strays test).
        enlarge: hit tolerance, see :func:`match_heads`.
    """
    pairs = match_heads(points, heads, enlarge)
    paired = {i for i, _ in pairs}
    strays = extra = 0
    for i, p in enumerate(points):
        if i in paired:
            continue
        if any(inside(p, b) for b in bodies) or any(inside(p, b, enlarge) for b in heads):
            extra += 1
        else:
            strays += 1
    errors = tuple(
        float(np.hypot(points[i][0] - heads[j][0] - heads[j][2] / 2, points[i][1] - heads[j][1] - heads[j][3] / 2) / heads[j][3])
        for i, j in pairs
    )
    return FrameScore(len(heads), len(pairs), len(points), strays, extra, errors)


@dataclass(frozen=True)
class Quality:
    """Summary over frames: ``recall`` and ``stray_rate`` in [0, 1], errors in head heights."""

    frames: int
    true: int
    hits: int
    teacher: int
    strays: int
    extra: int
    recall: float
    stray_rate: float
    median_error: float
    mean_error: float


def summarize(scores: Iterable[FrameScore]) -> Quality:
    """Sum frame scores; ``stray_rate`` = strays / teacher heads (0 when there are none)."""
    s = list(scores)
    errs = [e for f in s for e in f.errors]
    true, hits = sum(f.true for f in s), sum(f.hits for f in s)
    teacher, strays = sum(f.teacher for f in s), sum(f.strays for f in s)
    return Quality(
        frames=len(s),
        true=true,
        hits=hits,
        teacher=teacher,
        strays=strays,
        extra=sum(f.extra for f in s),
        recall=hits / true if true else 0.0,
        stray_rate=strays / teacher if teacher else 0.0,
        median_error=float(np.median(errs)) if errs else float("nan"),
        mean_error=float(np.mean(errs)) if errs else float("nan"),
    )
