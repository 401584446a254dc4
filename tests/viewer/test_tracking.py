"""The happy path through the API with the shipped tracker: tap the subject, track, read back."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from parttrack.viewer.app import create_app
from tests.viewer.clips import head_error, write_clip


def test_tap_track_download_and_maps_with_the_shipped_tracker(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "videos", "walk.mp4", frames=12)
    with TestClient(create_app(tmp_path / "videos", tmp_path / "work")) as c:
        job = c.post("/api/jobs", json={"video": "walk.mp4", "point": list(clip.torso())})
        assert job.status_code == 201, job.text
        deadline = time.monotonic() + 120
        while (snap := c.get(f"/api/jobs/{job.json()['id']}").json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, "job did not finish"
            time.sleep(0.1)
        assert snap["state"] == "done", snap["error"]
        assert [r["frame"] for r in snap["records"]] == list(range(12))
        points = {r["frame"]: r["parts"]["head"]["point"] for r in snap["records"] if r["parts"]["head"]}
        err, n = head_error(points, clip)
        assert n >= 10 and err < 1.0, (err, n)  # within a head height
        lines = c.get(f"/api/jobs/{snap['id']}/files/track.jsonl").text.splitlines()
        assert len(lines) == 12
        maps = c.get(f"/api/jobs/{snap['id']}/maps/5", params={"part": "head"})
        assert maps.status_code == 200
        strip = cv2.imdecode(np.frombuffer(maps.content, np.uint8), cv2.IMREAD_COLOR)
        assert strip.shape[1] > 3 * strip.shape[0]  # four tiles side by side
    assert (tmp_path / "work" / "jobs" / snap["id"] / "track.mp4").stat().st_size > 1000
