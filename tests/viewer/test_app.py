"""API tests of the viewer (FastAPI TestClient): every bad input, jobs, uploads, live mode."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from parttrack.viewer.app import create_app
from tests.viewer.clips import Clip, write_clip
from tests.viewer.fakes import FakeTracker


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Clip]:
    """videos/clip.mp4, videos/sub/other.mp4, a text file, and links to a video outside."""
    root = tmp_path_factory.mktemp("viewer")
    videos = root / "videos"
    clip = write_clip(videos, "clip.mp4", frames=8)
    (videos / "sub").mkdir()
    os.link(clip.path, videos / "sub" / "other.mp4")
    (videos / "notes.txt").write_text("not a video")
    (videos / ".hidden.mp4").write_bytes(clip.path.read_bytes())
    outside = root / "secret.mp4"
    outside.write_bytes(clip.path.read_bytes())
    (videos / "link.mp4").symlink_to(outside)
    (videos / "linkdir").symlink_to(root, target_is_directory=True)
    return videos, clip


def _client(videos: Path, work: Path, factory=None, **kw) -> TestClient:  # noqa: ANN001
    return TestClient(create_app(videos, work, tracker_factory=factory or FakeTracker, **kw))


@pytest.fixture
def client(library: tuple[Path, Clip], tmp_path: Path):  # noqa: ANN201
    with _client(library[0], tmp_path / "work") as c:
        yield c


def _wait(client: TestClient, url: str, until, limit: float = 30.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + limit
    while True:
        snap = client.get(url).json()
        if until(snap) or time.monotonic() > deadline:
            return snap
        time.sleep(0.05)


def test_lists_videos_recursively_skipping_non_videos_hidden_and_outside_links(client: TestClient) -> None:
    keys = [v["key"] for v in client.get("/api/videos").json()]
    assert keys == ["clip.mp4", "sub/other.mp4"]


def test_video_info_and_frame_jpeg(client: TestClient, library: tuple[Path, Clip]) -> None:
    info = client.get("/api/video", params={"key": "clip.mp4"}).json()
    clip = library[1]
    assert (info["width"], info["height"], info["frames"]) == (*clip.size, clip.frames)
    r = client.get("/api/frame", params={"key": "sub/other.mp4", "n": 5})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (clip.size[1], clip.size[0], 3)


def test_page_and_static_files_are_served(client: TestClient) -> None:
    assert "parttrack" in client.get("/").text
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("../secret.mp4", 403),
        ("sub/../../secret.mp4", 403),
        ("/etc/hostname", 403),
        ("link.mp4", 403),  # a symlink to a file outside the folder
        ("linkdir/secret.mp4", 403),  # a symlinked folder leading outside
        ("@uploads/../videos/clip.mp4", 403),
        ("nope.mp4", 404),
        ("notes.txt", 415),
        ("", 400),
    ],
)
def test_bad_video_names_are_refused(client: TestClient, key: str, status: int) -> None:
    for url, params in (("/api/video", {"key": key}), ("/api/frame", {"key": key, "n": 0})):
        r = client.get(url, params=params)
        assert r.status_code == status, r.text
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    r = client.post("/api/jobs", json={"video": key, "point": [10, 10]})
    assert r.status_code == status


def test_frame_past_the_end_is_404(client: TestClient) -> None:
    r = client.get("/api/frame", params={"key": "clip.mp4", "n": 8})
    assert r.status_code == 404 and "8 frames" in r.json()["detail"]


def test_upload_accepts_a_video_and_lists_it(client: TestClient, library: tuple[Path, Clip]) -> None:
    data = library[1].path.read_bytes()
    r = client.post("/api/upload", files={"file": ("my clip.mp4", data, "video/mp4")})
    assert r.status_code == 201, r.text
    assert r.json()["key"] == "@uploads/my_clip.mp4" and r.json()["frames"] == 8
    r = client.post("/api/upload", params={"name": "my clip.mp4"}, content=data)  # raw body
    assert r.status_code == 201 and r.json()["key"] == "@uploads/my_clip_1.mp4"
    keys = [v["key"] for v in client.get("/api/videos").json()]
    assert "@uploads/my_clip.mp4" in keys and "@uploads/my_clip_1.mp4" in keys
    assert client.get("/api/frame", params={"key": "@uploads/my_clip.mp4", "n": 7}).status_code == 200


def test_upload_over_the_limit_is_413_and_leaves_nothing(library: tuple[Path, Clip], tmp_path: Path) -> None:
    with _client(library[0], tmp_path / "work", max_upload_mb=0.01) as c:
        big = b"\0" * 200_000
        r = c.post("/api/upload", files={"file": ("big.mp4", big, "video/mp4")})
        assert r.status_code == 413 and "0.01 MB" in r.json()["detail"]
        r = c.post("/api/upload", params={"name": "big.mp4"}, content=big)
        assert r.status_code == 413
    uploads = tmp_path / "work" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.parametrize(("name", "data"), [("notes.txt", b"hello"), ("fake.mp4", b"not a video at all")])
def test_upload_of_a_non_video_is_415(client: TestClient, tmp_path: Path, name: str, data: bytes) -> None:
    r = client.post("/api/upload", files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 415 and name in r.json()["detail"]
    assert [v["key"] for v in client.get("/api/videos").json()] == ["clip.mp4", "sub/other.mp4"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"video": "clip.mp4"}, "choose the subject"),
        ({"video": "clip.mp4", "box": [5000, 10, 20, 40]}, "outside"),
        ({"video": "clip.mp4", "box": [10, 10, 0, 40]}, "empty"),
        ({"video": "clip.mp4", "point": [-1, 10]}, "outside"),
        ({"video": "clip.mp4", "point": [10, 10], "start": 8}, "past the end"),
        ({"video": "clip.mp4", "point": [10, 10], "start": 3, "end": 2}, "before start"),
        ({"video": "clip.mp4", "point": [10]}, "point"),
        ({"video": "clip.mp4", "point": [10, 10], "start": -1}, "start"),
        ({"video": "clip.mp4", "point": [1, 10]}, "no person found at (1, 10)"),  # a tap on nobody
        ({"video": "clip.mp4", "point": [10, 10], "box": [10, 10, 20, 40]}, "not both"),
    ],
)
def test_bad_job_requests_are_422_with_a_message(client: TestClient, body: dict, words: str) -> None:
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert client.get("/api/jobs").json() == []  # refused before any job starts


def test_unknown_ids_are_404(client: TestClient) -> None:
    for method, url in [("get", "/api/jobs/nope"), ("post", "/api/jobs/nope/cancel"),
                        ("get", "/api/jobs/nope/files/track.jsonl"), ("get", "/api/jobs/nope/maps/0"),
                        ("get", "/api/live/nope"), ("get", "/api/live/nope/frame.jpg"),
                        ("post", "/api/live/nope/stop")]:
        r = getattr(client, method)(url)
        assert r.status_code == 404 and "nope" in r.json()["detail"], url


def test_second_job_on_a_video_is_409_and_cancel_leaves_no_outputs(library: tuple[Path, Clip], tmp_path: Path) -> None:
    gate = threading.Event()
    with _client(library[0], tmp_path / "work", lambda: FakeTracker(gate=gate)) as c:
        job = c.post("/api/jobs", json={"video": "clip.mp4", "box": [40, 100, 30, 80]}).json()
        _wait(c, f"/api/jobs/{job['id']}", lambda s: s["done"] >= 1)
        r = c.post("/api/jobs", json={"video": "clip.mp4", "box": [40, 100, 30, 80]})
        assert r.status_code == 409 and job["id"] in r.json()["detail"]
        other = c.post("/api/jobs", json={"video": "sub/other.mp4", "box": [40, 100, 30, 80]})
        assert other.status_code == 201  # another video may run at the same time
        c.post(f"/api/jobs/{job['id']}/cancel")
        gate.set()
        snap = _wait(c, f"/api/jobs/{job['id']}", lambda s: s["state"] not in ("queued", "running"))
        assert snap["state"] == "cancelled" and snap["outputs"] == []
        r = c.get(f"/api/jobs/{job['id']}/files/track.jsonl")
        assert r.status_code == 404 and "cancelled" in r.json()["detail"]
        _wait(c, f"/api/jobs/{other.json()['id']}", lambda s: s["state"] == "done")
    assert sorted(p.name for p in (tmp_path / "work" / "jobs").iterdir()) == [other.json()["id"]]


def test_a_crashed_job_reports_its_error_and_leaves_no_outputs(library: tuple[Path, Clip], tmp_path: Path) -> None:
    with _client(library[0], tmp_path / "work", lambda: FakeTracker(fail_at=4)) as c:
        job = c.post("/api/jobs", json={"video": "clip.mp4", "box": [40, 100, 30, 80]}).json()
        snap = _wait(c, f"/api/jobs/{job['id']}", lambda s: s["state"] not in ("queued", "running"))
        assert snap["state"] == "failed" and "boom at frame 4" in snap["error"]
        # a new job on the same video may start once it failed
        assert c.post("/api/jobs", json={"video": "clip.mp4", "box": [40, 100, 30, 80]}).status_code == 201
    left = [p.name for p in (tmp_path / "work" / "jobs").iterdir()]
    assert not any(p.startswith(".") for p in left) and job["id"] not in left


def test_job_outputs_and_maps_with_a_fake_tracker(client: TestClient) -> None:
    job = client.post("/api/jobs", json={"video": "clip.mp4", "box": [40, 100, 30, 80], "start": 2, "end": 6}).json()
    snap = _wait(client, f"/api/jobs/{job['id']}", lambda s: s["state"] == "done")
    assert [r["frame"] for r in snap["records"]] == [2, 3, 4, 5, 6]
    assert snap["outputs"] == ["track.jsonl", "track.mot.txt", "track.mp4"]
    assert [r["frame"] for r in client.get(f"/api/jobs/{job['id']}", params={"since": 3}).json()["records"]] == [5, 6]
    jsonl = client.get(f"/api/jobs/{job['id']}/files/track.jsonl")
    assert jsonl.status_code == 200 and len(jsonl.text.splitlines()) == 5
    mot = client.get(f"/api/jobs/{job['id']}/files/track.mot.txt").text.splitlines()
    assert mot[0] == "3,1,40,100,30,80,0.8,-1,-1,-1" and len(mot) == 5
    mp4 = client.get(f"/api/jobs/{job['id']}/files/track.mp4")
    assert mp4.status_code == 200 and len(mp4.content) > 1000
    assert client.get(f"/api/jobs/{job['id']}/files/..%2Fsecret.mp4").status_code == 404
    assert client.get(f"/api/jobs/{job['id']}/files/app.py").status_code == 404
    r = client.get(f"/api/jobs/{job['id']}/maps/4", params={"part": "head"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert client.get(f"/api/jobs/{job['id']}/maps/4", params={"part": "nose"}).status_code == 404
    assert client.get(f"/api/jobs/{job['id']}/maps/7").status_code == 404  # not tracked


def test_live_mode_tracks_a_video_file_played_as_a_stream(client: TestClient) -> None:
    s = client.post("/api/live", json={"source": "clip.mp4", "realtime": False, "box": [40, 100, 30, 80]})
    assert s.status_code == 201, s.text
    sid = s.json()["id"]
    snap = _wait(client, f"/api/live/{sid}", lambda x: x["state"] != "running")
    assert snap["state"] == "ended" and snap["frame"] == 7 and snap["tracking"]
    assert [h[0] for h in snap["heads"]] == list(range(8))
    assert snap["heads"][0][1:] == [55.0, 108.0]
    frame = client.get(f"/api/live/{sid}/frame.jpg")
    assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
    mjpeg = client.get(f"/api/live/{sid}/mjpeg")  # the source ended: the stream ends too
    assert mjpeg.headers["content-type"].startswith("multipart/x-mixed-replace")
    assert mjpeg.content.count(b"--frame\r\n") == 1


def test_live_mode_refuses_a_second_session_and_bad_sources(library: tuple[Path, Clip], tmp_path: Path) -> None:
    gate = threading.Event()
    with _client(library[0], tmp_path / "work", lambda: FakeTracker(gate=gate)) as c:
        sid = c.post("/api/live", json={"source": "clip.mp4", "box": [40, 100, 30, 80]}).json()["id"]
        r = c.post("/api/live", json={"source": "sub/other.mp4"})
        assert r.status_code == 409 and sid in r.json()["detail"]
        assert c.post(f"/api/live/{sid}/subject", json={}).status_code == 422
        assert c.post(f"/api/live/{sid}/stop").status_code == 200
        gate.set()
        assert _wait(c, f"/api/live/{sid}", lambda x: x["state"] != "running")["state"] == "stopped"
        assert c.post(f"/api/live/{sid}/subject", json={"point": [5, 5]}).status_code == 409
        assert c.post("/api/live", json={"source": "../secret.mp4"}).status_code == 403
        assert c.post("/api/live", json={"source": "nope.mp4"}).status_code == 404
