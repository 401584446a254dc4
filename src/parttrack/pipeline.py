"""The ``parttrack track`` pipeline: frames -> :class:`~parttrack.tracker.PartTracker` (one
subject) or :class:`~parttrack.tracker.MultiTracker` (several, one batched network call per
frame) -> sinks (:mod:`parttrack.outputs`: JSONL, MOT, annotated MP4, FIG. 3 panels, all
atomic), with a progress bar and speed figures.

Example::

    tracker = PartTracker.from_weights()
    summary = track_video(tracker, "street.mp4", (850, 300, 60, 170), jsonl="out.jsonl")
    summary = track_video(tracker, "street.mp4", [(850, 300, 60, 170), (400, 320, 55, 160)])
    print(summary.frames, summary.fps)
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.errors import UsageError
from parttrack.outputs import JsonlSink, MotSink, PanelSink, Sink, VideoSink, check_outputs
from parttrack.tracker.multi import MultiTracker
from parttrack.tracker.part_tracker import PartTracker
from parttrack.tracker.result import TrackResult


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


def parse_point(text: str) -> tuple[float, float]:
    """``"x,y"`` -> ``(x, y)`` image pixels; UsageError otherwise."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--point must be X,Y (two numbers), got {text!r}") from None
    return x, y


def parse_frames(text: str) -> list[int]:
    """``"0,10,25"`` -> sorted frame indices; UsageError on anything else."""
    try:
        frames = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        frames = [-1]
    if not frames or frames[0] < 0:
        raise UsageError(f"--panel-frames must be comma-separated frame indices >= 0, got {text!r}")
    return frames


def subject_boxes(box: BoxXYWH | Sequence[BoxXYWH] | None) -> list[BoxXYWH]:
    """One box ``(x, y, w, h)`` or a list of boxes (or None) -> the list of subject boxes."""
    if box is None:
        return []
    items = list(box)
    if items and isinstance(items[0], numbers.Real):
        return [tuple(items)]  # type: ignore[list-item]
    return [tuple(b) for b in items]


@dataclass
class TrackSummary:
    """What a run did: ``frames`` tracked (each with every subject), ``subjects`` tracked,
    ``seconds`` of wall time, ``track_seconds`` spent in the tracker, the results (every
    subject's, in frame then subject order; maps dropped; if asked), the panels written, the
    frames ``skipped`` because they failed to decode (``on_error="skip"``), the frames
    ``dropped`` to stay real-time (``realtime=True``); ``warnings`` for the user (a header that
    counts fewer frames than decode)."""

    frames: int = 0
    subjects: int = 1
    skipped: int = 0
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)
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
    tracker: PartTracker | MultiTracker,
    frames: Iterable[tuple[int, np.ndarray]],
    box: BoxXYWH | Sequence[BoxXYWH] | None,
    *,
    point: tuple[float, float] | None = None,
    fps: float = 25.0,
    jsonl: str | Path | None = None,
    mot: str | Path | None = None,
    video: str | Path | None = None,
    panels: str | Path | None = None,
    panel_frames: Iterable[int] | None = None,
    sinks: Iterable[Sink] = (),
    total: int | None = None,
    progress: bool = False,
    keep_results: bool = False,
) -> TrackSummary:
    """Track the subject in ``box`` (given on the first frame) through ``frames``, or several
    subjects at once (a list of boxes: one batched network call per frame,
    :class:`~parttrack.tracker.MultiTracker`).

    Args:
        tracker: a :class:`PartTracker` (re-initialised here; the first subject's) or a
            :class:`MultiTracker`.
        frames: ``(index, image)`` pairs, image ``(H, W, 3)`` uint8 BGR, in order.
        box: subject ``(x, y, w, h)`` on the first frame, image pixels, or a list of them
            (subjects 0, 1, ...), or None with ``point``.
        point: a tap ``(x, y)`` on the subject on the first frame, instead of ``box`` (or after
            the boxes: the last subject) (:meth:`PartTracker.propose_box` finds the person
            there).
        fps: frame rate of the annotated video.
        jsonl, mot, video: paths for a :class:`~parttrack.outputs.JsonlSink`,
            :class:`~parttrack.outputs.MotSink`, :class:`~parttrack.outputs.VideoSink`.
        panels: folder for a :class:`~parttrack.outputs.PanelSink` of ``panel_frames``
            (default: every 25th frame from the first).
        sinks: further sinks (closed here too).
        total: number of frames, for the progress bar (None = unknown).
        progress: show a rich progress bar (frames and fps) on stderr.
        keep_results: keep every frame's result (without maps) in the summary.

    All files are written atomically: a run that fails (a bad frame, a full disk) leaves each
    output as it was before, byte for byte. A Ctrl-C stops the run early and keeps the frames
    tracked so far.

    Raises:
        OutputError: an output path that cannot be written or that two outputs share (before
            the first frame), or a write that fails.
    """
    check_outputs(_output_options(jsonl, mot, video, panels), folders=["--panels"], videos=["--out"])
    boxes, points = subject_boxes(box), [] if point is None else [point]
    multi = tracker if isinstance(tracker, MultiTracker) else MultiTracker(tracker)
    summary = TrackSummary(subjects=len(boxes) + len(points))
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # every sink is opened before the first frame, so a bad path fails at once
        chosen: list[Sink] = []
        if jsonl is not None:
            chosen.append(stack.enter_context(JsonlSink(jsonl)))
        if mot is not None:
            chosen.append(stack.enter_context(MotSink(mot)))
        if video is not None:
            chosen.append(stack.enter_context(VideoSink(video, fps)))
        panel_sink = None
        if panels is not None:
            panel_sink = stack.enter_context(PanelSink(panels, panel_frames))
            chosen.append(panel_sink)
        chosen += [stack.enter_context(s) for s in sinks]
        bar = stack.enter_context(_progress(progress, total))
        task = bar.add_task("track", total=total, fps=0.0)
        first = None
        try:
            for index, image in frames:
                keep = any(s.wants_maps(index) for s in chosen)
                t = time.perf_counter()
                if first is None:
                    first = index
                    results = multi.initialize(image, boxes, index, keep_maps=keep, points=points)
                else:
                    results = multi.track(image, index, keep_maps=keep)
                summary.track_seconds += time.perf_counter() - t
                for s in chosen:
                    s.write_many(image, results)
                if keep_results:
                    summary.results.extend(dataclasses.replace(r, maps=None) for r in results)
                summary.frames += 1
                summary.seconds = time.perf_counter() - t0
                if total is not None and summary.frames > total:  # the header undercounted
                    bar.update(task, total=summary.frames)
                bar.update(task, advance=1, fps=summary.fps)
        except KeyboardInterrupt:
            pass  # keep what was tracked so far
        for s in chosen:  # every output complete and checked before any old file is replaced
            s.finish()
        for s in chosen:
            s.commit()
    if panel_sink is not None:
        summary.panels = list(panel_sink.paths)
    summary.seconds = time.perf_counter() - t0
    return summary


def _output_options(jsonl: object, mot: object, video: object, panels: object) -> dict[str, str | None]:
    """The outputs under their ``parttrack track`` option names."""
    paths = {"--jsonl": jsonl, "--mot": mot, "--out": video, "--panels": panels}
    return {k: None if v is None else str(v) for k, v in paths.items()}


def track_video(
    tracker: PartTracker | MultiTracker,
    source: str | Path | int,
    box: BoxXYWH | Sequence[BoxXYWH] | None,
    *,
    point: tuple[float, float] | None = None,
    start: int = 0,
    end: int | None = None,
    on_error: str = "stop",
    realtime: bool = False,
    **outputs,
) -> TrackSummary:
    """Track through a video file, image folder or camera (``parttrack.data.video``) from
    frame ``start`` (where ``box``, a list of boxes, or the tapped ``point`` is given) to
    ``end`` (inclusive); ``outputs`` as in :func:`track_frames`. A frame that fails to decode
    stops the run with a VideoError naming it (``on_error="stop"``) or is skipped and counted
    in ``skipped`` (``"skip"``).

    Frames are decoded on a reader thread (:func:`~parttrack.data.prefetch.prefetch`). Every
    frame that decodes is tracked, also past the frame count of the file's header (the
    summary's ``warnings`` says when the two differ) -- unless ``realtime``: then the tracker
    always takes the newest frame read (a live camera) and the older ones are dropped and
    counted in the summary's ``dropped`` (the first frame never is); a file is then read at its
    own frame rate (:func:`~parttrack.data.prefetch.paced`), as a camera would deliver it.

    Raises:
        OutputError: an output path equal to ``source`` (or to another output), a folder, under
            a file, or unwritable: before the first frame is read.
        VideoError: missing/unreadable video, ``start`` past the end.
        UsageError: a box or ``point`` outside the frame.
    """
    from parttrack.data.prefetch import paced, prefetch
    from parttrack.data.video import open_video

    if on_error not in ("stop", "skip"):
        raise UsageError(f"--on-bad-frame must be stop or skip, got {on_error!r}")
    names = _output_options(*(outputs.get(k) for k in ("jsonl", "mot", "video", "panels")))
    check_outputs(names, [source], folders=["--panels"], videos=["--out"])
    with open_video(source, start=start, end=end, on_error=on_error) as video:  # type: ignore[arg-type]
        info = video.info
        boxes = subject_boxes(box)
        for b in boxes:
            check_box_in_frame(b, info.width, info.height)
        if (not boxes or point is not None) and (
                point is None or not (0 <= point[0] < info.width and 0 <= point[1] < info.height)):
            raise UsageError(f"--point {point} is outside the {info.width}x{info.height} frame")
        total = None
        if info.num_frames is not None:
            last = info.num_frames - 1 if end is None else min(end, info.num_frames - 1)
            total = last - start + 1
        frames: Iterable[tuple[int, np.ndarray]] = ((f.index, f.image) for f in video)
        if realtime and info.num_frames is not None and info.fps > 0:  # a file: play it as a camera would
            frames = paced(frames, info.fps)
        pairs = prefetch(frames, realtime=realtime, owner=video)
        summary = track_frames(tracker, pairs, boxes, point=point, fps=info.fps, total=total, **outputs)
        summary.skipped = video.skipped
        summary.dropped = pairs.skipped
        summary.warnings = list(video.warnings)
        return summary
