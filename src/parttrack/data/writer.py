"""Writing an MP4 atomically (:class:`VideoWriter`; also importable from
:mod:`parttrack.data.video`)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from parttrack.atomic import atomic_path
from parttrack.data.images import resize_to, to_bgr
from parttrack.errors import OutputError, VideoError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".avi")  # containers the mp4v encoder writes
ISO_SUFFIXES = (".mp4", ".m4v", ".mov")  # ISO base media files: need a complete 'moov' box


def check_video_suffix(path: str | Path, option: str | None = None) -> None:
    """OutputError naming ``path`` (and the ``option`` that gave it) unless its extension is
    one :class:`VideoWriter` writes."""
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        what = f"unknown video extension {suffix!r}" if suffix else "no video extension"
        where = "" if option is None else f"{option}: "
        raise OutputError(f"{where}{what} (use {', '.join(VIDEO_SUFFIXES)})", path)


def iso_boxes(path: str | Path) -> list[str]:
    """Top-level box types of an ISO base media file (MP4/MOV), or ValueError when the boxes
    do not tile the file exactly (a truncated or half-written file)."""
    data_len = Path(path).stat().st_size
    names: list[str] = []
    with open(path, "rb") as f:
        pos = 0
        while pos < data_len:
            f.seek(pos)
            head = f.read(16)
            if len(head) < 8:
                raise ValueError(f"truncated box header at byte {pos}")
            size = int.from_bytes(head[:4], "big")
            if size == 1:
                if len(head) < 16:
                    raise ValueError(f"truncated box header at byte {pos}")
                size = int.from_bytes(head[8:16], "big")
            elif size == 0:
                size = data_len - pos
            if size < 8 or pos + size > data_len:
                raise ValueError(f"box at byte {pos} runs past the end of the file")
            names.append(head[4:8].decode("latin-1"))
            pos += size
    return names


class VideoWriter:
    """Write an MP4 (``mp4v``) atomically: frames go to a temporary file beside ``path``; on
    :meth:`close` the file is checked (complete ``moov`` index, every frame readable back) and
    only then renamed onto ``path``. On an exception inside ``with``, or a file that fails the
    check (a disk that filled up, an encoder that failed), it is removed and any old ``path``
    is kept byte for byte.

    Args:
        path: target file (``.mp4``; also ``.m4v``, ``.mov``, ``.mkv``, ``.avi``).
        fps: frames per second (> 0).
        size: frame size ``(W, H)`` pixels (>= 1); written images of another size are resized.
            mp4v needs even sizes: an odd W or H is padded by repeating the last column or row
            (``frame_size`` is the size in the file).

    Raises:
        OutputError: unknown extension, a path that cannot be written, a failed encoder.
        ValueError: ``fps`` or ``size`` out of range.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        if not (fps > 0):
            raise ValueError(f"fps must be > 0, got {fps}")
        if len(size) != 2 or int(size[0]) < 1 or int(size[1]) < 1:
            raise ValueError(f"size must be (W, H) with values >= 1, got {size}")
        self.path = Path(path)
        check_video_suffix(self.path)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.frame_size = (self.size[0] + self.size[0] % 2, self.size[1] + self.size[1] % 2)
        self.frames_written = 0
        self._done = False  # renamed into place or removed
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
        self._writer: cv2.VideoWriter | None = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, self.frame_size)
        if not self._writer.isOpened():
            err = OutputError(f"the mp4v encoder cannot open a {self.frame_size[0]}x{self.frame_size[1]} video here", self.path)
            self._abort(err)
            raise err

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
        else:
            self._abort(exc)

    def write(self, image: np.ndarray) -> None:
        """Append one frame: any :func:`to_bgr` input, resized to ``size`` if needed."""
        if self._writer is None or self._done:
            raise VideoError("write after close", self.path)
        img = resize_to(to_bgr(image), self.size)
        pad_w, pad_h = self.frame_size[0] - self.size[0], self.frame_size[1] - self.size[1]
        if pad_w or pad_h:
            img = cv2.copyMakeBorder(img, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE)
        self._writer.write(np.ascontiguousarray(img))
        self.frames_written += 1

    def finish(self) -> None:
        """Finish the temporary file and check it, without moving it yet (safe to call twice).

        Raises:
            OutputError: the finished file is incomplete (disk full, encoder failure); the
                temporary file is removed and the old ``path`` kept.
        """
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        problem = self._check_file()
        if problem is not None:
            err = OutputError(f"writing the video failed ({problem}); the old file, if any, is kept", self.path)
            self._abort(err)
            raise err

    def close(self) -> None:
        """:meth:`finish`, then move the file onto ``path`` (safe to call twice).

        Raises:
            OutputError: as :meth:`finish`, or the rename fails (the old ``path`` is kept).
        """
        self.finish()
        if not self._done:
            self._done = True
            self._atomic.__exit__(None, None, None)

    def _check_file(self) -> str | None:
        """What is wrong with the finished temporary file, or None when it is whole."""
        if self.frames_written == 0:
            return None  # nothing was asked of the encoder
        try:
            size = self._tmp.stat().st_size
            if size == 0:
                return self._why("the encoder wrote 0 bytes")
            if self._tmp.suffix.lower() in ISO_SUFFIXES:
                boxes = iso_boxes(self._tmp)
                if "moov" not in boxes:
                    return self._why("no 'moov' index: the file is unplayable")
        except (OSError, ValueError) as e:
            return self._why(str(e))
        cap = cv2.VideoCapture(str(self._tmp), cv2.CAP_FFMPEG)
        try:
            count = int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT))) if cap.isOpened() else -1
        finally:
            cap.release()
        # fewer frames than written is a truncated file; one more is a frame whose write a
        # Ctrl-C interrupted after the encoder took it (the count was not yet raised)
        if count < self.frames_written:
            return self._why(f"{self.frames_written} frames written, {max(count, 0)} readable back")
        return None

    def _why(self, text: str) -> str:
        """``text`` plus a disk-full hint when the folder has (almost) no space left."""
        with contextlib.suppress(OSError):
            if shutil.disk_usage(self._tmp.parent).free < 1 << 20:
                return f"{text}; no space left on device"
        return text

    def _abort(self, exc: BaseException) -> None:
        """Release the encoder and delete the temporary file (``exc``: the cause)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if not self._done:
            self._done = True
            with contextlib.suppress(BaseException):
                self._atomic.__exit__(type(exc), exc, exc.__traceback__)
