"""Live mode of the viewer: a camera, a stream URL or a video file played as a stream.

A worker thread reads frames (a file is paced at its frame rate), shows them as they come,
and once a subject is chosen (a tap or a box on the shown frame) tracks it and draws its box
and head point. The latest annotated frame is served as a JPEG (polling) or as MJPEG.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.viewer.jobs import error_text, start_subject
from parttrack.viewer.library import HttpError, encode_jpeg
from parttrack.viewer.render import overlay_drawer

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
TRAIL = 300  # head points kept for the page


@dataclass
class LiveSession:
    """One live source. ``state``: running | ended | failed | stopped."""

    id: str
    source: str | int
    label: str
    realtime: bool
    state: str = "running"
    error: str | None = None
    frame: int = -1
    seq: int = 0  # bumps with every new shown frame
    jpeg: bytes | None = None
    record: dict[str, Any] | None = None
    size: tuple[int, int] | None = None  # (W, H)
    heads: deque = field(default_factory=lambda: deque(maxlen=TRAIL))
    pending: tuple[BoxXYWH | None, tuple[float, float] | None] | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def snapshot(self) -> dict[str, Any]:
        """The session as JSON (no image)."""
        return {
            "id": self.id, "source": self.label, "state": self.state, "error": self.error,
            "frame": self.frame, "seq": self.seq, "size": self.size, "record": self.record,
            "tracking": self.record is not None, "heads": list(self.heads),
        }


def _open(source: str | int) -> cv2.VideoCapture:
    if isinstance(source, int):
        return cv2.VideoCapture(source)
    return cv2.VideoCapture(source, cv2.CAP_FFMPEG)


def run_live(session: LiveSession, tracker_factory: Callable[[], Any]) -> None:
    """Read, track and publish frames until the source ends or the session is stopped."""
    cap = _open(session.source)
    try:
        if not cap.isOpened():
            raise HttpError(422, f"{session.label}: cannot open the camera or stream")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        period = 1.0 / fps if session.realtime and 0 < fps < 240 else 0.0
        tracker, overlay, index, t_next = None, None, 0, time.monotonic()
        while not session.stop_event.is_set():
            ok, image = cap.read()
            if not ok or image is None:
                session.state = "ended"
                return
            session.size = (image.shape[1], image.shape[0])
            shown = image
            if session.pending is not None:
                box, point = session.pending
                session.pending = None
                tracker = tracker or tracker_factory()
                overlay = overlay_drawer()
                session.heads.clear()
                result = start_subject(tracker, image, box, point, index, False)
            elif tracker is not None and session.record is not None:
                result = tracker.track(image, index, keep_maps=False)
            else:
                result = None
            if result is not None:
                session.record = result.to_json()
                head = session.record["parts"].get("head")
                if head is not None:
                    session.heads.append([index, *head["point"]])
                shown = overlay.draw(image, result)
            session.jpeg = encode_jpeg(shown, 80)
            session.frame, session.seq = index, session.seq + 1
            index += 1
            if period:
                t_next += period
                time.sleep(max(0.0, t_next - time.monotonic()))
        session.state = "stopped"
    except Exception as e:  # noqa: BLE001 - reported on the page, the server goes on
        session.error = error_text(e) if not isinstance(e, HttpError) else e.detail
        session.state = "failed"
    finally:
        cap.release()


class LiveManager:
    """Live sessions: one running at a time.

    Args:
        tracker_factory: makes the tracker of a session.
    """

    def __init__(self, tracker_factory: Callable[[], Any]) -> None:
        self.tracker_factory = tracker_factory
        self.sessions: dict[str, LiveSession] = {}
        self._lock = threading.Lock()

    def start(
        self, source: str | int, label: str, realtime: bool,
        subject: tuple[BoxXYWH | None, tuple[float, float] | None] | None = None,
    ) -> LiveSession:
        """Open ``source`` (camera index, stream URL or a resolved file path) in a new session;
        ``subject`` ``(box, point)``, if given, is tracked from the first frame. Raises
        HttpError 409 while another live session runs."""
        with self._lock:
            for s in self.sessions.values():
                if s.state == "running":
                    raise HttpError(409, f"live session {s.id} ({s.label}) is running: stop it first")
            session = LiveSession(uuid.uuid4().hex[:12], source, label, realtime, pending=subject)
            self.sessions[session.id] = session
        session.thread = threading.Thread(target=run_live, args=(session, self.tracker_factory),
                                          daemon=True, name=f"parttrack-live-{session.id}")
        session.thread.start()
        return session

    def get(self, session_id: str) -> LiveSession:
        """The session of that id; HttpError 404 if there is none."""
        s = self.sessions.get(session_id)
        if s is None:
            raise HttpError(404, f"no live session {session_id!r}")
        return s

    def choose(self, session_id: str, box: BoxXYWH | None, point: tuple[float, float] | None) -> LiveSession:
        """Start (or restart) tracking on the next frame, from a box or a tap (image px)."""
        s = self.get(session_id)
        if s.state != "running":
            raise HttpError(409, f"live session {session_id} has {s.state}")
        s.pending = (box, point)
        return s

    def stop(self, session_id: str) -> LiveSession:
        """Stop a session (its thread ends after the current frame)."""
        s = self.get(session_id)
        s.stop_event.set()
        return s

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every session and wait for their threads."""
        for s in list(self.sessions.values()):
            s.stop_event.set()
        for s in list(self.sessions.values()):
            if s.thread is not None:
                s.thread.join(timeout)


def placeholder(width: int = 640, height: int = 360, text: str = "waiting for frames") -> np.ndarray:
    """A dark frame with ``text``, shown before the first live frame arrives."""
    img = np.full((height, width, 3), 40, np.uint8)
    cv2.putText(img, text, (20, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (220, 220, 220), 2, cv2.LINE_AA)
    return img
