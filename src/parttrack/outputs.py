"""Where tracking results go: one sink per output format, each ``write(frame, result)`` per
frame and ``close()`` at the end (or use it as a context manager; an exception inside ``with``
discards what was written). Every file appears atomically: whole, or not at all; a write that
fails (disk full) raises :class:`~parttrack.errors.OutputError` naming the file and leaves the
file that was there before byte for byte. :func:`check_outputs` vets every output path before
any work starts (a folder, a parent that is a file, an input, two outputs on one file).

* :class:`JsonlSink`: one ``TrackResult.to_json()`` line per frame and subject
  (``docs/formats.md``);
* :class:`MotSink`: MOTChallenge results ``frame,id,x,y,w,h,score,-1,-1,-1``, id = subject + 1
  (lost frames have no row);
* :class:`VideoSink`: annotated MP4 (:class:`~parttrack.viz.overlay.Overlay`), every subject
  on one video frame;
* :class:`PanelSink`: FIG. 3 PNGs of chosen frames (:func:`~parttrack.viz.panels.save_panel`),
  subject 0.

Several subjects: :meth:`Sink.write_many` takes all results of a frame at once.

Example::

    with JsonlSink("out.jsonl") as sink:
        for frame in frames:
            sink.write(frame, tracker.track(frame))
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from parttrack.atomic import atomic_path, blocking_file
from parttrack.data.types import BoxXYWH
from parttrack.errors import OutputError
from parttrack.tracker.result import TrackResult

PANEL_EVERY = 25  # default panel frames: every 25th frame from the first


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Turn an OSError of a write (``No space left on device``, ``File too large``) into an
    OutputError naming the user's ``path``."""
    try:
        yield
    except OSError as e:
        raise OutputError(f"cannot write: {e.strerror or e}; the old file, if any, is kept", path) from e


def _same(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` (already resolved) are one file or folder."""
    if a == b:
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_outputs(
    outputs: Mapping[str, str | Path | None],
    inputs: Iterable[str | Path | int | None] = (),
    folders: Iterable[str] = (),
    videos: Iterable[str] = (),
) -> None:
    """Vet output paths before any work: each must be writable and touch no input.

    Args:
        outputs: option name (``"--jsonl"``) -> path as the user gave it (None: not asked).
        inputs: paths read by the run (video, weights, config; camera indices are ignored).
        folders: the options in ``outputs`` that name a folder (``--panels``), not a file.
        videos: the options in ``outputs`` that name a video (its extension is checked).

    Paths are compared after resolving symlinks and relative parts (and by inode when both
    exist), so ``./clip.mp4`` and a link to it are the input ``clip.mp4``.

    Raises:
        OutputError: one line naming the user's path: an output equal to an input or to another
            output, a file output that is a folder (or a folder output that is a file), a
            parent that is a file, an unwritable folder, an unknown video extension.
    """
    from parttrack.data.video import IMAGE_SUFFIXES
    from parttrack.data.writer import check_video_suffix

    folder_opts, video_opts = set(folders), set(videos)
    empty = [opt for opt, p in outputs.items() if p is not None and str(p).strip() == ""]
    if empty:
        raise OutputError(f"{empty[0]} needs a path, got an empty one")
    given = [(opt, str(p)) for opt, p in outputs.items() if p is not None]
    sources = [str(p) for p in inputs if p is not None and not isinstance(p, int) and str(p) != ""]
    real_in = [(p, os.path.realpath(p)) for p in sources if not (p.strip().isdigit() and not os.path.exists(p))]
    seen: list[tuple[str, str, str]] = []
    for opt, p in given:
        real = os.path.realpath(p)
        for src, real_src in real_in:
            if _same(real, real_src):
                raise OutputError(f"{opt} names the input {src}; it would be overwritten, choose another path", p)
            if (opt not in folder_opts and os.path.isdir(real_src) and os.path.dirname(real) == real_src
                    and Path(p).suffix.lower() in IMAGE_SUFFIXES):
                raise OutputError(f"{opt} would add a frame to the input image folder {src}; choose another path", p)
        for other, other_p, other_real in seen:
            if _same(real, other_real):
                raise OutputError(f"{opt} and {other} both name {other_p}; give each output its own path", p)
        seen.append((opt, p, real))
        if opt in folder_opts:
            if os.path.exists(real) and not os.path.isdir(real):
                raise OutputError(f"{opt} must be a folder, but this is a file", p)
        elif os.path.isdir(real):
            raise OutputError(f"{opt} must be a file, but this is a folder", p)
        if opt in video_opts:
            check_video_suffix(p, opt)
        blocker = blocking_file(p if opt not in folder_opts else os.path.join(p, "x"))
        if blocker is not None:
            raise OutputError(f"cannot create {opt}: {blocker} is a file, not a folder", p)
        _check_writable(opt, p, real)


def _check_writable(opt: str, p: str, real: str) -> None:
    """OutputError when the nearest existing folder of ``real`` refuses new files."""
    folder = Path(real).parent
    while not folder.exists():
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {opt}: folder {folder} is not writable", p)
    try:  # permission bits are not the whole story (root, read-only mounts, /proc): try it
        fd, probe = tempfile.mkstemp(prefix=".parttrack-probe-", dir=folder)
    except OSError as e:
        raise OutputError(f"cannot write {opt}: folder {folder} refuses new files ({e.strerror or e})", p) from None
    os.close(fd)
    os.unlink(probe)


class Sink:
    """Base of the sinks: context manager calling :meth:`close` (or :meth:`abort` on error).

    :meth:`close` is :meth:`finish` (complete and check the temporary files: a failure here
    replaces nothing) then :meth:`commit` (rename them into place). The pipeline finishes
    every sink before it commits any, so a run whose MP4 fails leaves the JSONL of the earlier
    run too. Sinks that only override :meth:`close` work as before."""

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        """Take one frame ``(H, W, 3)`` uint8 BGR and its result."""
        raise NotImplementedError

    def write_many(self, frame: np.ndarray, results: Sequence[TrackResult]) -> None:
        """Take one frame and the results of all its subjects (one per subject, in subject
        order): :meth:`write` of each, unless the sink draws the frame once
        (:class:`VideoSink`)."""
        for result in results:
            self.write(frame, result)

    def finish(self) -> None:
        """Complete and check the output in its temporary place (OutputError on failure)."""

    def commit(self) -> None:
        """Move the finished output into place."""

    def close(self) -> None:
        """Finish and commit: the output file(s) appear."""
        self.finish()
        self.commit()

    def abort(self) -> None:
        """Give up: nothing half-written is left behind, earlier files are kept."""

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


class _StagedFile:
    """One atomic output in two steps: :meth:`commit` renames, :meth:`abort` deletes."""

    def __init__(self, path: Path) -> None:
        self._atomic = atomic_path(path)
        self.tmp = self._atomic.__enter__()
        self.done = False

    def commit(self) -> None:
        if not self.done:
            self.done = True
            self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        if not self.done:
            self.done = True
            with contextlib.suppress(RuntimeError):  # generator-based: throw in to clean up
                self._atomic.__exit__(RuntimeError, RuntimeError("aborted"), None)


class JsonlSink(Sink):
    """One JSON line per frame and subject (``TrackResult.to_json()``) into ``path``, atomically. The
    temporary file is made at once, so an unwritable path fails before any tracking."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._staged = _StagedFile(self.path)
        with naming(self.path):
            self._file: IO[str] | None = self._staged.tmp.open("w")

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        assert self._file is not None, "sink is closed"
        with naming(self.path):
            self._file.write(json.dumps(result.to_json()) + "\n")

    def finish(self) -> None:
        if self._file is not None:
            try:
                with naming(self.path):
                    self._file.flush()
                    os.fsync(self._file.fileno())
                    self._file.close()
            except OutputError:
                self.abort()
                raise
            self._file = None

    def commit(self) -> None:
        self.finish()
        self._staged.commit()

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        self._staged.abort()


class MotSink(Sink):
    """MOTChallenge results (``parttrack.data.mot.write_mot_results``), written on close; the
    MOT id of a result is ``subject_id + result.subject`` (1, 2, ... for subjects 0, 1, ...)."""

    def __init__(self, path: str | Path, subject_id: int = 1) -> None:
        self.path = Path(path)
        self.subject_id = subject_id
        self.rows: list[tuple[int, int, BoxXYWH, float]] = []
        self._staged: _StagedFile | None = None

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        if result.box is not None:
            self.rows.append((result.frame, self.subject_id + result.subject, result.box, result.score))

    def finish(self) -> None:
        from parttrack.data.mot import write_mot_results

        if self._staged is None:
            self._staged = _StagedFile(self.path)
            try:
                with naming(self.path):
                    write_mot_results(self.rows, self._staged.tmp)
            except OutputError as e:  # it names the temporary: name the user's path
                self._staged.abort()
                raise OutputError(e.message, self.path) from None
            except BaseException:
                self._staged.abort()
                raise

    def commit(self) -> None:
        self.finish()
        assert self._staged is not None
        self._staged.commit()

    def abort(self) -> None:
        if self._staged is not None:
            self._staged.abort()


class VideoSink(Sink):
    """Annotated MP4 at ``fps``, one video frame per frame with every subject drawn on it
    (:meth:`~parttrack.viz.overlay.Overlay.draw_many`); the writer opens at the first frame
    (its size)."""

    def __init__(self, path: str | Path, fps: float = 25.0) -> None:
        from parttrack.viz.overlay import Overlay

        self.path = Path(path)
        self.fps = fps
        self.overlay = Overlay()
        self._writer: Any = None

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        self.write_many(frame, [result])

    def write_many(self, frame: np.ndarray, results: Sequence[TrackResult]) -> None:
        if self._writer is None:
            from parttrack.data.video import VideoWriter

            self._writer = VideoWriter(self.path, self.fps, (frame.shape[1], frame.shape[0]))
        with naming(self.path):
            self._writer.write(self.overlay.draw_many(frame, results))

    def finish(self) -> None:
        if self._writer is not None:
            with naming(self.path):
                self._writer.finish()

    def commit(self) -> None:
        if self._writer is not None:
            with naming(self.path):
                self._writer.close()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)


class PanelSink(Sink):
    """FIG. 3 panels ``<folder>/frame_NNNNNN.png`` of the frames in ``frames`` (default: every
    25th frame from the first written), of subject 0 only. Each PNG is drawn to a hidden temporary file as its
    frame arrives; all of them are renamed into place by :meth:`commit` (whole set or none: a
    failed write or run leaves the panels of an earlier run as they were)."""

    def __init__(self, folder: str | Path, frames: Iterable[int] | None = None) -> None:
        self.folder = Path(folder)
        self.frames = None if frames is None else set(frames)
        self.paths: list[Path] = []
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final)
        self._first: int | None = None
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError("must be a folder for the panels, but this is a file", self.folder)

    def wants_maps(self, index: int) -> bool:
        if self.frames is not None:
            return index in self.frames
        first = index if self._first is None else self._first
        return (index - first) % PANEL_EVERY == 0

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        if result.subject != 0:  # one panel per frame: the first subject's
            return
        wanted = self.wants_maps(result.frame)
        if self._first is None:
            self._first = result.frame
        if wanted and result.maps is not None:
            from parttrack.viz.panels import save_panel

            final = self.folder / f"frame_{result.frame:06d}.png"
            tmp = self.folder / f".{final.stem}.partial.png"
            self._staged.append((tmp, final))
            with naming(final):
                save_panel(tmp, result)

    def commit(self) -> None:
        try:
            with naming(self.folder):
                for tmp, final in self._staged:
                    os.replace(tmp, final)
                    self.paths.append(final)
        finally:
            self.abort()

    def abort(self) -> None:
        for tmp, _ in self._staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._staged = []


class CallbackSink(Sink):
    """Calls ``fn(frame, result)`` per frame (keeping results, live displays, tests)."""

    def __init__(self, fn: Callable[[np.ndarray, TrackResult], None]) -> None:
        self.fn = fn

    def write(self, frame: np.ndarray, result: TrackResult) -> None:
        self.fn(frame, result)
