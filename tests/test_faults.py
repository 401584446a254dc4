"""Fault injection (issue 16): every writer of ``parttrack track`` fails mid-write, and no file
that was there before changes by a byte, no temporary is left, and the exit is non-zero.

The real fault is a file-size limit (``RLIMIT_FSIZE``, no root needed): every write past N
bytes fails with ``File too large`` exactly as on a full disk, in Python's writes and in
OpenCV/FFmpeg's native encoder alike. It runs in a subprocess so the limit touches nothing
else. A patched ``os.replace`` makes the last step, the rename, fail too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from parttrack.cli import main
from parttrack.data.video import VideoWriter
from parttrack.data.writer import iso_boxes
from parttrack.errors import OutputError
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, save_weights

W, H, N = 160, 120, 12
OLD = b"the previous run's file: must survive byte for byte\n"


def _frame(i: int) -> np.ndarray:
    img = np.random.default_rng(i).integers(0, 255, (H, W, 3), dtype=np.uint8)  # hard to compress
    cv2.rectangle(img, (60 + 2 * i, 30), (80 + 2 * i, 80), (40, 40, 200), -1)
    return img


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("faults")
    with VideoWriter(d / "clip.mp4", 25.0, (W, H)) as w:
        for i in range(N):
            w.write(_frame(i))
    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    save_weights(d / "w.pt", cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())
    (d / "t.yaml").write_text("lost_threshold: 0.0\nredetect_threshold: 0.0\nidentity: false\n")
    return d


def _old_outputs(folder: Path) -> dict[str, bytes]:
    """Files of an earlier run in ``folder``: what must not change."""
    (folder / "panels").mkdir(parents=True)
    files = {"r.jsonl": OLD, "r.txt": OLD, "r.mp4": OLD, "panels/frame_000000.png": OLD}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return _snapshot(folder)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from parttrack.cli import main
main(sys.argv[2:])
"""

# option, path, file-size limit in bytes: below what the writer needs for the first frame
# alone (a JSON line > 100 bytes, a MOT row "1,1,60,30,20,50,..." > 20, a noisy 160x120 frame
# > 4 kB, a FIG. 3 panel > 4 kB), whatever the tracker reports
WRITERS = [("--jsonl", "r.jsonl", 100), ("--mot", "r.txt", 20), ("--out", "r.mp4", 4000),
           ("--panels", "panels", 4000)]


@pytest.mark.parametrize(("option", "path", "limit"), WRITERS, ids=[w[0] for w in WRITERS])
def test_every_writer_failing_mid_write_keeps_the_old_file(
    inputs: Path, tmp_path: Path, option: str, path: str, limit: int
) -> None:
    before = _old_outputs(tmp_path)
    # torch backend: the onnxruntime one would export its cache under the same size limit
    args = ["track", str(inputs / "clip.mp4"), "--box", "60,30,20,50", "--weights", str(inputs / "w.pt"), "--backend", "torch",
            "--config", str(inputs / "t.yaml"), option, path]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([sys.executable, "-c", LIMITED, str(limit), *args], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    last = (p.stderr.strip().splitlines() or [""])[-1]
    assert p.returncode == 2, p.stderr
    assert last.startswith(f"error: {path}") and "Traceback" not in p.stderr, p.stderr
    assert "tracked" not in p.stdout  # no success line
    assert _snapshot(tmp_path) == before  # same files (no temporaries), same bytes


def test_a_failing_rename_keeps_the_old_files(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = _old_outputs(tmp_path)
    monkeypatch.chdir(tmp_path)

    def no_space(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device", str(src))

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(SystemExit) as e:
        main(["track", str(inputs / "clip.mp4"), "--box", "60,30,20,50", "--weights", str(inputs / "w.pt"), "--backend", "torch",
              "--config", str(inputs / "t.yaml"), "--jsonl", "r.jsonl", "--mot", "r.txt", "--out", "r.mp4"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2
    assert re.fullmatch(r"error: r\.(jsonl|txt|mp4): cannot replace it: No space left on device; the old file is kept",
                        err[-1]), err
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before


class CutShort:
    """An encoder whose output loses its tail (the 'moov' index) to a full disk."""

    real = cv2.VideoWriter

    def __init__(self, path: str, *args: object) -> None:
        self.path, self.inner = path, CutShort.real(path, *args)

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.inner.isOpened()

    def write(self, image: np.ndarray) -> None:
        self.inner.write(image)

    def release(self) -> None:
        self.inner.release()
        data = Path(self.path).read_bytes()
        Path(self.path).write_bytes(data[: len(data) // 2])


def test_one_failing_output_replaces_none_of_the_others(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = _old_outputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cv2, "VideoWriter", CutShort)
    with pytest.raises(SystemExit) as e:
        main(["track", str(inputs / "clip.mp4"), "--box", "60,30,20,50", "--weights", str(inputs / "w.pt"), "--backend", "torch",
              "--config", str(inputs / "t.yaml"), "--jsonl", "r.jsonl", "--mot", "r.txt", "--out", "r.mp4",
              "--panels", "panels"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and err[-1].startswith("error: r.mp4: writing the video failed"), err
    assert _snapshot(tmp_path) == before  # the JSONL, MOT and panels that did finish are not moved in either


def test_video_writer_refuses_an_unplayable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "v.mp4"
    target.write_bytes(OLD)
    monkeypatch.setattr(cv2, "VideoWriter", CutShort)
    with pytest.raises(OutputError, match=r"v.mp4: writing the video failed \(box at byte \d+ runs past"):
        with VideoWriter(target, 25.0, (W, H)) as w:
            for i in range(3):
                w.write(_frame(i))
    assert target.read_bytes() == OLD and [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_iso_boxes(tmp_path: Path) -> None:
    p = tmp_path / "v.mp4"
    with VideoWriter(p, 25.0, (W, H)) as w:
        w.write(_frame(0))
    assert "moov" in iso_boxes(p) and iso_boxes(p)[0] == "ftyp"
    p.write_bytes(p.read_bytes()[:-5])
    with pytest.raises(ValueError, match="runs past the end"):
        iso_boxes(p)


def test_atomic_writers_failing_mid_write_name_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # write_text / write_bytes carry bench --json, MOT files, eval reports, annotation files
    from parttrack.atomic import write_bytes, write_text
    from parttrack.bench import write_report

    for name in ("a.txt", "b.bin", "bench.json"):
        (tmp_path / name).write_bytes(OLD)
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", lambda self, text, *a, **k: half_then_full(os.open(self, os.O_WRONLY), text.encode()))
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: half_then_full(os.open(self, os.O_WRONLY), data))
    for write, name in ((write_text, "a.txt"), (write_bytes, "b.bin")):
        with pytest.raises(OSError) as e:
            write(tmp_path / name, "new text" if write is write_text else b"new bytes")  # type: ignore[operator]
        assert e.value.filename == str(tmp_path / name) and e.value.errno == 28
    with pytest.raises(OSError, match="bench.json"):
        write_report({"video": "v.mp4"}, tmp_path / "bench.json")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.txt": OLD, "b.bin": OLD, "bench.json": OLD}
