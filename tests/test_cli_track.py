"""``parttrack track`` / ``parttrack demo`` run in-process: outputs, schema, errors."""

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from parttrack.cli import main
from parttrack.config import load_yaml
from parttrack.data.video import VideoWriter, open_video
from parttrack.demo import run_demo
from parttrack.errors import CheckpointError
from parttrack.models import ModelConfig, PartDetector, SiameseTracker, load_weights, save_weights
from parttrack.tracker.part_tracker import PartTracker, TrackerConfig

W, H, FRAMES = 160, 120, 12
BOX = "60,30,20,50"


def _frames() -> list[np.ndarray]:
    out = []
    for i in range(FRAMES):
        img = np.full((H, W, 3), (60, 90, 70), np.uint8)
        cv2.rectangle(img, (60 + 2 * i, 30), (80 + 2 * i, 80), (40, 40, 200), -1)
        cv2.circle(img, (70 + 2 * i, 36), 6, (150, 180, 220), -1)
        out.append(img)
    return out


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("track")
    with VideoWriter(d / "clip.mp4", 25.0, (W, H)) as w:
        for img in _frames():
            w.write(img)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    torch.manual_seed(0)
    save_weights(d / "w.pt", cfg, PartDetector(cfg).eval(), SiameseTracker(cfg).eval())
    # random networks score ~0.1: thresholds 0 so the run keeps a box and parts
    (d / "t.yaml").write_text(
        "lost_threshold: 0.0\nredetect_threshold: 0.0\npart_threshold: 0.0\nidentity: false\n"
    )
    return {"video": d / "clip.mp4", "weights": d / "w.pt", "config": d / "t.yaml", "dir": d}


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code


def test_track_writes_every_output(assets, tmp_path, capsys):
    o = tmp_path / "o"
    code = run([
        "track", str(assets["video"]), "--box", BOX, "--start", "2", "--end", "9",
        "--weights", str(assets["weights"]), "--config", str(assets["config"]), "--parts", "head,eye",
        "--jsonl", str(o / "r.jsonl"), "--mot", str(o / "r.txt"), "--out", str(o / "r.mp4"),
        "--panels", str(o / "panels"), "--panel-frames", "2,5",
    ])
    assert code == 0
    assert "tracked 8 frames" in capsys.readouterr().out
    lines = [json.loads(x) for x in (o / "r.jsonl").read_text().splitlines()]
    assert [x["frame"] for x in lines] == list(range(2, 10))  # one line per frame, start..end
    assert lines[0]["box"] == [60.0, 30.0, 20.0, 50.0] and lines[0]["score"] == 1.0
    for x in lines:
        assert set(x) == {"frame", "subject", "box", "score", "lost", "parts"} and set(x["parts"]) == {"head", "eye"}
        assert x["subject"] == 0
        for p in x["parts"].values():
            assert set(p) == {"point", "box", "score"} and len(p["point"]) == 2
    # exactly TrackResult.to_json() of the library run on the same frames
    tracker = PartTracker.from_weights(assets["weights"], load_yaml(TrackerConfig, assets["config"]))
    with open_video(assets["video"], start=2, end=9) as video:
        want = []
        for f in video:
            r = tracker.initialize(f.image, (60, 30, 20, 50), f.index) if not want else tracker.track(f.image, f.index)
            want.append(r.to_json())
    assert lines == want
    mot = [row.split(",") for row in (o / "r.txt").read_text().splitlines()]
    assert [int(r[0]) for r in mot] == [x["frame"] + 1 for x in lines if x["box"] is not None]
    assert all(r[1] == "1" and r[7:] == ["-1", "-1", "-1"] for r in mot)
    with open_video(o / "r.mp4") as v:
        assert (v.info.num_frames, v.info.width, v.info.height) == (8, W, H)
    assert sorted(p.name for p in (o / "panels").iterdir()) == ["frame_000002.png", "frame_000005.png"]
    assert not [p for p in o.rglob(".*")]  # no temporary files left


def test_lost_frames_have_no_box_and_no_mot_row(assets, tmp_path):
    # default thresholds: random networks (score ~0.1) lose the subject right after frame 0
    code = run([
        "track", str(assets["video"]), "--box", BOX, "--weights", str(assets["weights"]),
        "--jsonl", str(tmp_path / "r.jsonl"), "--mot", str(tmp_path / "r.txt"), "--parts", "eye",
        "--panels", str(tmp_path / "panels"),
    ])
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(lines) == FRAMES and all(x["lost"] and x["box"] is None for x in lines[1:])
    assert all(x["parts"] == {"eye": None} for x in lines[1:])
    assert (tmp_path / "r.txt").read_text().splitlines() == ["1,1,60,30,20,50,1,-1,-1,-1"]
    # --panels without --panel-frames: every 25th frame from the start
    assert [p.name for p in (tmp_path / "panels").iterdir()] == ["frame_000000.png"]


@pytest.mark.parametrize(
    "box, message",
    [
        ("1,2,3", "--box must be 4 numbers X,Y,W,H, got '1,2,3'"),
        ("a,b,c,d", "--box must be 4 numbers X,Y,W,H, got 'a,b,c,d'"),
        ("10,10,0,5", "--box width and height must be positive, got '10,10,0,5'"),
        ("10,10,5,-5", "--box width and height must be positive, got '10,10,5,-5'"),
        ("200,10,20,20", "--box 200,10,20,20 lies outside the 160x120 frame"),
        ("-30,10,20,20", "--box -30,10,20,20 lies outside the 160x120 frame"),
    ],
)
def test_bad_box_is_a_one_line_error(assets, tmp_path, capsys, box, message):
    out = tmp_path / "r.jsonl"
    code = run(["track", str(assets["video"]), f"--box={box}", "--weights", str(assets["weights"]), "--jsonl", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"error: {message}\n"
    assert not out.exists()


def test_several_boxes_track_several_subjects(assets, tmp_path, capsys):
    o = tmp_path / "o"
    boxes = [(60, 30, 20, 50), (100, 40, 24, 60)]
    code = run([
        "track", str(assets["video"]), "--box", BOX, "--box", "100,40,24,60", "--end", "6",
        "--weights", str(assets["weights"]), "--config", str(assets["config"]), "--backend", "torch",
        "--jsonl", str(o / "r.jsonl"), "--mot", str(o / "r.txt"), "--out", str(o / "r.mp4"),
    ])
    assert code == 0
    assert "tracked 7 frames (2 subjects)" in capsys.readouterr().out
    lines = [json.loads(x) for x in (o / "r.jsonl").read_text().splitlines()]
    # one line per subject per frame, in frame then subject order
    assert [(x["frame"], x["subject"]) for x in lines] == [(k, i) for k in range(7) for i in (0, 1)]
    assert [lines[0]["box"], lines[1]["box"]] == [[float(v) for v in b] for b in boxes]
    # each subject's lines are those of a tracker of that subject alone
    for i, b in enumerate(boxes):
        tracker = PartTracker.from_weights(assets["weights"], load_yaml(TrackerConfig, assets["config"]),
                                           backend="torch")
        with open_video(assets["video"], end=6) as video:
            want = []
            for f in video:
                r = tracker.initialize(f.image, b, f.index) if not want else tracker.track(f.image, f.index)
                want.append({**r.to_json(), "subject": i})
        got = [x for x in lines if x["subject"] == i]
        for g, w in zip(got, want, strict=True):
            assert g["frame"] == w["frame"] and g["lost"] == w["lost"]
            assert np.allclose(g["box"], w["box"], atol=0.02)
    ids = {row.split(",")[1] for row in (o / "r.txt").read_text().splitlines()}
    assert ids == {"1", "2"}  # MOT id = subject + 1
    with open_video(o / "r.mp4") as video:
        assert sum(1 for _ in video) == 7  # both subjects on one video frame per frame


def test_bad_box_among_several_is_a_one_line_error(assets, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    code = run(["track", str(assets["video"]), "--box", BOX, "--box", "1,2,x,4", "--weights",
                str(assets["weights"]), "--jsonl", str(out)])
    assert code == 2 and capsys.readouterr().err == "error: --box must be 4 numbers X,Y,W,H, got '1,2,x,4'\n"
    code = run(["track", str(assets["video"]), "--box", BOX, "--box", "500,10,20,20", "--weights",
                str(assets["weights"]), "--jsonl", str(out)])
    assert code == 2 and capsys.readouterr().err == "error: --box 500,10,20,20 lies outside the 160x120 frame\n"
    code = run(["track", str(assets["video"]), "--box", BOX, "--point", "70,40", "--weights", str(assets["weights"])])
    assert code == 2 and capsys.readouterr().err == "error: give exactly one of --box X,Y,W,H or --point X,Y\n"
    assert not out.exists()


def test_realtime_reports_the_skipped_frames(assets, capsys):
    code = run(["track", str(assets["video"]), "--box", BOX, "--weights", str(assets["weights"]), "--realtime"])
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    m = re.search(r"tracked (\d+) frames .*; skipped (\d+) frames? to stay real-time$", line)
    assert m is not None, line
    assert int(m.group(1)) + int(m.group(2)) == FRAMES  # a file: every frame read, tracked or skipped


def test_missing_video_and_start_past_the_end(assets, tmp_path, capsys):
    missing = tmp_path / "nope.mp4"
    assert run(["track", str(missing), "--box", BOX, "--weights", str(assets["weights"])]) == 2
    assert capsys.readouterr().err == f"error: {missing}: video file not found\n"
    out = tmp_path / "r.jsonl"
    args = ["track", str(assets["video"]), "--box", BOX, "--start", "50", "--weights", str(assets["weights"])]
    assert run(args + ["--jsonl", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "start frame 50 is past the end (12 frames)" in err
    assert err.count("\n") == 1 and not out.exists()


def test_bad_method_parts_and_device(assets, capsys):
    base = ["track", str(assets["video"]), "--box", BOX, "--weights", str(assets["weights"])]
    assert run(base + ["--method", "nearest"]) == 2
    assert "method must be one of product, region-only, top-down, bottom-up, box-prior" in capsys.readouterr().err
    assert run(base + ["--parts", "knee"]) == 2
    assert "parts ['knee'] are not in the weights' parts ['head', 'eye']" in capsys.readouterr().err
    assert run(base + ["--panel-frames", "3,x"]) == 2
    assert capsys.readouterr().err == "error: --panel-frames must be comma-separated frame indices >= 0, got '3,x'\n"
    if not torch.cuda.is_available():
        assert run(base + ["--device", "cuda"]) == 2
        assert capsys.readouterr().err == "error: device 'cuda' requested but CUDA is not available\n"


def test_demo_needs_weights(tmp_path):
    with pytest.raises(CheckpointError, match="weights file not found"):
        run_demo(tmp_path / "out", weights=tmp_path / "missing.pt")
    assert not (tmp_path / "out").exists()


def test_demo_writes_its_files(assets, tmp_path, capsys):
    pytest.importorskip("parttrack.synth.suites", reason="synthetic suites not written yet")
    out = tmp_path / "demo"
    assert run(["demo", "--out", str(out), "--weights", str(assets["weights"])]) == 0
    text = capsys.readouterr().out
    assert "frames: " in text and "head hit rate: " in text
    for name in ("input.mp4", "input.jsonl", "track.mp4", "track.jsonl"):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / "panels").glob("*.png"))) >= 2
    assert load_weights(assets["weights"]).config.parts == ("head", "eye")


def test_thread_defaults_are_one_and_exposed_everywhere(assets, tmp_path, capsys):
    # issue 16 (8): torch's default (a thread per core) collapses on a busy 2-core machine
    base = ["track", str(assets["video"]), "--box", BOX, "--end", "2", "--weights", str(assets["weights"]),
            "--backend", "torch"]  # the torch thread count is what is checked
    try:
        torch.set_num_threads(3)
        assert run(base) == 0 and torch.get_num_threads() == 1  # the default
        assert run([*base, "--threads", "2"]) == 0 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    report = tmp_path / "bench.json"
    assert run(["bench", str(assets["video"]), "--box", BOX, "--frames", "3", "--weights", str(assets["weights"]),
                "--backends", "torch", "--peers", "none", "--json", str(report)]) == 0
    assert json.loads(report.read_text())["threads"] == 1
    for command in ("track", "bench", "demo"):
        assert run([command, "--help"]) == 0
        assert "--threads" in capsys.readouterr().out


def test_sigterm_removes_the_temporary_outputs_and_keeps_the_old_files(assets, tmp_path):
    # a long clip, so the run is surely still going when the staged outputs appear
    import signal
    import subprocess
    import sys
    import time

    long = tmp_path / "long.mp4"
    with VideoWriter(long, 25.0, (W, H)) as w:
        for _ in range(60):
            for img in _frames():
                w.write(img)
    old = tmp_path / "o.jsonl"
    old.write_text("old\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "parttrack", "track", str(long), "--box", "60,30,20,50", "--weights",
         str(assets["weights"]), "--jsonl", str(old), "--out", str(tmp_path / "o.mp4")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".o.") for p in tmp_path.iterdir()):  # staged files exist
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it was signalled"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    assert proc.returncode == 143, proc.stderr.read()[-1000:]
    assert old.read_text() == "old\n" and not (tmp_path / "o.mp4").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
