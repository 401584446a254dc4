"""Video input and output: files, image folders and cameras, as a stream of BGR frames.

Frames are ``(H, W, 3)`` uint8 BGR arrays (the colour order both networks expect, [0045]),
numbered by their 0-based video frame index. Nothing here holds a whole video in memory.

Example::

    with open_video("clip.mp4", start=10, end=20) as video:
        for frame in video:          # Frame(index, image)
            ...
    with VideoWriter("out.mp4", fps=video.info.fps, size=(video.info.width, video.info.height)) as w:
        w.write(image)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from parttrack.data.images import resize_to, to_bgr
from parttrack.data.writer import VideoWriter
from parttrack.errors import VideoError

__all__ = ["Frame", "VideoInfo", "VideoSource", "VideoWriter", "open_video", "read_frames", "resize_to", "to_bgr"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
IMAGE_FOLDER_FPS = 25.0  # an image folder carries no frame rate; this one is assumed
CAMERA_FPS = 30.0  # used when a camera does not report its frame rate


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: 0-based video frame index.
        image: ``(H, W, 3)`` uint8 BGR (gray and RGBA inputs are converted).
    """

    index: int
    image: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    """Geometry and length of a video source.

    Attributes:
        source: the path (or camera index as text) it was opened from.
        width, height: frame size in pixels.
        fps: frames per second.
        num_frames: number of frames, or None for a camera (unbounded stream).
    """

    source: str
    width: int
    height: int
    fps: float
    num_frames: int | None


def _natural_key(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_images(folder: Path) -> list[Path]:
    """The image files of ``folder`` in natural name order (``f2.png`` before ``f10.png``)."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: _natural_key(p.name))


class VideoSource:
    """An open video: iterate it for :class:`Frame` objects (``start``..``end``, inclusive).

    Create it with :func:`open_video`. ``skipped`` counts frames that failed to decode and
    were skipped (``on_error="skip"``). Iterating a second time re-reads from ``start``.

    A file is read to its last *decoded* frame, not to the frame count its header gives (two
    MPEG-TS segments joined say 10 frames and decode 20): ``decoded`` is the number of frames
    read and ``warnings`` says when it differs from the header.
    """

    def __init__(
        self, info: VideoInfo, start: int, end: int | None, on_error: Literal["stop", "skip"],
        images: list[Path] | None = None, capture_factory: Callable[[], cv2.VideoCapture] | None = None,
    ) -> None:
        self.info = info
        self.start = start
        self.end = end
        self.on_error = on_error
        self.skipped = 0
        self.decoded = 0
        self.warnings: list[str] = []
        self._images = images
        self._factory = capture_factory
        self._cap: cv2.VideoCapture | None = None

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the decoder or camera (safe to call twice)."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, want: Callable[[int], bool] | None = None) -> Iterator[Frame]:
        """Yield the frames ``start..end``; with ``want``, only those whose index it accepts
        (the others are skipped without being converted, cheaper for sparse access)."""
        self.skipped = 0
        if self._images is not None:
            yield from self._iter_images(want)
        else:
            yield from self._iter_capture(want)

    def _fail(self, index: int, why: str) -> None:
        if self.on_error == "stop":
            raise VideoError(f"frame failed to decode: {why}", self.info.source, frame=index)
        self.skipped += 1

    def _last(self) -> int | None:
        n = self.info.num_frames
        if n is None:
            return self.end
        return n - 1 if self.end is None else min(self.end, n - 1)

    def _iter_images(self, want: Callable[[int], bool] | None) -> Iterator[Frame]:
        assert self._images is not None
        last = self._last()
        assert last is not None
        size = (self.info.width, self.info.height)
        for index in range(self.start, last + 1):
            if want is not None and not want(index):
                continue
            path = self._images[index]
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                self._fail(index, f"cannot read image {path.name}")
                continue
            if (image.shape[1], image.shape[0]) != size:
                self._fail(index, f"{path.name} is {image.shape[1]}x{image.shape[0]}, not {size[0]}x{size[1]}")
                continue
            yield Frame(index, to_bgr(image))

    def _iter_capture(self, want: Callable[[int], bool] | None) -> Iterator[Frame]:
        assert self._factory is not None
        self.close()
        cap = self._factory()
        self._cap = cap
        if not cap.isOpened():
            raise VideoError("cannot open video", self.info.source)
        try:
            for index in range(self.start):  # exact positioning: decode and drop
                if not cap.grab():
                    raise VideoError(
                        f"start frame {self.start} is past the end (stream ended at frame {index})",
                        self.info.source,
                    )
            header = self.info.num_frames
            self.decoded = 0
            self.warnings = []
            index = self.start
            while self.end is None or index <= self.end:  # the decoder decides where it ends
                if not cap.grab():
                    if header is None or index >= header:
                        break  # camera closed, or the end of a file
                    self._fail(index, "stream ended early (truncated or corrupt file)")
                    index += 1
                    continue
                self.decoded += 1
                if want is None or want(index):
                    ok, image = cap.retrieve()
                    if not ok or image is None:
                        self._fail(index, "decoder returned no image")
                    else:
                        yield Frame(index, to_bgr(image))
                index += 1
            if header is not None and index > header:
                self.warnings.append(
                    f"{self.info.source}: the header says {header} frames but {index} decode; read all {index}"
                )
        finally:
            self.close()


def _check_range(source: str, start: int, end: int | None, num_frames: int | None) -> None:
    if start < 0:
        raise VideoError(f"start must be >= 0, got {start}", source)
    if end is not None and end < start:
        raise VideoError(f"end ({end}) is before start ({start})", source)
    if num_frames is not None and start >= num_frames:
        raise VideoError(f"start frame {start} is past the end ({num_frames} frames)", source)


def _open_folder(folder: Path, start: int, end: int | None, on_error: Literal["stop", "skip"]) -> VideoSource:
    images = list_images(folder)
    if not images:
        raise VideoError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder", folder)
    first = cv2.imread(str(images[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise VideoError(f"cannot read first image {images[0].name}", folder, frame=0)
    info = VideoInfo(str(folder), first.shape[1], first.shape[0], IMAGE_FOLDER_FPS, len(images))
    _check_range(info.source, start, end, info.num_frames)
    return VideoSource(info, start, end, on_error, images=images)


def _open_file(path: Path, start: int, end: int | None, on_error: Literal["stop", "skip"]) -> VideoSource:
    if not path.is_file():
        raise VideoError("video file not found", path)
    if path.stat().st_size == 0:
        raise VideoError("video file is empty (0 bytes)", path)
    factory = functools.partial(cv2.VideoCapture, str(path), cv2.CAP_FFMPEG)
    cap = factory()
    try:
        if not cap.isOpened():
            raise VideoError("cannot open video (unreadable or corrupt file)", path)
        ok, first = cap.read()
        if not ok or first is None:
            raise VideoError("video has no decodable frame (empty or corrupt)", path, frame=0)
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        count = int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    finally:
        cap.release()
    if count <= 0 or start >= count:  # the container does not say (or may be wrong): decode
        count = max(count, _count_frames(factory))
    info = VideoInfo(str(path), first.shape[1], first.shape[0], fps if fps > 0 else 25.0, count)
    _check_range(info.source, start, end, info.num_frames)
    return VideoSource(info, start, end, on_error, capture_factory=factory)


def _count_frames(factory: Callable[[], cv2.VideoCapture]) -> int:
    cap = factory()
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def _open_camera(index: int, start: int, end: int | None, on_error: Literal["stop", "skip"]) -> VideoSource:
    name = f"camera {index}"
    factory = functools.partial(cv2.VideoCapture, index)
    cap = factory()
    try:
        if not cap.isOpened():
            raise VideoError("cannot open camera", name)
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()
    if w <= 0 or h <= 0:
        raise VideoError("camera reports no frame size", name)
    info = VideoInfo(name, w, h, fps if fps > 0 else CAMERA_FPS, None)
    _check_range(name, start, end, None)
    return VideoSource(info, start, end, on_error, capture_factory=factory)


def open_video(
    source: str | Path | int,
    start: int = 0,
    end: int | None = None,
    on_error: Literal["stop", "skip"] = "stop",
) -> VideoSource:
    """Open a video file, an image folder or a camera as a stream of frames.

    Args:
        source: a video file, a folder of images (``*.jpg``, ``*.png``, ... in natural name
            order, one frame each), or a camera index (``0`` or ``"0"``; an existing file of
            that name wins).
        start: first frame, 0-based.
        end: last frame, 0-based inclusive (None = to the end; clamped to the last frame).
            A file is read to its last decoded frame even where its header counts fewer.
        on_error: a frame that fails to decode mid-stream: ``"stop"`` raises VideoError
            naming it, ``"skip"`` drops it and counts it in ``VideoSource.skipped``.

    Returns:
        A :class:`VideoSource` (iterable of :class:`Frame`; a context manager).

    Raises:
        VideoError: missing, empty, unreadable or corrupt input, a bad range or a start
            past the end (one line, naming the path).
    """
    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip', got {on_error!r}")
    if isinstance(source, bool):
        raise ValueError("source must be a path or a camera index, got a bool")
    if isinstance(source, int):
        return _open_camera(source, start, end, on_error)
    path = Path(source)
    if isinstance(source, str) and source.strip().isdigit() and not path.exists():
        return _open_camera(int(source), start, end, on_error)
    if path.is_dir():
        return _open_folder(path, start, end, on_error)
    return _open_file(path, start, end, on_error)


def read_frames(source: str | Path, indices: Iterable[int], scale: float = 1.0) -> dict[int, np.ndarray]:
    """Decode the asked frames of a video file or image folder in one sequential pass.

    Args:
        source: video file or image folder.
        indices: 0-based frame indices wanted (any order, repeats allowed).
        scale: resize factor applied to each kept frame (1.0 = original size).

    Returns:
        index -> ``(round(H*scale), round(W*scale), 3)`` uint8 BGR image.

    Raises:
        VideoError: as :func:`open_video`, or an asked frame that does not exist or fails
            to decode.
    """
    if not (scale > 0):
        raise ValueError(f"scale must be > 0, got {scale}")
    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        return {}
    if wanted[0] < 0:
        raise VideoError(f"frame index must be >= 0, got {wanted[0]}", source)
    keep = set(wanted)
    out: dict[int, np.ndarray] = {}
    with open_video(source, start=wanted[0], end=wanted[-1]) as video:
        n = video.info.num_frames
        if n is not None and wanted[-1] >= n:
            raise VideoError(f"frame {wanted[-1]} asked but the video has {n} frames", source)
        size = (max(1, round(video.info.width * scale)), max(1, round(video.info.height * scale)))
        for frame in video.frames(want=keep.__contains__):
            out[frame.index] = frame.image if scale == 1.0 else resize_to(frame.image, size)
    missing = keep.difference(out)
    if missing:
        raise VideoError(f"frames not found: {sorted(missing)[:5]}", source, frame=min(missing))
    return out
