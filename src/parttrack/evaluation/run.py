"""Running every method over annotated sequences ([0005], [0051]): one video decode per
sequence, a :class:`~parttrack.tracker.PartTracker` per (subject, weights) whose kept maps feed
every decoder, CSRT peers; then scoring (:mod:`parttrack.evaluation.score`) and the
``parttrack eval`` command (:func:`run_eval`: report files via :mod:`parttrack.evaluation.report`).
The protocol itself is described in :mod:`parttrack.evaluation.plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Sequence as Seq
from pathlib import Path
from typing import Any, Literal

import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.errors import ConfigError, UsageError
from parttrack.evaluation.peers import CsrtPeer, TopDownParts, box_prior_parts
from parttrack.evaluation.plan import (
    NO_WEIGHTS,
    PEER_METHODS,
    TRACKER_METHODS,
    EvalData,
    Point,
    SubjectRun,
    Track,
    check_methods,
    eval_parts,
    plan_subjects,
)
from parttrack.evaluation.score import Evaluation, aggregate, score_run
from parttrack.models import Weights
from parttrack.runtime.backend import Backend, default_backend, make_backend
from parttrack.tracker.config import TrackerConfig
from parttrack.tracker.decoders import PART_PRIORS, decode_in_image
from parttrack.tracker.part_tracker import PartTracker
from parttrack.tracker.result import TrackResult


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
                 top_down: Mapping[str, TopDownParts], backends: Mapping[str, Backend]) -> None:
        self.run = run
        self.tm = [m for m in methods if m in TRACKER_METHODS]
        self.pm = [m for m in methods if m in PEER_METHODS]
        self.trackers = {
            label: PartTracker(w, tracker_config, device, backends.get(label), keep_maps=True,
                               parts=run.parts or None)
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
    backends: Mapping[str, Backend] | None = None,
) -> list[SubjectRun]:
    """Track every planned subject of one sequence with every method, decoding the video once.

    Args:
        weights: label -> weights; every label gets its own tracker run per subject.
        methods: names from :data:`ALL_METHODS`.
        on_frame: called with 1 after each decoded frame (progress bars).
        backends: label -> a ready network backend shared by that label's trackers (see
            :func:`make_backends`); a label without one runs on torch.

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
    engines = [_SubjectEngines(r, weights, methods, tracker_config, device, top_down, backends or {})
               for r in runs]
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
    backends: Mapping[str, Backend] | None = None,
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
                                    tracker_config, part_threshold, on_frame, backends)
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


def make_backends(
    weights: Mapping[str, Weights], paths: Mapping[str, Path | None], backend: str | None = None,
    threads: int | None = None, device: str = "cpu",
) -> dict[str, Backend]:
    """One network backend per weights label, shared by all of that label's trackers (the
    template features live in each tracker, so subjects do not interfere).

    onnxruntime (``backend`` None: where installed and able to run on ``device``) opens the weights file's cached graphs
    (:func:`~parttrack.runtime.cache.cached_graphs`, exported once per file); torch wraps the
    loaded modules.
    """
    name = default_backend(device) if backend is None else backend
    if name == "onnxruntime":
        from parttrack.runtime.cache import cached_graphs

        return {lbl: make_backend(cached_graphs(paths.get(lbl)), name, threads, device) for lbl in weights}
    return {lbl: make_backend(w, name, threads, device) for lbl, w in weights.items()}


def commit_hash(repo: str | Path | None = None) -> str:
    """``git rev-parse HEAD`` of the source checkout (``-dirty`` when it has changes), or
    ``"unknown"`` outside a git checkout."""
    import subprocess

    cwd = Path(repo) if repo is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def parse_weights(specs: list[str], label: str | None = None) -> dict[str, Path | None]:
    """``--weights`` values -> label -> path (None = the shipped weights).

    ``PATH`` or ``LABEL=PATH``, repeatable; with no spec, the shipped weights labelled
    ``label`` or ``"shipped"``; one unlabelled spec takes ``label`` or the file stem.
    """
    if not specs:
        return {label or "shipped": None}
    out: dict[str, Path | None] = {}
    for spec in specs:
        if "=" in spec and not Path(spec).exists():
            name, path = spec.split("=", 1)
            if not name:
                raise UsageError(f"--weights {spec!r}: empty label before '='")
        else:
            path = spec
            name = label if (label and len(specs) == 1) else Path(spec).stem
        if name in out or name == NO_WEIGHTS:
            raise UsageError(f"--weights label {name!r} is used twice or reserved; give LABEL=PATH")
        out[name] = Path(path)
    return out


def run_eval(
    data: list[str],
    methods: list[str],
    out: str | Path,
    weights: list[str] | None = None,
    label: str | None = None,
    subjects: str = "all",
    limit: int | None = None,
    max_frames: int | None = None,
    device: str = "cpu",
    tracker_config: str | Path | None = None,
    part_threshold: float = 0.0,
    progress: bool = True,
    backend: str | None = None,
    threads: int | None = None,
) -> list[Path]:
    """The ``parttrack eval`` command: resolve data and weights, evaluate, write the report.

    Args:
        data: suite names (``parttrack.synth.suites``) or annotation/video paths.
        methods: names from ``parttrack.evaluation.plan.ALL_METHODS``.
        weights: ``PATH`` or ``LABEL=PATH`` (see :func:`parse_weights`); one report row per
            (weights, method).
        limit: first N sequences of each suite.
        max_frames: track at most N frames per subject after its initialisation frame.
        tracker_config: YAML of ``parttrack.tracker.TrackerConfig``.
        backend: ``"onnxruntime"`` or ``"torch"`` (None: onnxruntime where installed);
            threads: its intra-op threads (None: the backend's default).

    Returns:
        the written paths, report.md first.
    """
    import torch
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from parttrack import __version__
    from parttrack.config import load_yaml
    from parttrack.evaluation.plan import (
        MIN_INIT_INSIDE,
        MIN_INIT_VISIBILITY,
        MIN_SUBJECT_FRAMES,
        frames_to_decode,
        resolve_data,
    )
    from parttrack.evaluation.report import write_report
    from parttrack.models import load_weights

    if subjects not in ("all", "chosen"):
        raise UsageError(f"--subjects must be 'all' or 'chosen', got {subjects!r}")
    if not data:
        raise UsageError("give at least one --data SUITE|PATH")
    methods_t = check_methods(methods)
    paths = parse_weights(list(weights or []), label)
    needs_weights = any(m != "csrt+box-prior" for m in methods_t)
    loaded = {lbl: load_weights(p) for lbl, p in paths.items()} if needs_weights else {}
    tcfg = None if tracker_config is None else load_yaml(TrackerConfig, tracker_config)
    backends = make_backends(loaded, paths, backend, threads, device)
    sets = [d for spec in data for d in resolve_data(spec, limit)]
    total = sum(frames_to_decode(d, subjects, max_frames) for d in sets)  # type: ignore[arg-type]
    cmd = ["parttrack eval", *(f"--data {d}" for d in data), f"--methods {','.join(methods_t)}",
           *(f"--weights {w}" for w in weights or []), *([f"--label {label}"] if label else []),
           f"--subjects {subjects}", *([f"--limit {limit}"] if limit else []),
           *([f"--max-frames {max_frames}"] if max_frames else []),
           *([f"--tracker-config {tracker_config}"] if tracker_config else []),
           *([f"--part-threshold {part_threshold}"] if part_threshold else []), f"--out {out}"]
    meta: dict[str, Any] = {
        "command": " ".join(cmd),
        "commit": commit_hash(),
        "parttrack": __version__,
        "torch": torch.__version__,
        "device": device,
        "backend": next(iter(backends.values())).name if backends else None,
        "subjects": ("the sequence's chosen subject" if subjects == "chosen" else
                     f"every subject annotated >= {MIN_SUBJECT_FRAMES} frames")
        + f"; initialised on its first frame with visibility >= {MIN_INIT_VISIBILITY} and >= "
          f"{MIN_INIT_INSIDE:.0%} of its box inside the frame; tracked to its last annotated frame",
        "weights": {lbl: ("shipped" if p is None else str(p)) for lbl, p in paths.items()} if loaded else {},
    }
    with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
                  TimeElapsedColumn(), disable=not progress) as bar:
        task = bar.add_task("eval", total=total)
        ev = evaluate(sets, loaded, methods_t, subjects, max_frames, device, tcfg,  # type: ignore[arg-type]
                      part_threshold, lambda n: bar.advance(task, n), backends)
    return write_report(ev, out, meta)
