"""End-to-end runs behind ``parttrack track`` and ``parttrack demo``: read frames, track,
write JSONL / MOT / annotated MP4 / FIG. 3 panels (all atomically), report speed.

Example::

    tracker = PartTracker.from_weights()
    summary = track_video(tracker, "street.mp4", (850, 300, 60, 170), jsonl="out.jsonl")
    print(summary.frames, summary.fps)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parttrack.atomic import atomic_path
from parttrack.data.types import BoxXYWH, Sequence
from parttrack.errors import CheckpointError, UsageError
from parttrack.tracker.part_tracker import PartTracker
from parttrack.tracker.result import TrackResult

PANEL_EVERY = 25  # default --panel-frames: every 25th frame from the start


def parse_box(text: str) -> BoxXYWH:
    """``"X,Y,W,H"`` -> box; UsageError unless 4 finite numbers with positive W and H."""
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        vals = []
    if len(vals) != 4 or not all(np.isfinite(vals)):
        raise UsageError(f"--box must be 4 numbers X,Y,W,H, got {text!r}")
    if vals[2] <= 0 or vals[3] <= 0:
        raise UsageError(f"--box width and height must be positive, got {text!r}")
    return vals[0], vals[1], vals[2], vals[3]


def check_box_in_frame(box: BoxXYWH, width: int, height: int) -> None:
    """UsageError naming the frame size when ``box`` does not overlap the frame at all."""
    x, y, w, h = box
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise UsageError(f"--box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} frame")


def parse_frames(text: str) -> list[int]:
    """``"0,10,25"`` -> sorted frame indices; UsageError on anything else."""
    try:
        frames = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        frames = [-1]
    if not frames or frames[0] < 0:
        raise UsageError(f"--panel-frames must be comma-separated frame indices >= 0, got {text!r}")
    return frames


@dataclass
class TrackSummary:
    """What a run did: ``frames`` tracked, ``seconds`` of wall time, ``track_seconds`` spent in
    the tracker, the results (maps dropped; if asked), the panels written and the frames
    ``skipped`` because they failed to decode (``on_error="skip"``)."""

    frames: int = 0
    skipped: int = 0
    seconds: float = 0.0
    track_seconds: float = 0.0
    results: list[TrackResult] = field(default_factory=list)
    panels: list[Path] = field(default_factory=list)

    @property
    def fps(self) -> float:
        """Frames per second, end to end (decoding and writing included)."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def track_fps(self) -> float:
        """Frames per second of the tracker alone."""
        return self.frames / self.track_seconds if self.track_seconds > 0 else 0.0


def _progress(enabled: bool, total: int | None):  # noqa: ANN202 - rich Progress
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("tracking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames  {task.fields[fps]:.1f} fps"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def track_frames(
    tracker: PartTracker,
    frames: Iterable[tuple[int, np.ndarray]],
    box: BoxXYWH,
    *,
    fps: float = 25.0,
    jsonl: str | Path | None = None,
    mot: str | Path | None = None,
    video: str | Path | None = None,
    panels: str | Path | None = None,
    panel_frames: Iterable[int] | None = None,
    total: int | None = None,
    progress: bool = False,
    keep_results: bool = False,
) -> TrackSummary:
    """Track the subject in ``box`` (given on the first frame) through ``frames``.

    Args:
        tracker: a :class:`PartTracker` (re-initialised here).
        frames: ``(index, image)`` pairs, image ``(H, W, 3)`` uint8 BGR, in order.
        box: subject ``(x, y, w, h)`` on the first frame, image pixels.
        fps: frame rate of the annotated video.
        jsonl: one ``TrackResult.to_json()`` line per frame.
        mot: MOT results ``frame,1,x,y,w,h,score,-1,-1,-1`` (1-based frames; lost frames
            have no row).
        video: annotated MP4 (:class:`~parttrack.viz.overlay.Overlay`).
        panels: folder for FIG. 3 PNGs ``frame_NNNNNN.png`` of ``panel_frames`` (default:
            every 25th frame from the first).
        total: number of frames, for the progress bar (None = unknown).
        progress: show a rich progress bar (frames and fps) on stderr.
        keep_results: keep every frame's result (without maps) in the summary.

    All files are written atomically: a run that fails leaves none of them half-written. A
    Ctrl-C stops the run early and keeps the frames tracked so far.
    """
    from parttrack.data.video import VideoWriter
    from parttrack.viz.overlay import Overlay, save_panel

    summary = TrackSummary()
    wanted = None if panel_frames is None else set(panel_frames)
    overlay = Overlay()
    mot_rows: list[tuple[int, int, BoxXYWH, float]] = []
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack, _progress(progress, total) as bar:
        task = bar.add_task("track", total=total, fps=0.0)
        out = None
        if jsonl is not None:
            out = stack.enter_context(stack.enter_context(atomic_path(jsonl)).open("w"))
        writer = None
        first = None
        try:
            for index, image in frames:
                keep = panels is not None and (
                    index in wanted if wanted is not None else (first is None or (index - first) % PANEL_EVERY == 0)
                )
                t = time.perf_counter()
                if first is None:
                    first = index
                    result = tracker.initialize(image, box, index, keep_maps=keep)
                else:
                    result = tracker.track(image, index, keep_maps=keep)
                summary.track_seconds += time.perf_counter() - t
                if out is not None:
                    out.write(json.dumps(result.to_json()) + "\n")
                if mot is not None and result.box is not None:
                    mot_rows.append((index, 1, result.box, result.score))
                if video is not None:
                    if writer is None:
                        size = (image.shape[1], image.shape[0])
                        writer = stack.enter_context(VideoWriter(video, fps, size))
                    writer.write(overlay.draw(image, result))
                if keep and result.maps is not None:
                    summary.panels.append(save_panel(Path(panels) / f"frame_{index:06d}.png", result))
                if keep_results:
                    summary.results.append(dataclasses.replace(result, maps=None))
                summary.frames += 1
                summary.seconds = time.perf_counter() - t0
                bar.update(task, advance=1, fps=summary.fps)
        except KeyboardInterrupt:
            pass  # keep what was tracked so far
        if out is not None:
            out.flush()
    if mot is not None:
        from parttrack.data.mot import write_mot_results

        write_mot_results(mot_rows, mot)
    summary.seconds = time.perf_counter() - t0
    return summary


def track_video(
    tracker: PartTracker,
    source: str | Path | int,
    box: BoxXYWH,
    *,
    start: int = 0,
    end: int | None = None,
    on_error: str = "stop",
    **outputs,
) -> TrackSummary:
    """Track through a video file, image folder or camera (``parttrack.data.video``) from
    frame ``start`` (where ``box`` is given) to ``end`` (inclusive); ``outputs`` as in
    :func:`track_frames`. A frame that fails to decode stops the run with a VideoError naming
    it (``on_error="stop"``) or is skipped and counted in ``skipped`` (``"skip"``).

    Raises:
        VideoError: missing/unreadable video, ``start`` past the end.
        UsageError: ``box`` outside the frame.
    """
    from parttrack.data.video import open_video

    if on_error not in ("stop", "skip"):
        raise UsageError(f"--on-bad-frame must be stop or skip, got {on_error!r}")
    with open_video(source, start=start, end=end, on_error=on_error) as video:  # type: ignore[arg-type]
        info = video.info
        check_box_in_frame(box, info.width, info.height)
        total = None
        if info.num_frames is not None:
            last = info.num_frames - 1 if end is None else min(end, info.num_frames - 1)
            total = last - start + 1
        pairs: Iterator[tuple[int, np.ndarray]] = ((f.index, f.image) for f in video)
        summary = track_frames(tracker, pairs, box, fps=info.fps, total=total, **outputs)
        summary.skipped = video.skipped
        return summary


@dataclass
class DemoSummary:
    """``parttrack demo``'s numbers: the tracking run, the head hit rate against the clip's
    annotations (None without head annotations) and the files written."""

    track: TrackSummary
    head_hit_rate: float | None
    scored_frames: int
    files: list[Path]


def _head_hit_rate(
    results: list[TrackResult], seq: Sequence, subject_id: int, first: int
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
) -> DemoSummary:
    """``parttrack demo``: track the chosen subject of the first ``crossing`` clip.

    Writes ``input.mp4`` + ``input.jsonl`` (the clip and its annotations), ``track.mp4``,
    ``track.jsonl`` and ``panels/*.png`` (FIG. 3 at the first frame, the frame where the
    subject's head is nearest another head, and the last frame) under ``out``.

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
    tracker = PartTracker.from_weights(path, device=device, num_threads=DEFAULT_THREADS)
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
