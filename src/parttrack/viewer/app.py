"""The viewer's web app (FastAPI): videos, frames, uploads, tracking jobs, live mode.

Every error is JSON ``{"detail": "<one line>"}`` with its HTTP status: 403 a path outside
the videos folder, 404 an unknown video / frame / job / file, 409 a second job on a video,
413 an upload over the size limit, 415 a file that is not a video, 422 a bad request.

Example::

    app = create_app("videos/", work_dir="serve-work")
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from parttrack.data.video import open_video
from parttrack.errors import ParttrackError
from parttrack.viewer.jobs import OUTPUTS, JobManager, JobRequest
from parttrack.viewer.library import HttpError, VideoLibrary, encode_jpeg, is_video_name
from parttrack.viewer.live import URL_SCHEMES, LiveManager, placeholder

STATIC = Path(__file__).parent / "static"
DEFAULT_MAX_UPLOAD_MB = 200.0
_CHUNK = 1 << 20


class JobIn(BaseModel):
    """POST /api/jobs: the video, the frames and the subject (a box or a tap, image px)."""

    video: str
    start: int = Field(0, ge=0)
    end: int | None = Field(None, ge=0)
    box: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None


class LiveIn(BaseModel):
    """POST /api/live: a camera index ("0"), a stream URL, or a video name played as a stream."""

    source: str
    realtime: bool = True
    box: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None


class SubjectIn(BaseModel):
    """POST /api/live/{id}/subject: a box or a tap on the shown frame (image px)."""

    box: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None


def default_tracker_factory(weights: str | None = None, device: str = "cpu") -> Callable[[], Any]:
    """A factory of shipped-weights trackers with the FIG. 3 maps kept."""

    def make() -> Any:
        from parttrack import PartTracker

        return PartTracker.from_weights(weights, device=device, keep_maps=True)

    return make


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:120] or "upload.mp4"


def _check_subject(box: Any, point: Any, w: int, h: int) -> None:
    if box is None and point is None:
        raise HttpError(422, "choose the subject: give a box [x, y, w, h] or a point [x, y]")
    if box is not None and point is not None:
        raise HttpError(422, "give a box [x, y, w, h] or a point [x, y], not both")
    if box is not None:
        x, y, bw, bh = box
        if bw <= 0 or bh <= 0 or x >= w or y >= h or x + bw <= 0 or y + bh <= 0:
            raise HttpError(422, f"box {list(box)} is empty or outside the {w}x{h} frame")
    elif not (0 <= point[0] < w and 0 <= point[1] < h):
        raise HttpError(422, f"point {list(point)} lies outside the {w}x{h} frame")


def create_app(
    videos_dir: str | Path,
    work_dir: str | Path | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    tracker_factory: Callable[[], Any] | None = None,
) -> FastAPI:
    """The viewer app.

    Args:
        videos_dir: the only folder whose videos are listed and served (recursive).
        work_dir: uploads (``uploads/``) and job outputs (``jobs/<id>/``) go here
            (default: ``<temp>/parttrack-serve``).
        max_upload_mb: largest accepted upload, MB (larger: 413).
        tracker_factory: makes one tracker per job / live session (default: shipped
            weights on the CPU with ``keep_maps=True``).

    Raises:
        ParttrackError: ``videos_dir`` is not a folder.
    """
    work = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "parttrack-serve"
    library = VideoLibrary(videos_dir, work / "uploads")
    factory = tracker_factory or default_tracker_factory()
    jobs = JobManager(work / "jobs", factory)
    live = LiveManager(factory)
    limit = int(max_upload_mb * 1e6)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()
        live.shutdown()

    app = FastAPI(title="parttrack viewer", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.library, app.state.jobs, app.state.live = library, jobs, live

    @app.exception_handler(HttpError)
    async def _http_error(_: Request, e: HttpError) -> JSONResponse:
        return JSONResponse({"detail": e.detail}, status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(v) for v in err['loc'][1:]) or 'body'}: {err['msg']}" for err in e.errors()]
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/config")
    def config() -> dict[str, Any]:
        return {"videos": library.videos_dir.name, "max_upload_mb": max_upload_mb}

    @app.get("/api/videos")
    def videos() -> list[dict[str, Any]]:
        return library.list()

    @app.get("/api/video")
    def video(key: str = Query(...)) -> dict[str, Any]:
        return library.info(key)

    @app.get("/api/frame")
    def frame(key: str = Query(...), n: int = Query(0)) -> Response:
        return Response(encode_jpeg(library.frame(key, n)), media_type="image/jpeg",
                        headers={"Cache-Control": "max-age=3600"})

    @app.post("/api/upload", status_code=201)
    async def upload(request: Request, name: str | None = Query(None)) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
            raise HttpError(413, f"upload is {int(declared) / 1e6:.1f} MB, the limit is {max_upload_mb:g} MB")
        if name is not None and not is_video_name(_safe_name(name)):
            raise HttpError(415, f"{_safe_name(name)}: not a video file name (.mp4, .avi, .mov, .mkv, ...)")
        seen = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal seen
            async for chunk in request.stream():
                seen += len(chunk)
                if seen > limit + 64 * 1024:
                    raise HttpError(413, f"upload is over the {max_upload_mb:g} MB limit")
                yield chunk

        library.uploads_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload.", suffix=".part", dir=library.uploads_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                if request.headers.get("content-type", "").startswith("multipart/form-data"):
                    from starlette.formparsers import MultiPartParser

                    form = await MultiPartParser(request.headers, counted(), max_files=1, max_fields=4).parse()
                    item = form.get("file")
                    if item is None or isinstance(item, str):
                        raise HttpError(422, "multipart upload needs a 'file' field")
                    name = name or item.filename or "upload"
                    while chunk := await item.read(_CHUNK):
                        out.write(chunk)
                else:
                    async for chunk in counted():
                        out.write(chunk)
            name = _safe_name(name or "upload")
            if not is_video_name(name):
                raise HttpError(415, f"{name}: not a video file name (.mp4, .avi, .mov, .mkv, ...)")
            if tmp.stat().st_size > limit:
                raise HttpError(413, f"upload is over the {max_upload_mb:g} MB limit")
            try:
                await asyncio.to_thread(lambda: open_video(tmp).close())
            except ParttrackError as e:
                raise HttpError(415, f"{name}: not a readable video ({e.message})") from None
            target = library.uploads_dir / name
            stem, k = target.stem, 1
            while target.exists():
                target, k = target.with_name(f"{stem}_{k}{target.suffix}"), k + 1
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return library.info(library.key_of(target))

    @app.post("/api/jobs", status_code=201)
    def start_job(body: JobIn) -> dict[str, Any]:
        path = library.resolve(body.video)
        info = library.info(body.video)
        if body.start >= info["frames"]:
            raise HttpError(422, f"start frame {body.start} is past the end ({info['frames']} frames)")
        if body.end is not None and body.end < body.start:
            raise HttpError(422, f"end frame {body.end} is before start frame {body.start}")
        _check_subject(body.box, body.point, info["width"], info["height"])
        req = JobRequest(body.video, path, body.start, body.end, body.box, None if body.box else body.point)
        return jobs.submit(jobs.resolve_tap(req)).snapshot()

    @app.get("/api/jobs")
    def list_jobs() -> list[dict[str, Any]]:
        return [{k: v for k, v in j.snapshot().items() if k != "records"} for j in jobs.jobs.values()]

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str, since: int = Query(0, ge=0)) -> dict[str, Any]:
        return jobs.get(job_id).snapshot(since)

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel_job(job_id: str) -> dict[str, Any]:
        return jobs.cancel(job_id).snapshot(since=10**9)

    @app.get("/api/jobs/{job_id}/files/{name}")
    def job_file(job_id: str, name: str) -> FileResponse:
        job = jobs.get(job_id)
        if name not in OUTPUTS:
            raise HttpError(404, f"no output {name!r} (outputs: {', '.join(OUTPUTS)})")
        if job.state != "done":
            raise HttpError(404, f"job {job_id} has no outputs ({job.state})")
        stem = Path(job.request.video).stem
        return FileResponse(job.folder / name, filename=f"{stem}_{name}")

    @app.get("/api/jobs/{job_id}/maps/{n}")
    def job_maps(job_id: str, n: int, part: str = Query("head")) -> FileResponse:
        job = jobs.get(job_id)
        if part not in job.parts:
            raise HttpError(404, f"no part {part!r} (parts: {', '.join(job.parts) or 'none yet'})")
        path = job.map_path(n, part)
        if not path.is_file():
            raise HttpError(404, f"job {job_id} has no maps for frame {n}")
        return FileResponse(path, media_type="image/jpeg")

    @app.post("/api/live", status_code=201)
    def start_live(body: LiveIn) -> dict[str, Any]:
        src = body.source.strip()
        source: str | int
        if src.isdigit():
            source = int(src)
        elif src.lower().startswith(URL_SCHEMES):
            source = src
        else:
            source = str(library.resolve(src))  # a video of the folder, played as a stream
        first = None  # a subject given now is tracked from the first frame
        if body.box is not None or body.point is not None:
            first = (body.box, None if body.box else body.point)
        return live.start(source, src, body.realtime, first).snapshot()

    @app.get("/api/live/{sid}")
    def get_live(sid: str) -> dict[str, Any]:
        return live.get(sid).snapshot()

    @app.post("/api/live/{sid}/subject")
    def live_subject(sid: str, body: SubjectIn) -> dict[str, Any]:
        s = live.get(sid)
        w, h = s.size or (10**9, 10**9)
        _check_subject(body.box, body.point, w, h)
        return live.choose(sid, body.box, None if body.box else body.point).snapshot()

    @app.post("/api/live/{sid}/stop")
    def stop_live(sid: str) -> dict[str, Any]:
        return live.stop(sid).snapshot()

    @app.get("/api/live/{sid}/frame.jpg")
    def live_frame(sid: str) -> Response:
        s = live.get(sid)
        data = s.jpeg or encode_jpeg(placeholder())
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/api/live/{sid}/mjpeg")
    async def live_mjpeg(sid: str) -> StreamingResponse:
        s = live.get(sid)

        async def parts() -> AsyncIterator[bytes]:
            seq = -1
            while True:
                if s.seq != seq and s.jpeg is not None:
                    seq, data = s.seq, s.jpeg
                    yield b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + \
                        str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n"
                elif s.state != "running":
                    return
                await asyncio.sleep(0.02)

        return StreamingResponse(parts(), media_type="multipart/x-mixed-replace; boundary=frame")

    return app
