"""Part and subject tracking metrics (pure numpy): does the point land on the SUBJECT's part?

The patent's claim ([0005], [0051]): the element product keeps a nearby person's part from
being taken for the tracked subject's. These metrics measure exactly that, per frame:

* **hit**: the predicted part point lies inside the subject's own part box (edges included);
* **hijack**: not a hit, but inside ANOTHER person's same-part box in that frame;
* **miss**: anything else, including no prediction (lost subject, no point).

Only frames where the subject's part is annotated as a :class:`PartBox` (visible or occluded)
are scored. Each scored frame also gets a *proximity*: the distance from the subject's part
centre to the nearest other person's same-part centre, in subject part heights, bucketed as
``<1`` ([0, 1)), ``1-2`` ([1, 2)), ``2-4`` ([2, 4)), ``>4`` ([4, inf)) or ``none`` (nobody else
has that part annotated in the frame).

Subject metrics follow the OTB protocol: success AUC = mean over IoU thresholds
``0, 0.05, ..., 1`` (21 steps) of the fraction of frames with IoU ``>`` threshold; precision@20 =
fraction of frames with centre error ``<=`` 20 px; normalised precision (LaSOT) = centre error
``<=`` 0.2 box sizes; identity switches = changes of the person the predicted box lies on
(IoU >= 0.5), per 1,000 scored frames; absence recall / precision = hidden frames (visibility
0) reported lost / lost frames that were hidden. A frame with no predicted box (or a lost one)
has IoU 0 and an infinite centre error.

Example::

    from parttrack.evaluation.metrics import part_outcomes, summarize

    recs = part_outcomes({5: (102.0, 40.5), 6: None}, sequence, subject_id=3, part="head")
    print(summarize(recs)["part"]["hit_rate"])
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from parttrack.data.types import AnnotatedSequence, BoxXYWH, PartBox, box_center, box_contains

Point = tuple[float, float]
Outcome = Literal["hit", "hijack", "miss"]

BUCKETS: tuple[str, ...] = ("<1", "1-2", "2-4", ">4", "none")
"""Proximity buckets, in subject part heights (see module docstring)."""

OTB_THRESHOLDS: np.ndarray = np.linspace(0.0, 1.0, 21)
"""IoU thresholds of the OTB success plot."""

PRECISION_PX = 20.0
PCK_ALPHA = 0.5


@dataclass(frozen=True)
class PartRecord:
    """One scored frame of one part of one tracked subject.

    Attributes:
        frame: 0-based frame index.
        outcome: ``"hit"``, ``"hijack"`` or ``"miss"``.
        predicted: whether a point was predicted at all.
        error: distance to the subject's part centre / part height (None: no prediction).
        proximity: nearest other same-part centre distance / subject part height (None:
            nobody else has the part annotated).
        bucket: one of :data:`BUCKETS`.
        visible: the subject's part is annotated visible (False: occluded but located).
    """

    frame: int
    outcome: Outcome
    predicted: bool
    error: float | None
    proximity: float | None
    bucket: str
    visible: bool = True


@dataclass(frozen=True)
class SubjectRecord:
    """One scored frame of a tracked subject's box.

    Attributes:
        frame: 0-based frame index.
        iou: IoU of predicted and annotated subject boxes (0 with no prediction / lost).
        center_error: centre distance in pixels (``inf`` with no prediction / lost).
        lost: the tracker reported the subject lost (or gave no box).
        bucket: the frame's proximity bucket for the evaluated part, or None if unknown.
        identity: id of the annotated person the predicted box overlaps most (IoU >= 0.5),
            or None (no box, or nobody): where identity switches are counted.
        hidden: the subject is annotated fully hidden (visibility 0) in this frame.
        norm_error: centre error in units of the annotated box's width and height (LaSOT's
            normalised precision), ``inf`` with no box.
    """

    frame: int
    iou: float
    center_error: float
    lost: bool
    bucket: str | None = None
    identity: int | None = None
    hidden: bool = False
    norm_error: float = math.inf


def proximity_bucket(proximity: float | None) -> str:
    """Bucket name for a proximity in part heights (None -> ``"none"``)."""
    if proximity is None:
        return "none"
    if proximity < 0 or math.isnan(proximity):
        raise ValueError(f"proximity must be a non-negative number, got {proximity}")
    if proximity < 1.0:
        return "<1"
    if proximity < 2.0:
        return "1-2"
    if proximity < 4.0:
        return "2-4"
    return ">4"


def box_iou(a: BoxXYWH | None, b: BoxXYWH | None) -> float:
    """IoU of two ``(x, y, w, h)`` boxes; 0 when either is None or has no area."""
    if a is None or b is None or a[2] <= 0 or a[3] <= 0 or b[2] <= 0 or b[3] <= 0:
        return 0.0
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


def _scored(frames: AnnotatedSequence, only: Collection[int] | None) -> list[int]:
    return [k for k in sorted(frames.frames) if only is None or k in only]


def frame_proximity(frames: AnnotatedSequence, frame: int, subject_id: int, part: str) -> float | None:
    """Nearest other person's ``part`` centre distance / the subject's part height.

    Returns None when the subject's part is not a PartBox or nobody else has the part.
    """
    ann = frames.frames.get(frame)
    subj = None if ann is None else ann.get(subject_id)
    own = None if subj is None else subj.part(part)
    if ann is None or own is None:
        return None
    c = np.asarray(box_center(own.box))
    others = [np.asarray(box_center(pb.box)) for s in ann.subjects if s.id != subject_id
              for pb in [s.part(part)] if pb is not None]
    if not others:
        return None
    d = np.linalg.norm(np.stack(others) - c, axis=1).min()
    return float(d / own.box[3])


def part_outcomes(
    pred_points: Mapping[int, Point | None],
    frames: AnnotatedSequence,
    subject_id: int,
    part: str,
    only: Collection[int] | None = None,
) -> list[PartRecord]:
    """Score predicted part points of one tracked subject, frame by frame ([0005], [0060]).

    Args:
        pred_points: frame index -> predicted ``(x, y)`` image pixels, or None (no prediction,
            lost). Frames missing from the mapping count as no prediction.
        frames: the annotated sequence.
        subject_id: the tracked subject.
        part: part name, e.g. ``"head"``.
        only: if given, score only these frame indices (e.g. the tracked range without the
            initialisation frame).

    Returns:
        One :class:`PartRecord` per frame (ascending) where the subject's part is a PartBox.
    """
    out: list[PartRecord] = []
    for k in _scored(frames, only):
        ann = frames.frames[k]
        subj = ann.get(subject_id)
        own = None if subj is None else subj.part(part)
        if not isinstance(own, PartBox):
            continue
        prox = frame_proximity(frames, k, subject_id, part)
        p = pred_points.get(k)
        if p is None:
            out.append(PartRecord(k, "miss", False, None, prox, proximity_bucket(prox), own.visible))
            continue
        pt = (float(p[0]), float(p[1]))
        cx, cy = box_center(own.box)
        err = math.hypot(pt[0] - cx, pt[1] - cy) / own.box[3]
        outcome: Outcome
        if box_contains(own.box, pt):
            outcome = "hit"
        elif any(
            s.id != subject_id and s.part(part) is not None and box_contains(s.part(part).box, pt)  # type: ignore[union-attr]
            for s in ann.subjects
        ):
            outcome = "hijack"
        else:
            outcome = "miss"
        out.append(PartRecord(k, outcome, True, err, prox, proximity_bucket(prox), own.visible))
    return out


def subject_outcomes(
    pred_boxes: Mapping[int, BoxXYWH | None],
    frames: AnnotatedSequence,
    subject_id: int,
    lost: Collection[int] = (),
    only: Collection[int] | None = None,
    part: str | None = None,
) -> list[SubjectRecord]:
    """Score predicted subject boxes (OTB IoU and centre error) frame by frame ([0047]).

    Args:
        pred_boxes: frame index -> predicted ``(x, y, w, h)`` or None; missing = None.
        frames: the annotated sequence.
        subject_id: the tracked subject.
        lost: frames the tracker reported lost (scored as IoU 0, infinite centre error).
        only: if given, score only these frame indices.
        part: if given, each record carries the frame's proximity bucket for this part.

    Returns:
        One :class:`SubjectRecord` per frame (ascending) where the subject is annotated.
    """
    lost_set = set(lost)
    out: list[SubjectRecord] = []
    for k in _scored(frames, only):
        subj = frames.frames[k].get(subject_id)
        if subj is None:
            continue
        bucket = None
        if part is not None and subj.part(part) is not None:
            bucket = proximity_bucket(frame_proximity(frames, k, subject_id, part))
        b = pred_boxes.get(k)
        hidden = subj.visibility <= 0.0
        is_lost = k in lost_set or b is None
        if is_lost:
            out.append(SubjectRecord(k, 0.0, math.inf, True, bucket, None, hidden))
            continue
        (px, py), (gx, gy) = box_center(b), box_center(subj.box)  # type: ignore[arg-type]
        err = math.hypot(px - gx, py - gy)
        norm = math.hypot((px - gx) / max(subj.box[2], 1e-9), (py - gy) / max(subj.box[3], 1e-9))
        ious = [(box_iou(b, s.box), s.id) for s in frames.frames[k].subjects]
        best = max(ious, default=(0.0, None))
        who = best[1] if best[0] >= 0.5 else None
        out.append(SubjectRecord(k, box_iou(b, subj.box), err, False, bucket, who, hidden, norm))
    return out


def identity_switches(records: Iterable[SubjectRecord]) -> int:
    """Frames where the person the predicted box lies on changes (MOT's ID switch, seen from
    the one tracked subject): each change of :attr:`SubjectRecord.identity` between two frames
    with an identity, frames without one (lost, or on nobody) skipped. ``records`` are in run
    order (ascending frames per run); a frame index that does not increase starts a new run."""
    last, last_frame, n = None, None, 0
    for r in records:  # in the order given: one run after another
        if last_frame is not None and r.frame <= last_frame:
            last = None  # frames start again: the next run (sequence or subject)
        last_frame = r.frame
        if r.identity is None:
            continue
        if last is not None and r.identity != last:
            n += 1
        last = r.identity
    return n


def _rate(n: int, d: int) -> float | None:
    return None if d == 0 else n / d


def summarize_parts(records: Iterable[PartRecord]) -> dict[str, Any]:
    """Aggregate part records (micro-average over all frames given).

    Returns:
        ``frames``, ``hits``, ``hijacks``, ``misses``, ``no_prediction``, ``hit_rate``,
        ``hijack_rate``, ``miss_rate``, ``pck@0.5`` (error <= 0.5 part heights; no prediction
        fails), ``mean_error`` / ``median_error`` (part heights, over predicted frames).
        Rates are None when there are no frames.
    """
    recs = list(records)
    n = len(recs)
    counts = {o: sum(r.outcome == o for r in recs) for o in ("hit", "hijack", "miss")}
    errs = np.array([r.error for r in recs if r.error is not None], dtype=np.float64)
    return {
        "frames": n,
        "hits": counts["hit"],
        "hijacks": counts["hijack"],
        "misses": counts["miss"],
        "no_prediction": sum(not r.predicted for r in recs),
        "hit_rate": _rate(counts["hit"], n),
        "hijack_rate": _rate(counts["hijack"], n),
        "miss_rate": _rate(counts["miss"], n),
        "pck@0.5": _rate(int((errs <= PCK_ALPHA).sum()), n),
        "mean_error": float(errs.mean()) if errs.size else None,
        "median_error": float(np.median(errs)) if errs.size else None,
    }


def success_curve(ious: Iterable[float]) -> np.ndarray:
    """OTB success rates ``(21,)``: fraction of frames with IoU > each threshold (empty: NaN)."""
    v = np.asarray(list(ious), dtype=np.float64)
    if v.size == 0:
        return np.full(OTB_THRESHOLDS.shape, np.nan)
    return (v[None, :] > OTB_THRESHOLDS[:, None]).mean(axis=1)


def summarize_subject(records: Iterable[SubjectRecord]) -> dict[str, Any]:
    """Aggregate subject records: ``frames``, ``lost_frames``, ``success_auc`` (OTB, mean of the
    21-step success curve), ``precision@20`` (centre error <= 20 px), ``mean_iou``,
    ``success_curve`` (list of 21). Rates are None when there are no frames."""
    recs = list(records)
    n = len(recs)
    ious = [r.iou for r in recs]
    curve = success_curve(ious)
    hidden = sum(r.hidden for r in recs)
    lost = sum(r.lost for r in recs)
    switches = identity_switches(recs)
    return {
        "frames": n,
        "lost_frames": lost,
        "success_auc": float(curve.mean()) if n else None,
        "precision@20": _rate(sum(r.center_error <= PRECISION_PX for r in recs), n),
        "norm_precision@0.2": _rate(sum(r.norm_error <= 0.2 for r in recs), n),
        "mean_iou": float(np.mean(ious)) if n else None,
        "id_switches": switches,
        "id_switches_per_1000": None if n == 0 else 1000.0 * switches / n,
        "hidden_frames": hidden,
        "absence_recall": _rate(sum(r.hidden and r.lost for r in recs), hidden),
        "absence_precision": _rate(sum(r.hidden and r.lost for r in recs), lost),
        "success_curve": [float(v) for v in curve] if n else None,
    }


def summarize(
    part_records: Iterable[PartRecord] = (), subject_records: Iterable[SubjectRecord] = ()
) -> dict[str, Any]:
    """Everything, overall and by proximity bucket.

    Returns:
        ``{"part": summarize_parts(all), "subject": summarize_subject(all),
        "by_bucket": {bucket: {"part": ..., "subject": ...}} for every bucket in BUCKETS}``.
    """
    parts, subs = list(part_records), list(subject_records)
    return {
        "part": summarize_parts(parts),
        "subject": summarize_subject(subs),
        "by_bucket": {
            b: {
                "part": summarize_parts(r for r in parts if r.bucket == b),
                "subject": summarize_subject(r for r in subs if r.bucket == b),
            }
            for b in BUCKETS
        },
    }


def record_dict(record: PartRecord | SubjectRecord) -> dict[str, Any]:
    """A record as a JSON-safe dict (infinite errors as None)."""
    d = asdict(record)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
