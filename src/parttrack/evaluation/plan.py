"""What an evaluation runs: methods, data (suites or annotated videos) and per-subject plans
([0005], [0051]).

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
from typing import Literal

import numpy as np

from parttrack.data.types import AnnotatedSequence, BoxXYWH
from parttrack.errors import UsageError
from parttrack.models import Weights
from parttrack.tracker.decoders import METHODS

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


def frames_to_decode(data: EvalData, subjects: Literal["all", "chosen"], max_frames: int | None) -> int:
    """How many frames :func:`run_sequence` decodes for ``data`` (for progress totals)."""
    plans = plan_subjects(data.sequence, subjects, max_frames=max_frames)
    return 0 if not plans else max(p.end for p in plans) - min(p.start for p in plans) + 1


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
    check_video_length(path, seq, source)

    def gen(a: int, b: int) -> Iterator[tuple[int, np.ndarray]]:
        with open_video(source, start=a, end=b) as video:
            for f in video:
                yield f.index, f.image

    return EvalData(seq.info.name, seq, gen)


def check_video_length(path: str | Path, seq: AnnotatedSequence, source: str | Path) -> None:
    """ParseError naming the annotation file when it claims more frames than its video
    decodes (the missing frames would be counted as misses)."""
    from parttrack.data.video import open_video
    from parttrack.errors import ParseError

    claimed = seq.info.num_frames
    with open_video(source) as video:
        n = video.info.num_frames
        if n is not None and claimed > n and not Path(source).is_dir():
            for _ in video.frames(want=lambda _: False):  # a header may undercount: decode
                pass
            n = max(n, video.decoded)
    if n is not None and claimed > n:
        raise ParseError(f"the annotations claim {claimed} frames but the video {source} has {n}", path)


def resolve_data(spec: str, limit: int | None = None) -> list[EvalData]:
    """A suite name (``parttrack.synth.suites.SUITES``; ``limit`` = first N sequences) or a path."""
    if Path(spec).exists():
        return [path_data(spec)]
    from parttrack.synth.suites import SUITES

    if spec in SUITES:
        return suite_data(spec, limit)
    raise UsageError(f"--data {spec!r} is neither a suite ({', '.join(SUITES)}) nor an existing path")


