"""Where tracking results go: one sink per output format, each ``write(frame, result)`` per
frame and ``close()`` at the end (or use it as a context manager; an exception inside ``with``
discards what was written). Every file appears atomically: whole, or not at all.

* :class:`JsonlSink`: one ``TrackResult.to_json()`` line per frame (``docs/formats.md``);
* :class:`MotSink`: MOTChallenge results ``frame,1,x,y,w,h,score,-1,-1,-1`` (lost frames
  have no row);
* :class:`VideoSink`: annotated MP4 (:class:`~parttrack.viz.overlay.Overlay`);
* :class:`PanelSink`: FIG. 3 PNGs of chosen frames (:func:`~parttrack.viz.panels.save_panel`).

Example::

    with JsonlSink("out.jsonl") as sink:
        for frame in frames:
            sink.write(frame, tracker.track(frame))
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from parttrack.atomic import atomic_path
from parttrack.data.types import BoxXYWH
from parttrack.tracker.result import TrackResult

PANEL_EVERY = 25  # default panel frames: every 25th frame from the first


class Sink:
    """Base of the sinks: context manager calling :meth:`close` (or :meth:`abort` on error)."""

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        """Take one frame ``(H, W, 3)`` uint8 BGR and its result."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish: the output file(s) appear."""

    def abort(self) -> None:
        """Give up: nothing half-written is left behind."""

    def wants_maps(self, index: int) -> bool:
        """Whether this sink needs the maps of frame ``index`` (``keep_maps``)."""
        return False

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()


class JsonlSink(Sink):
    """One JSON line per frame (``TrackResult.to_json()``) into ``path``, atomically. The
    temporary file is made at once, so an unwritable path fails before any tracking."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        self._file: IO[str] | None = tmp.open("w")

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        assert self._file is not None, "sink is closed"
        self._file.write(json.dumps(result.to_json()) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            with contextlib.suppress(RuntimeError):  # generator-based: throw in to clean up
                self._atomic.__exit__(RuntimeError, RuntimeError("aborted"), None)


class MotSink(Sink):
    """MOTChallenge results (``parttrack.data.mot.write_mot_results``), written on close."""

    def __init__(self, path: str | Path, subject_id: int = 1) -> None:
        self.path = Path(path)
        self.subject_id = subject_id
        self.rows: list[tuple[int, int, BoxXYWH, float]] = []

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        if result.box is not None:
            self.rows.append((result.frame, self.subject_id, result.box, result.score))

    def close(self) -> None:
        from parttrack.data.mot import write_mot_results

        write_mot_results(self.rows, self.path)


class VideoSink(Sink):
    """Annotated MP4 at ``fps``; the writer opens at the first frame (its size)."""

    def __init__(self, path: str | Path, fps: float = 25.0) -> None:
        from parttrack.viz.overlay import Overlay

        self.path = Path(path)
        self.fps = fps
        self.overlay = Overlay()
        self._writer: Any = None

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        if self._writer is None:
            from parttrack.data.video import VideoWriter

            self._writer = VideoWriter(self.path, self.fps, (frame.shape[1], frame.shape[0]))
        self._writer.write(self.overlay.draw(frame, result))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)


class PanelSink(Sink):
    """FIG. 3 panels ``<folder>/frame_NNNNNN.png`` of the frames in ``frames`` (default: every
    25th frame from the first written). Each PNG is written atomically as its frame arrives."""

    def __init__(self, folder: str | Path, frames: Iterable[int] | None = None) -> None:
        self.folder = Path(folder)
        self.frames = None if frames is None else set(frames)
        self.paths: list[Path] = []
        self._first: int | None = None

    def wants_maps(self, index: int) -> bool:
        if self.frames is not None:
            return index in self.frames
        first = index if self._first is None else self._first
        return (index - first) % PANEL_EVERY == 0

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        wanted = self.wants_maps(result.frame)
        if self._first is None:
            self._first = result.frame
        if wanted and result.maps is not None:
            from parttrack.viz.panels import save_panel

            self.paths.append(save_panel(self.folder / f"frame_{result.frame:06d}.png", result))


class CallbackSink(Sink):
    """Calls ``fn(frame, result)`` per frame (keeping results, live displays, tests)."""

    def __init__(self, fn: Callable[[np.ndarray, TrackResult], None]) -> None:
        self.fn = fn

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        self.fn(frame, result)
