"""Writing an MP4 atomically (:class:`VideoWriter`; also importable from
:mod:`parttrack.data.video`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from parttrack.atomic import atomic_path
from parttrack.data.images import resize_to, to_bgr
from parttrack.errors import VideoError


class VideoWriter:
    """Write an MP4 (``mp4v``) atomically: frames go to a temporary file beside ``path``,
    renamed onto ``path`` by :meth:`close`; on an exception inside ``with`` it is removed.

    Args:
        path: target file (``.mp4``).
        fps: frames per second (> 0).
        size: frame size ``(W, H)`` pixels; written images of another size are resized.
            mp4v needs even sizes: an odd W or H loses its last column or row
            (``frame_size`` is the size in the file).
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        if not (fps > 0):
            raise ValueError(f"fps must be > 0, got {fps}")
        if len(size) != 2 or int(size[0]) < 2 or int(size[1]) < 2:
            raise ValueError(f"size must be (W, H) with values >= 2, got {size}")
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.frame_size = (self.size[0] // 2 * 2, self.size[1] // 2 * 2)
        self.frames_written = 0
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
        self._writer: cv2.VideoWriter | None = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, self.frame_size)
        if not self._writer.isOpened():
            err = VideoError("cannot open video writer (mp4v codec unavailable?)", self.path)
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
        if self._writer is None:
            raise VideoError("write after close", self.path)
        w, h = self.frame_size
        self._writer.write(np.ascontiguousarray(resize_to(to_bgr(image), self.size)[:h, :w]))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and move it onto ``path`` (safe to call twice)."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        self._atomic.__exit__(None, None, None)

    def _abort(self, exc: BaseException) -> None:
        """Release the encoder and delete the temporary file (``exc``: the cause)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(BaseException):
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
