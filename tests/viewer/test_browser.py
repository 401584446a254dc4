"""A real browser on the viewer: open a synthetic clip, click the subject's body, track, and
check the head points the page shows against the ground truth.

Needs the operating system's Chromium (``apt-get install chromium``); Playwright drives it
through ``executable_path`` (no browser download). Skips, saying why, when none is found.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parttrack.viewer.app import create_app
from tests.viewer.clips import Clip, head_error, write_clip

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium executable on PATH (apt-get install chromium)"
)
FRAMES = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Clip]]:
    """The viewer on a free loopback port over a folder with one synthetic clip."""
    import uvicorn

    clip = write_clip(tmp_path / "videos", "easy.mp4", frames=FRAMES)
    port = _free_port()
    app = create_app(tmp_path / "videos", tmp_path / "work")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", clip
    server.should_exit = True
    thread.join(10)


def test_click_the_subject_track_and_see_its_head(served: tuple[str, Clip]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    url, clip = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.click("li[data-key='easy.mp4']")
            page.wait_for_function("document.body.dataset.videoReady === '1'", timeout=10_000)
            box = page.locator("#view").bounding_box()
            x, y = clip.torso()
            page.mouse.click(box["x"] + x * box["width"] / clip.size[0], box["y"] + y * box["height"] / clip.size[1])
            assert "tap at" in page.text_content("#choice")
            page.click("#track")
            page.wait_for_function("['done', 'failed'].includes(window.viewer.state())", timeout=25_000)
            assert page.evaluate("window.viewer.state()") == "done", page.text_content("#status")
            points = page.evaluate("window.viewer.headPoints()")
            err, n = head_error(points, clip)
            assert n >= 0.8 * FRAMES and err < 1.0, (err, n)  # mean error within a head height
            # the FIG. 3 maps of the shown frame load when toggled; downloads are offered
            page.check("#show-maps")
            page.wait_for_function("document.getElementById('maps').naturalWidth > 0", timeout=5_000)
            assert page.locator("#downloads a").count() == 3
        finally:
            browser.close()
