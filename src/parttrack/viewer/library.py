"""The viewer's video library: which files it may serve, and their frames as JPEG.

Safe by default: a video is named by its path *relative* to ``--videos`` (or, for uploads,
``@uploads/<name>``); a name that is absolute, holds ``..``, or resolves (symlinks followed)
outside its folder is refused with 403, a missing one with 404, a file that is not a video
with 415. Nothing outside the two folders is ever opened.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import numpy as np

from parttrack.data.video import open_video
from parttrack.errors import ParttrackError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".ts")
UPLOAD_PREFIX = "@uploads/"
MAX_LISTED = 5000  # videos listed at most (a huge folder stays responsive)
JPEG_QUALITY = 85


class HttpError(Exception):
    """An error the API answers with ``status`` and ``{"detail": detail}``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def is_video_name(name: str) -> bool:
    """Whether ``name`` ends in one of :data:`VIDEO_SUFFIXES` (case-insensitive)."""
    return name.lower().endswith(VIDEO_SUFFIXES)


def contained(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves (symlinks followed) to ``root`` or somewhere under it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """``(H, W, 3)`` uint8 BGR -> JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise HttpError(500, "cannot encode the frame as JPEG")
    return buf.tobytes()


class _Reader:
    """One open decoder with its position; sequential reads skip the seek."""

    def __init__(self, path: Path) -> None:
        self.cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        self.next = 0
        self.lock = threading.Lock()

    def read(self, n: int) -> np.ndarray | None:
        with self.lock:
            if n != self.next:
                self.cap.set(cv2.CAP_PROP_POS_FRAMES, n)
            ok, image = self.cap.read()
            self.next = n + 1 if ok else -1
            return image if ok else None


class VideoLibrary:
    """The videos the viewer may show: files under ``videos_dir`` and uploads.

    Args:
        videos_dir: folder listed recursively (``--videos``); read only.
        uploads_dir: folder uploads are saved in (created on demand).
    """

    def __init__(self, videos_dir: str | Path, uploads_dir: str | Path) -> None:
        self.videos_dir = Path(videos_dir).resolve()
        if not self.videos_dir.is_dir():
            raise ParttrackError("videos folder not found", videos_dir)
        self.uploads_dir = Path(uploads_dir).resolve()
        self._info: dict[tuple[str, float], dict[str, Any]] = {}
        self._readers: OrderedDict[str, _Reader] = OrderedDict()
        self._lock = threading.Lock()

    # --- names ---------------------------------------------------------------------------
    def resolve(self, key: str) -> Path:
        """The file a video name stands for.

        Raises:
            HttpError: 400 empty name, 403 absolute / ``..`` / outside the folders (symlinks
                included), 404 not found, 415 not a video file name.
        """
        if not key or "\x00" in key:
            raise HttpError(400, "video name is empty")
        root, rel = self.videos_dir, key
        if key.startswith(UPLOAD_PREFIX):
            root, rel = self.uploads_dir, key[len(UPLOAD_PREFIX):]
        pure = PurePosixPath(rel.replace("\\", "/"))
        if not pure.parts or pure.is_absolute() or ".." in pure.parts:
            raise HttpError(403, f"{key}: only paths inside the videos folder are served")
        path = root.joinpath(*pure.parts)
        if not contained(path, root):
            raise HttpError(403, f"{key}: resolves outside the videos folder")
        if not path.is_file():
            raise HttpError(404, f"{key}: no such video")
        if not is_video_name(path.name):
            raise HttpError(415, f"{key}: not a video file ({', '.join(VIDEO_SUFFIXES)})")
        return path.resolve()

    def key_of(self, path: Path) -> str:
        """The name of a file under one of the folders (inverse of :meth:`resolve`)."""
        p = path.resolve()
        if p.is_relative_to(self.uploads_dir):
            return UPLOAD_PREFIX + p.relative_to(self.uploads_dir).as_posix()
        return p.relative_to(self.videos_dir).as_posix()

    def list(self) -> list[dict[str, Any]]:
        """Every video under the videos folder (recursive, hidden entries and links that
        lead outside skipped) and every upload: ``[{"key", "name", "size", "upload"}]``."""
        out: list[dict[str, Any]] = []
        for root, upload in ((self.videos_dir, False), (self.uploads_dir, True)):
            if not root.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if name.startswith(".") or not is_video_name(name) or not contained(path, root):
                        continue
                    if not upload and path.resolve().is_relative_to(self.uploads_dir):
                        continue  # the uploads folder inside --videos: listed once, as uploads
                    rel = path.relative_to(root).as_posix()
                    key = UPLOAD_PREFIX + rel if upload else rel
                    out.append({"key": key, "name": rel, "size": path.stat().st_size, "upload": upload})
                    if len(out) >= MAX_LISTED:
                        return out
        return out

    # --- frames --------------------------------------------------------------------------
    def info(self, key: str) -> dict[str, Any]:
        """``{"key", "name", "width", "height", "fps", "frames"}`` of a video.

        Raises:
            HttpError: as :meth:`resolve`; 422 when the file does not decode.
        """
        path = self.resolve(key)
        stamp = (str(path), path.stat().st_mtime)
        if stamp not in self._info:
            try:
                with open_video(path) as video:
                    i = video.info
            except ParttrackError as e:
                raise HttpError(422, f"{key}: {e.message}") from None
            self._info[stamp] = {"key": key, "name": path.name, "width": i.width, "height": i.height,
                                 "fps": i.fps, "frames": i.num_frames}
        return self._info[stamp]

    def frame(self, key: str, n: int) -> np.ndarray:
        """Frame ``n`` (0-based) as ``(H, W, 3)`` uint8 BGR.

        Raises:
            HttpError: as :meth:`info`; 404 a frame past the end or one that fails to decode.
        """
        info = self.info(key)
        if n < 0 or n >= info["frames"]:
            raise HttpError(404, f"{key}: frame {n} does not exist ({info['frames']} frames)")
        path = str(self.resolve(key))
        with self._lock:
            reader = self._readers.pop(path, None) or _Reader(Path(path))
            self._readers[path] = reader
            while len(self._readers) > 4:
                self._readers.popitem(last=False)[1].cap.release()
        image = reader.read(n)
        if image is None:
            raise HttpError(404, f"{key}: frame {n} failed to decode")
        return image
