"""``parttrack demo``: track the chosen subject of a synthetic crossing clip through the
:mod:`parttrack.pipeline`, and score its head against the clip's annotations.

Example::

    summary = run_demo("demo-out")
    print(summary.head_hit_rate)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from parttrack.data.types import AnnotatedSequence
from parttrack.errors import CheckpointError
from parttrack.pipeline import TrackSummary, track_frames
from parttrack.tracker.part_tracker import PartTracker
from parttrack.tracker.result import TrackResult


@dataclass
class DemoSummary:
    """``parttrack demo``'s numbers: the tracking run, the head hit rate against the clip's
    annotations (None without head annotations) and the files written."""

    track: TrackSummary
    head_hit_rate: float | None
    scored_frames: int
    files: list[Path]


def _head_hit_rate(
    results: list[TrackResult], seq: AnnotatedSequence, subject_id: int, first: int
) -> tuple[float | None, int]:
    """Hit = predicted head point inside the subject's head box, over the annotated frames
    after the initialisation frame (``parttrack.evaluation.metrics``)."""
    from parttrack.evaluation.metrics import part_outcomes, summarize_parts

    points = {
        r.frame: None if r.parts.get("head") is None else r.parts["head"].point for r in results
    }
    only = [r.frame for r in results if r.frame > first]
    recs = part_outcomes(points, seq, subject_id, "head", only=only)
    return summarize_parts(recs)["hit_rate"], len(recs)


def run_demo(
    out: str | Path = "demo-out",
    weights: str | Path | None = None,
    device: str = "cpu",
    progress: bool = False,
    threads: int | None = None,
) -> DemoSummary:
    """``parttrack demo``: track the chosen subject of the first ``crossing`` clip.

    Writes ``input.mp4`` + ``input.jsonl`` (the clip and its annotations), ``track.mp4``,
    ``track.jsonl`` and ``panels/*.png`` (FIG. 3 at the first frame, the frame where the
    subject's head is nearest another head, and the last frame) under ``out``.

    ``threads``: intra-op CPU threads of the networks (default
    :data:`parttrack.runtime.backend.DEFAULT_THREADS`).

    Raises:
        CheckpointError: the weights (shipped by default) are missing or broken.
    """
    from parttrack.models import default_weights_path

    path = default_weights_path() if weights is None else Path(weights)
    if not path.is_file():
        hint = "run `make train` to make the shipped weights" if weights is None else "check --weights"
        raise CheckpointError(f"weights file not found ({hint})", path)
    from parttrack.data.jsonl import write_sequence
    from parttrack.data.video import VideoWriter
    from parttrack.evaluation.metrics import frame_proximity
    from parttrack.runtime.backend import DEFAULT_THREADS
    from parttrack.synth.suites import build_suite

    # torch's default (all cores) is ~25x slower on a busy 2-core machine than 1 thread
    tracker = PartTracker.from_weights(path, device=device, num_threads=threads or DEFAULT_THREADS)
    out = Path(out)
    clip = build_suite("crossing", limit=1)[0]
    seq, sid = clip.sequence, clip.sequence.subject_id
    if sid is None:
        raise ValueError("the crossing suite's clip has no chosen subject")
    seq = dataclasses.replace(seq, info=dataclasses.replace(seq.info, source=str(out / "input.mp4")))
    h, w = clip.frames[0].shape[:2]
    with VideoWriter(out / "input.mp4", seq.info.fps, (w, h)) as writer:
        for image in clip.frames:
            writer.write(image)
    write_sequence(seq, out / "input.jsonl")
    track = seq.track_of(sid)
    first, last = min(track), len(clip.frames) - 1
    prox = {k: frame_proximity(seq, k, sid, "head") for k in track if track[k].part("head") is not None}
    near = [k for k, p in prox.items() if p is not None]
    panel_frames = {first, last} | ({min(near, key=prox.__getitem__)} if near else set())
    summary = track_frames(
        tracker,
        ((k, clip.frames[k]) for k in range(first, last + 1)),
        track[first].box,
        fps=seq.info.fps,
        jsonl=out / "track.jsonl",
        video=out / "track.mp4",
        panels=out / "panels",
        panel_frames=panel_frames,
        total=last - first + 1,
        progress=progress,
        keep_results=True,
    )
    rate, scored = _head_hit_rate(summary.results, seq, sid, first)
    files = [out / n for n in ("input.mp4", "input.jsonl", "track.mp4", "track.jsonl")] + summary.panels
    return DemoSummary(summary, rate, scored, files)
