"""How ``parttrack`` fails: one stderr line ``error: ...`` and an exit code (2 bad input, 1
internal error, 130 Ctrl-C), the traceback only with ``--debug`` before the command, and no
decoder chatter around the line. The bad inputs themselves are in test_catalogue.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import parttrack.pipeline
from parttrack import __version__
from parttrack.cli import main
from parttrack.errors import VideoError
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, save_weights

TRACK = ["track", "clip.mp4", "--box", "1,2,3,4", "--weights", "w.pt"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("w")
    cfg = ModelConfig(parts=("head",), width=8)
    save_weights(d / "w.pt", cfg, PartDetector(cfg), SiameseTracker(cfg))
    return d / "w.pt"


@pytest.fixture
def here(tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with ``w.pt`` and a text file called ``clip.mp4``."""
    (tmp_path / "w.pt").symlink_to(weights)
    (tmp_path / "clip.mp4").write_text("not a video\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(args)
    out, err = capsys.readouterr()
    return e.value.code, out, err


def fail_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(parttrack.pipeline, "track_video", boom)


def test_success_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["version"], capsys) == (0, f"{__version__}\n", "")


def test_help_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["track", "--help"], capsys)
    assert code == 0 and "--on-bad-frame" in out and err == ""
    code, out, err = run([], capsys)  # no command: the help, exit 2 as before
    assert code == 2 and "track" in out + err and "error:" not in out + err


def test_bad_input_is_one_line_and_debug_raises_it(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(TRACK, capsys) == (2, "", "error: clip.mp4: cannot open video (unreadable or corrupt file)\n")
    with pytest.raises(VideoError, match="cannot open video") as e:
        main(["--debug", *TRACK])
    assert e.value.path == "clip.mp4"


@pytest.mark.parametrize(
    ("exc", "message", "code"),
    [
        (ValueError("boom\nsecond line"),
         "error: internal error: ValueError: boom (a bug: rerun with --debug and report the traceback)", 1),
        (PermissionError(13, "Permission denied", "out/r.jsonl"), "error: out/r.jsonl: Permission denied", 2),
        (IsADirectoryError(21, "Is a directory", ".r.jsonl.x1", None, "r.jsonl"), "error: r.jsonl: Is a directory", 2),
        (OSError(28, "No space left on device"), "error: No space left on device", 2),
    ],
)
def test_unexpected_exceptions_are_one_line(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    exc: Exception, message: str, code: int,
) -> None:
    fail_with(monkeypatch, exc)
    assert run(TRACK, capsys) == (code, "", message + "\n")
    with pytest.raises(type(exc)):
        main(["--debug", *TRACK])


def test_ctrl_c_exits_130(here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fail_with(monkeypatch, KeyboardInterrupt())
    assert run(TRACK, capsys) == (130, "", "error: interrupted\n")


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}
    return subprocess.run(
        [sys.executable, "-m", "parttrack", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # two fresh interpreters (~10 s)
def test_whole_stderr_is_one_line_and_debug_prints_the_traceback(here: Path) -> None:
    """In a fresh process FFmpeg ("moov atom not found") and OpenCV ("[ WARN:0@...]") would
    write their own lines around ours; only --debug lets them (and the traceback) through."""
    torch.set_num_threads(1)
    p = _cli(TRACK, here)
    assert (p.returncode, p.stdout, p.stderr) == (2, "", "error: clip.mp4: cannot open video (unreadable or corrupt file)\n")
    p = _cli(["--debug", *TRACK], here)
    assert p.returncode == 1 and "Traceback" in p.stderr and "VideoError" in p.stderr
    assert "moov atom not found" in p.stderr  # the chatter the plain run hid
