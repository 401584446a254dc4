"""Link the teacher's people across frames into identities, keeping only safe segments.

Per frame, live tracks and new people are paired by the Hungarian assignment
(``scipy.optimize.linear_sum_assignment``) on box IoU, gated at ``min_iou``. A pairing is
*ambiguous* when a rival (another track for the same person, or another person for the same
track) overlaps within ``margin`` IoU of it: both people then start new segments, so an
identity never jumps between two people who are close together. A track unseen for more than
``max_gap`` frames ends. Finally only segments seen at least ``min_length`` times with a mean
person score of at least ``min_score`` are kept; each kept segment is one identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from parttrack.teacher.movenet import box_iou


@dataclass(frozen=True)
class LinkParams:
    """Linking knobs.

    Attributes:
        min_iou: least box IoU to continue a track.
        margin: a rival within this IoU of the chosen pairing makes it ambiguous.
        max_gap: frames (in linked frames, not video frames) a track may go unseen.
        min_length: fewest observations of a kept segment.
        min_score: least mean person score of a kept segment.
    """

    min_iou: float = 0.3
    margin: float = 0.15
    max_gap: int = 2
    min_length: int = 5
    min_score: float = 0.3

    def __post_init__(self) -> None:
        if not 0.0 < self.min_iou <= 1.0:
            raise ValueError(f"min_iou must be in (0, 1], got {self.min_iou}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {self.min_score}")
        if self.max_gap < 0 or self.min_length < 1:
            raise ValueError(f"max_gap must be >= 0 and min_length >= 1, got {self.max_gap}, {self.min_length}")


def associate(iou: np.ndarray, min_iou: float, margin: float) -> tuple[list[tuple[int, int]], set[int]]:
    """Pair tracks (rows) with people (columns) of an IoU matrix ``(T, D)``.

    Returns:
        ``(pairs, ambiguous)``: the Hungarian pairs ``(track, person)`` with IoU >= ``min_iou``
        that are unambiguous, and the people whose best pairing was ambiguous (a rival
        track or person with IoU >= ``min_iou`` and within ``margin`` of it).
    """
    iou = np.asarray(iou, np.float64)
    if iou.size == 0:
        return [], set()
    rows, cols = linear_sum_assignment(-iou)
    pairs: list[tuple[int, int]] = []
    ambiguous: set[int] = set()
    for t, d in zip(rows, cols, strict=True):
        v = iou[t, d]
        if v < min_iou:
            continue
        col = np.delete(iou[:, d], t)
        row = np.delete(iou[t, :], d)
        rivals = np.concatenate([col, row])
        if np.any((rivals >= min_iou) & (rivals > v - margin)):
            ambiguous.add(int(d))
        else:
            pairs.append((int(t), int(d)))
    return pairs, ambiguous


@dataclass
class Segment:
    """One identity: ``frames[k] = person index`` in frame ``k``, and their person scores."""

    id: int
    frames: dict[int, int] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)
    box: np.ndarray | None = None
    last_step: int = 0

    @property
    def mean_score(self) -> float:
        """Mean person score over the segment (0 when empty)."""
        return float(np.mean(self.scores)) if self.scores else 0.0


def link(
    frames: Sequence[int], boxes: Sequence[np.ndarray], scores: Sequence[np.ndarray], params: LinkParams = LinkParams()
) -> list[Segment]:
    """Link people across frames.

    Args:
        frames: frame indices, increasing.
        boxes: per frame, ``(N_k, 4)`` xyxy person boxes in pixels.
        scores: per frame, ``(N_k,)`` person scores.
        params: see :class:`LinkParams`.

    Returns:
        The kept segments (ids 1, 2, ... in order of first appearance among kept ones).
    """
    if not (len(frames) == len(boxes) == len(scores)):
        raise ValueError("frames, boxes and scores must have the same length")
    live: list[Segment] = []
    done: list[Segment] = []
    next_id = 0
    for step, (k, b, s) in enumerate(zip(frames, boxes, scores, strict=True)):
        b = np.asarray(b, np.float64).reshape(-1, 4)
        ended = [t for t in live if step - t.last_step > params.max_gap + 1]
        live = [t for t in live if t not in ended]
        done += ended
        iou = box_iou(np.array([t.box for t in live]).reshape(-1, 4), b)
        pairs, ambiguous = associate(iou, params.min_iou, params.margin)
        paired = {d for _, d in pairs}
        for t, d in pairs:
            seg = live[t]
            seg.frames[k], seg.box, seg.last_step = d, b[d], step
            seg.scores.append(float(s[d]))
        cut = [live[t] for t in range(len(live)) if ambiguous and np.any(iou[t, sorted(ambiguous)] >= params.min_iou)]
        live = [t for t in live if t not in cut]
        done += cut
        for d in range(len(b)):
            if d in paired:
                continue
            live.append(Segment(next_id, {k: d}, [float(s[d])], b[d], step))
            next_id += 1
    done += live
    kept = [g for g in sorted(done, key=lambda g: (min(g.frames), g.id))
            if len(g.frames) >= params.min_length and g.mean_score >= params.min_score]
    for new_id, g in enumerate(kept, start=1):
        g.id = new_id
    return kept
