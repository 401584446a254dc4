"""Running trackers over annotated sequences and scoring every method ([0005], [0051]).

Protocol (one-pass evaluation, no re-initialisation):

* Subjects: with ``subjects="chosen"`` only the sequence's ``subject_id`` (benchmark suites
  set it); with ``"all"`` every subject annotated in at least :data:`MIN_SUBJECT_FRAMES`
  frames (real data: Town Centre clips have 13-20 people; short-lived ones are skipped).
* Each subject is initialised with its ground-truth box on its first *visible* frame
  (visibility >= :data:`MIN_INIT_VISIBILITY` and at least :data:`MIN_INIT_INSIDE` of the box
  area inside the frame: no tracker can be fairly started on a person half out of view, e.g.
  Town Centre people walking in from the bottom edge) and tracked to its last annotated frame. The initialisation frame is not scored; frames in the range where
  the subject is not annotated are tracked but not scored.
* Each video is decoded ONCE; all subjects' trackers are driven frame by frame.
* One :class:`~parttrack.tracker.part_tracker.PartTracker` run per (subject, weights) with
  ``keep_maps=True``; every tracker method (``parttrack.tracker.decoders.METHODS``: the patent's
  ``product`` and the ``region-only``, ``top-down``, ``bottom-up``, ``box-prior`` baselines)
  is decoded from the same maps and subject box. On a lost frame no method predicts.
* Peers (:mod:`parttrack.evaluation.peers`): ``csrt+box-prior`` and ``csrt+top-down``, one CSRT
  run per subject.
* No part-score threshold by default (``part_threshold=0``): every method predicts a point
  whenever the subject is not lost, so hit rates compare localisation, not abstention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from parttrack.data.types import AnnotatedSequence, BoxXYWH
from parttrack.errors import ConfigError, UsageError
from parttrack.evaluation.metrics import (
    PartRecord,
    SubjectRecord,
    part_outcomes,
    subject_outcomes,
    summarize,
)
from parttrack.evaluation.peers import CsrtPeer, TopDownParts, box_prior_parts
from parttrack.models import Weights
from parttrack.tracker.decoders import METHODS, PART_PRIORS, decode_in_image
from parttrack.tracker.part_tracker import PartTracker, TrackerConfig
from parttrack.tracker.result import TrackResult

TRACKER_METHODS: tuple[str, ...] = METHODS
PEER_METHODS: tuple[str, ...] = ("csrt+box-prior", "csrt+top-down")
ALL_METHODS: tuple[str, ...] = TRACKER_METHODS + PEER_METHODS
NO_WEIGHTS = "-"
"""Weights label of methods that use no weights (``csrt+box-prior``)."""
MIN_SUBJECT_FRAMES = 10
MIN_INIT_VISIBILITY = 0.5
MIN_INIT_INSIDE = 0.9

Point = tuple[float, float]
Frames = Iterable[tuple[int, np.ndarray]]


@dataclass(frozen=True)
class SubjectPlan:
    """Where one subject is initialised (``start``, ground-truth ``box``) and tracked to (``end``)."""

    subject_id: int
    start: int
    end: int
    box: BoxXYWH


@dataclass
class Track:
    """One method's predictions for one subject, frame index -> value."""

    boxes: dict[int, BoxXYWH | None] = field(default_factory=dict)
    lost: set[int] = field(default_factory=set)
    points: dict[str, dict[int, Point | None]] = field(default_factory=dict)

    def add(self, frame: int, box: BoxXYWH | None, points: Mapping[str, Point | None]) -> None:
        self.boxes[frame] = box
        if box is None:
            self.lost.add(frame)
        for p, v in points.items():
            self.points.setdefault(p, {})[frame] = v


@dataclass
class SubjectRun:
    """All methods' predictions for one subject of one sequence; ``tracks`` is keyed by
    ``(weights label, method)``."""

    sequence: str
    plan: SubjectPlan
    parts: tuple[str, ...]
    tracks: dict[tuple[str, str], Track] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalData:
    """One annotated sequence to evaluate: ``group`` (suite name or file stem), annotations,
    and ``frames(start, end)`` yielding ``(index, (H, W, 3) uint8 BGR)`` for that range."""

    group: str
    sequence: AnnotatedSequence
    frames: Callable[[int, int], Frames]


def check_methods(methods: Seq[str]) -> tuple[str, ...]:
    """Validate method names (UsageError naming the unknown ones)."""
    bad = [m for m in methods if m not in ALL_METHODS]
    if bad or not methods:
        raise UsageError(f"unknown method(s) {bad or '(none given)'}; choose from {', '.join(ALL_METHODS)}")
    return tuple(dict.fromkeys(methods))


def inside_fraction(box: BoxXYWH, width: int, height: int) -> float:
    """Fraction of the area of ``box`` ``(x, y, w, h)`` inside a ``width`` x ``height`` frame."""
    iw = max(0.0, min(box[0] + box[2], width) - max(box[0], 0.0))
    ih = max(0.0, min(box[1] + box[3], height) - max(box[1], 0.0))
    return iw * ih / (box[2] * box[3])


def plan_subjects(
    seq: AnnotatedSequence,
    subjects: Literal["all", "chosen"] = "all",
    min_frames: int = MIN_SUBJECT_FRAMES,
    max_frames: int | None = None,
) -> list[SubjectPlan]:
    """The subjects to track and their ranges (see the module docstring).

    Args:
        max_frames: if given, track at most this many frames after the initialisation frame.
    """
    if subjects == "chosen":
        if seq.subject_id is None:
            raise UsageError(f"sequence {seq.info.name} has no chosen subject; use --subjects all")
        ids, need = [seq.subject_id], 2
    elif subjects == "all":
        ids, need = seq.subject_ids(), max(min_frames, 2)
    else:
        raise UsageError(f"subjects must be 'all' or 'chosen', got {subjects!r}")
    W, H = seq.info.width, seq.info.height
    plans: list[SubjectPlan] = []
    for sid in ids:
        track = seq.track_of(sid)
        if len(track) < need:
            continue
        start = next((k for k, s in track.items() if s.visibility >= MIN_INIT_VISIBILITY
                      and inside_fraction(s.box, W, H) >= MIN_INIT_INSIDE), None)
        if start is None:
            continue
        end = max(track)
        if max_frames is not None:
            end = min(end, start + max_frames)
        if end > start:
            plans.append(SubjectPlan(sid, start, end, track[start].box))
    return plans


def eval_parts(seq: AnnotatedSequence, weights: Weights) -> tuple[str, ...]:
    """Parts both annotated in ``seq`` and output by ``weights`` (weights' order)."""
    return tuple(p for p in weights.config.parts if p in seq.info.part_names)


def decode_methods(
    result: TrackResult, parts: Seq[str], methods: Seq[str], part_threshold: float = 0.0
) -> dict[str, dict[str, Point | None]]:
    """Every tracker method's part points from one frame's kept maps ([0059]-[0061]).

    Args:
        result: a ``PartTracker`` result made with ``keep_maps=True``.
        parts: part names; methods: a subset of ``parttrack.tracker.decoders.METHODS``.
        part_threshold: a decoded score below this gives None.

    Returns:
        method -> part -> ``(x, y)`` image pixels, or None (lost subject, low score).
    """
    if result.lost or result.box is None:
        return {m: dict.fromkeys(parts) for m in methods}
    maps = result.maps
    if maps is None:
        raise ValueError("result has no maps: track with keep_maps=True")
    out: dict[str, dict[str, Point | None]] = {}
    for m in methods:
        found: dict[str, Point | None] = {}
        for p in parts:
            d = decode_in_image(m, maps, maps.parts.index(p), p, result.box, maps.window, maps.stride)
            found[p] = None if d.score < part_threshold else d.point
        out[m] = found
    return out


class _SubjectEngines:
    """The trackers of one subject: a PartTracker per weights, a CSRT peer if asked."""

    def __init__(self, run: SubjectRun, weights: Mapping[str, Weights], methods: Seq[str],
                 tracker_config: TrackerConfig | None, device: str,
                 top_down: Mapping[str, TopDownParts]) -> None:
        self.run = run
        self.tm = [m for m in methods if m in TRACKER_METHODS]
        self.pm = [m for m in methods if m in PEER_METHODS]
        self.trackers = {
            label: PartTracker(w, tracker_config, device, keep_maps=True, parts=run.parts or None)
            for label, w in weights.items()
        } if self.tm else {}
        self.peer = CsrtPeer() if self.pm else None
        for label in self.trackers:
            for m in self.tm:
                run.tracks[(label, m)] = Track()
        if "csrt+box-prior" in self.pm:
            run.tracks[(NO_WEIGHTS, "csrt+box-prior")] = Track()
        if "csrt+top-down" in self.pm:
            for label in top_down:
                run.tracks[(label, "csrt+top-down")] = Track()

    def initialize(self, image: np.ndarray, k: int) -> None:
        box = self.run.plan.box
        for t in self.trackers.values():
            t.initialize(image, box, frame_index=k)
        if self.peer is not None:
            self.peer.initialize(image, box)

    def step(self, image: np.ndarray, k: int, part_threshold: float) -> BoxXYWH | None:
        """Track every engine into frame ``k``; returns the CSRT box for batched top-down."""
        parts = self.run.parts
        for label, t in self.trackers.items():
            r = t.track(image, frame_index=k)
            for m, pts in decode_methods(r, parts, self.tm, part_threshold).items():
                self.run.tracks[(label, m)].add(k, None if r.lost else r.box, pts)
        if self.peer is None:
            return None
        box = self.peer.track(image)
        if "csrt+box-prior" in self.pm:
            pts = box_prior_parts(box, parts) if box is not None else dict.fromkeys(parts)
            self.run.tracks[(NO_WEIGHTS, "csrt+box-prior")].add(k, box, pts)
        return box


def run_sequence(
    data: EvalData,
    weights: Mapping[str, Weights],
    methods: Seq[str],
    subjects: Literal["all", "chosen"] = "all",
    max_frames: int | None = None,
    device: str = "cpu",
    tracker_config: TrackerConfig | None = None,
    part_threshold: float = 0.0,
    on_frame: Callable[[int], None] | None = None,
) -> list[SubjectRun]:
    """Track every planned subject of one sequence with every method, decoding the video once.

    Args:
        weights: label -> weights; every label gets its own tracker run per subject.
        methods: names from :data:`ALL_METHODS`.
        on_frame: called with 1 after each decoded frame (progress bars).

    Returns:
        one :class:`SubjectRun` per planned subject.
    """
    methods = check_methods(methods)
    if not weights and any(m != "csrt+box-prior" for m in methods):
        raise UsageError("weights are needed for every method but csrt+box-prior")
    seq = data.sequence
    plans = plan_subjects(seq, subjects, max_frames=max_frames)
    if not plans:
        return []
    parts_by = {eval_parts(seq, w) for w in weights.values()}
    if len(parts_by) > 1:
        raise ConfigError(f"weights evaluated together must output the same parts, got {sorted(parts_by)}")
    parts = parts_by.pop() if parts_by else tuple(p for p in seq.info.part_names if p in PART_PRIORS)
    top_down = {lbl: TopDownParts(w, device) for lbl, w in weights.items()} if "csrt+top-down" in methods else {}
    runs = [SubjectRun(seq.info.name, p, parts) for p in plans]
    engines = [_SubjectEngines(r, weights, methods, tracker_config, device, top_down) for r in runs]
    first, last = min(p.start for p in plans), max(p.end for p in plans)
    for k, image in data.frames(first, last):
        if k > last:
            break
        peer_boxes: list[tuple[_SubjectEngines, BoxXYWH]] = []
        for e in engines:
            plan = e.run.plan
            if k == plan.start:
                e.initialize(image, k)
            elif plan.start < k <= plan.end:
                b = e.step(image, k, part_threshold)
                if b is not None:
                    peer_boxes.append((e, b))
                elif "csrt+top-down" in e.pm:
                    for label in top_down:
                        e.run.tracks[(label, "csrt+top-down")].add(k, None, dict.fromkeys(parts))
        if peer_boxes and top_down:
            for label, td in top_down.items():
                found = td.detect(image, [b for _, b in peer_boxes], parts)
                for (e, b), pts in zip(peer_boxes, found, strict=True):
                    e.run.tracks[(label, "csrt+top-down")].add(k, b, pts)
        if on_frame is not None:
            on_frame(1)
    return runs


def frames_to_decode(data: EvalData, subjects: Literal["all", "chosen"], max_frames: int | None) -> int:
    """How many frames :func:`run_sequence` decodes for ``data`` (for progress totals)."""
    plans = plan_subjects(data.sequence, subjects, max_frames=max_frames)
    return 0 if not plans else max(p.end for p in plans) - min(p.start for p in plans) + 1


def score_run(run: SubjectRun, seq: AnnotatedSequence) -> dict[tuple[str, str], dict[str, Any]]:
    """Per-frame records of every track of ``run`` over its scored frames (init frame excluded).

    Returns:
        ``(weights, method) -> {"parts": {part: [PartRecord]}, "subject": {part or None:
        [SubjectRecord]}}`` (subject records carry each part's proximity bucket).
    """
    only = set(range(run.plan.start + 1, run.plan.end + 1))
    sid = run.plan.subject_id
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, t in run.tracks.items():
        parts = {p: part_outcomes(t.points.get(p, {}), seq, sid, p, only) for p in run.parts}
        subj = {p: subject_outcomes(t.boxes, seq, sid, t.lost, only, p) for p in (run.parts or (None,))}
        out[key] = {"parts": parts, "subject": subj}
    return out


def aggregate(scored: Iterable[tuple[str, SubjectRun, dict[tuple[str, str], dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Rows ``{"data", "weights", "method", "part_name", "part", "subject", "by_bucket"}`` of
    :func:`~parttrack.evaluation.metrics.summarize` over all subjects of each group
    (micro-average over frames), one per (group, weights, method, part); ordered by group,
    part, weights (as given; weight-free peers last), method (:data:`ALL_METHODS`). A part
    never annotated as a box in a group (e.g. eyes of people all facing away) gets no rows."""
    acc: dict[tuple[str, str, str, str | None], tuple[list[PartRecord], list[SubjectRecord]]] = {}
    for group, run, recs in scored:
        for (label, method), r in recs.items():
            for p in run.parts or (None,):
                pr, sr = acc.setdefault((group, label, method, p), ([], []))
                if p is not None:
                    pr.extend(r["parts"][p])
                sr.extend(r["subject"][p])
    scored_parts = {(g, p) for (g, _, _, p), (pr, _) in acc.items() if p is None or pr}
    first: dict[Any, int] = {}
    for g, lbl, _, p in acc:
        for key in (("g", g), ("w", lbl), ("p", p)):
            first.setdefault(key, len(first))
    order = {m: i for i, m in enumerate(ALL_METHODS)}
    keys = sorted((k for k in acc if (k[0], k[3]) in scored_parts), key=lambda k: (
        first[("g", k[0])], first[("p", k[3])], k[1] == NO_WEIGHTS, first[("w", k[1])], order[k[2]]))
    return [{"data": g, "weights": lbl, "method": m, "part_name": p, **summarize(*acc[(g, lbl, m, p)])}
            for g, lbl, m, p in keys]


def suite_data(name: str, limit: int | None = None) -> list[EvalData]:
    """The sequences of a named synthetic suite (``parttrack.synth.suites``), frames in memory."""
    from parttrack.synth.suites import build_suite

    out = []
    for clip in build_suite(name, limit):
        frames = clip.frames

        def gen(a: int, b: int, frames: list[np.ndarray] = frames) -> Iterator[tuple[int, np.ndarray]]:
            for k in range(a, min(b, len(frames) - 1) + 1):
                yield k, frames[k]

        out.append(EvalData(name, clip.sequence, gen))
    return out


def path_data(path: str | Path) -> EvalData:
    """An annotated sequence from a file or folder (``parttrack.data.load.load_sequence``)
    whose video is decoded with ``parttrack.data.video.open_video``."""
    from parttrack.data.load import load_sequence
    from parttrack.data.video import open_video

    seq = load_sequence(path)
    if seq.info.source is None:
        raise UsageError(f"no video found for the annotations in {path}")
    source = seq.info.source

    def gen(a: int, b: int) -> Iterator[tuple[int, np.ndarray]]:
        with open_video(source, start=a, end=b) as video:
            for f in video:
                yield f.index, f.image

    return EvalData(seq.info.name, seq, gen)


def resolve_data(spec: str, limit: int | None = None) -> list[EvalData]:
    """A suite name (``parttrack.synth.suites.SUITES``; ``limit`` = first N sequences) or a path."""
    if Path(spec).exists():
        return [path_data(spec)]
    from parttrack.synth.suites import SUITES

    if spec in SUITES:
        return suite_data(spec, limit)
    raise UsageError(f"--data {spec!r} is neither a suite ({', '.join(SUITES)}) nor an existing path")


@dataclass
class Evaluation:
    """Everything a report needs.

    Attributes:
        rows: one per (data group, weights, method, part), see :func:`aggregate`.
        runs: one per (sequence, subject, weights, method): range and per-part hit/hijack
            counts, for drill-down.
        sequences: one per evaluated sequence: group, name, subjects tracked.
    """

    rows: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    sequences: list[dict[str, Any]]


def evaluate(
    data: Seq[EvalData],
    weights: Mapping[str, Weights],
    methods: Seq[str],
    subjects: Literal["all", "chosen"] = "all",
    max_frames: int | None = None,
    device: str = "cpu",
    tracker_config: TrackerConfig | None = None,
    part_threshold: float = 0.0,
    on_frame: Callable[[int], None] | None = None,
) -> Evaluation:
    """Run :func:`run_sequence` over every sequence and score all methods ([0005], [0051]).

    Args: as :func:`run_sequence`; ``data`` from :func:`resolve_data`.
    """
    methods = check_methods(methods)
    scored: list[tuple[str, SubjectRun, dict[tuple[str, str], dict[str, Any]]]] = []
    runs: list[dict[str, Any]] = []
    sequences: list[dict[str, Any]] = []
    for d in data:
        subject_runs = run_sequence(d, weights, methods, subjects, max_frames, device,
                                    tracker_config, part_threshold, on_frame)
        sequences.append({"data": d.group, "sequence": d.sequence.info.name,
                          "subjects": [r.plan.subject_id for r in subject_runs]})
        for r in subject_runs:
            recs = score_run(r, d.sequence)
            scored.append((d.group, r, recs))
            for (label, method), rec in recs.items():
                runs.append({
                    "data": d.group, "sequence": r.sequence, "subject": r.plan.subject_id,
                    "start": r.plan.start, "end": r.plan.end, "weights": label, "method": method,
                    "parts": {p: {o: sum(x.outcome == o for x in v) for o in ("hit", "hijack", "miss")}
                              for p, v in rec["parts"].items()},
                    "lost_frames": sum(x.lost for x in next(iter(rec["subject"].values()))),
                })
    return Evaluation(aggregate(scored), runs, sequences)
