"""Tracking jobs of the viewer: one per video at a time, in a worker thread, cancellable.

A job tracks the chosen subject from frame ``start`` and writes ``track.jsonl``,
``track.mot.txt``, ``track.mp4`` and one FIG. 3 strip per frame (``maps/<frame>_<part>.jpg``)
into ``<jobs_dir>/.<id>.partial/``; only a finished job's folder is renamed to
``<jobs_dir>/<id>/``. A cancelled or crashed job's folder is deleted: no half-written outputs.

Example::

    jobs = JobManager("serve-work/jobs", lambda: PartTracker.from_weights(keep_maps=True))
    job = jobs.submit(JobRequest("clip.mp4", Path("videos/clip.mp4"), start=0, point=(120, 90)))
    jobs.get(job.id).snapshot()      # {"state": "running", "done": 12, "total": 100, ...}
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.data.video import VideoWriter, open_video, read_frames
from parttrack.errors import ParttrackError, UsageError
from parttrack.viewer.library import HttpError
from parttrack.viewer.render import map_field, map_strip, overlay_drawer

OUTPUTS = ("track.jsonl", "track.mot.txt", "track.mp4")
MAX_MAP_FRAMES = 2000  # FIG. 3 strips kept per job at most (every k-th frame on longer runs)

def start_subject(
    tracker: Any,
    frame: np.ndarray,
    box: BoxXYWH | None = None,
    point: tuple[float, float] | None = None,
    frame_index: int = 0,
    keep_maps: bool | None = None,
) -> Any:
    """Start tracking the subject chosen by a box or by a tap ([0053]).

    Args:
        tracker: a ``PartTracker``.
        frame: ``(H, W, 3)`` uint8 BGR.
        box: subject ``(x, y, w, h)`` image pixels; wins over ``point``.
        point: ``(x, y)`` image pixels of a tap on the subject's head or body.
        frame_index, keep_maps: passed on to ``tracker.initialize``.

    Returns:
        The first frame's ``TrackResult``.

    Raises:
        UsageError: neither box nor point, or a point outside the frame.
    """
    kw = {"frame_index": frame_index, "keep_maps": keep_maps}
    if box is not None:
        return tracker.initialize(frame, box=box, **kw)
    if point is None:
        raise UsageError("choose the subject: give a box or a point")
    H, W = frame.shape[:2]
    if not (0 <= point[0] < W and 0 <= point[1] < H):
        raise UsageError(f"point {point[0]:g},{point[1]:g} lies outside the {W}x{H} frame")
    return tracker.initialize(frame, point=point, **kw)  # PartTracker.propose_box finds the person


@dataclass(frozen=True)
class JobRequest:
    """What to track: ``video`` (its viewer name), ``path`` (the resolved file), frames
    ``start``..``end`` (0-based, inclusive; None = to the end) and the subject's ``box``
    ``(x, y, w, h)`` or tapped ``point`` ``(x, y)`` on frame ``start``, image pixels."""

    video: str
    path: Path
    start: int = 0
    end: int | None = None
    box: BoxXYWH | None = None
    point: tuple[float, float] | None = None


class _Cancelled(Exception):
    pass


@dataclass
class Job:
    """One tracking run. ``state``: queued | running | done | failed | cancelled."""

    id: str
    request: JobRequest
    jobs_dir: Path
    state: str = "queued"
    done: int = 0
    total: int | None = None
    fps: float = 25.0
    error: str | None = None
    maps_every: int = 1
    parts: tuple[str, ...] = ()
    records: list[dict[str, Any]] = field(default_factory=list)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def folder(self) -> Path:
        """Where its files are now: the partial folder while it runs, then the final one."""
        final = self.jobs_dir / self.id
        return final if self.state == "done" else self.jobs_dir / f".{self.id}.partial"

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """The job as JSON: state, progress and the per-frame records from index ``since``."""
        r = self.request
        return {
            "id": self.id, "video": r.video, "state": self.state, "done": self.done,
            "total": self.total, "start": r.start, "end": r.end, "fps": self.fps,
            "error": self.error, "parts": list(self.parts), "maps_every": self.maps_every,
            "outputs": list(OUTPUTS) if self.state == "done" else [],
            "since": since, "records": self.records[since:],
        }

    def map_path(self, frame: int, part: str) -> Path:
        """The FIG. 3 strip kept for ``frame`` (or the nearest earlier kept frame)."""
        start = self.request.start
        kept = frame - (frame - start) % self.maps_every
        return self.folder / "maps" / f"{kept:06d}_{part}.jpg"


def error_text(e: BaseException) -> str:
    if isinstance(e, ParttrackError | ValueError | KeyError):
        return str(e)
    return f"{type(e).__name__}: {e}"


def run_job(job: Job, tracker_factory: Callable[[], Any]) -> None:
    """Run ``job`` to its end (in the calling thread); never raises: the outcome is in
    ``job.state`` / ``job.error``."""
    r = job.request
    partial = job.jobs_dir / f".{job.id}.partial"
    try:
        partial.mkdir(parents=True)
        (partial / "maps").mkdir()
        job.state = "running"
        tracker = tracker_factory()
        with open_video(r.path, start=r.start, end=r.end) as video:
            info = video.info
            last = info.num_frames - 1 if r.end is None else min(r.end, info.num_frames - 1)
            job.total, job.fps = last - r.start + 1, info.fps
            job.maps_every = max(1, math.ceil(job.total / MAX_MAP_FRAMES))
            _track(job, tracker, video, partial, (info.width, info.height))
        os.replace(partial, job.jobs_dir / job.id)
        job.state = "done"
    except _Cancelled:
        job.state = "cancelled"
    except Exception as e:  # noqa: BLE001 - a job reports every failure, the server goes on
        job.error = error_text(e)
        job.state = "failed"
    finally:
        if job.state != "done":
            shutil.rmtree(partial, ignore_errors=True)


def _track(job: Job, tracker: Any, video: Any, folder: Path, size: tuple[int, int]) -> None:
    from parttrack.data.mot import write_mot_results

    r = job.request
    overlay = overlay_drawer()
    mot_rows: list[tuple[int, int, BoxXYWH, float]] = []
    tmp_jsonl = folder / ".track.jsonl.tmp"
    with tmp_jsonl.open("w") as out, VideoWriter(folder / "track.mp4", job.fps, size) as writer:
        for frame in video:
            if job.cancel_event.is_set():
                raise _Cancelled
            keep = (frame.index - r.start) % job.maps_every == 0
            if frame.index == r.start:
                result = start_subject(tracker, frame.image, r.box, r.point, frame.index, keep)
                job.parts = tuple(result.parts)
            else:
                result = tracker.track(frame.image, frame.index, keep_maps=keep)
            record = result.to_json()
            out.write(json.dumps(record) + "\n")
            if result.box is not None:
                mot_rows.append((frame.index, 1, result.box, result.score))
            writer.write(overlay.draw(frame.image, result))
            if keep and result.maps is not None:
                for part in map_field(result.maps, "parts"):
                    strip = map_strip(result.maps, part)
                    cv2.imwrite(str(folder / "maps" / f"{frame.index:06d}_{part}.jpg"), strip)
            job.records.append(record)
            job.done += 1
    os.replace(tmp_jsonl, folder / "track.jsonl")
    write_mot_results(mot_rows, folder / "track.mot.txt")


class JobManager:
    """Runs :class:`Job` s, one at a time per video, each in its own thread.

    Args:
        jobs_dir: where job folders go (created; stale ``.*.partial`` folders of a crashed
            server are removed).
        tracker_factory: makes a fresh tracker for each job (``keep_maps`` on).
    """

    def __init__(self, jobs_dir: str | Path, tracker_factory: Callable[[], Any]) -> None:
        self.jobs_dir = Path(jobs_dir)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.jobs_dir.glob(".*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        self.tracker_factory = tracker_factory
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def resolve_tap(self, request: JobRequest) -> JobRequest:
        """A tapped request with the person found there as its box (the tracker's
        ``propose_box`` on frame ``start``), so that a tap on nobody is refused at once
        (HttpError 422 with the reason) instead of failing the job later. Requests with a box,
        and trackers without ``propose_box``, pass unchanged."""
        if request.box is not None or request.point is None:
            return request
        propose = getattr(self.tracker_factory(), "propose_box", None)
        if propose is None:
            return request
        frame = read_frames(request.path, [request.start]).get(request.start)
        if frame is None:
            raise HttpError(422, f"frame {request.start} of {request.video} does not decode")
        try:
            box = propose(frame, request.point)
        except ParttrackError as e:
            raise HttpError(422, str(e)) from None
        return dataclasses.replace(request, box=tuple(float(v) for v in box))

    def submit(self, request: JobRequest) -> Job:
        """Start a job. Raises HttpError 409 while another job on the same video runs."""
        with self._lock:
            for other in self.jobs.values():
                if other.active and other.request.path == request.path:
                    raise HttpError(409, f"{request.video}: job {other.id} is already tracking this video")
            job = Job(uuid.uuid4().hex[:12], request, self.jobs_dir)
            self.jobs[job.id] = job
        job.thread = threading.Thread(target=run_job, args=(job, self.tracker_factory), daemon=True,
                                      name=f"parttrack-job-{job.id}")
        job.thread.start()
        return job

    def get(self, job_id: str) -> Job:
        """The job of that id; HttpError 404 if there is none."""
        job = self.jobs.get(job_id)
        if job is None:
            raise HttpError(404, f"no job {job_id!r}")
        return job

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop (it deletes its partial outputs); a finished job is left as is."""
        job = self.get(job_id)
        job.cancel_event.set()
        return job

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every running job and wait for their threads."""
        for job in list(self.jobs.values()):
            job.cancel_event.set()
        for job in list(self.jobs.values()):
            if job.thread is not None:
                job.thread.join(timeout)
