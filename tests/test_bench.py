"""``parttrack bench`` (parttrack.bench) on a short synthetic clip; no speed assertions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from parttrack.bench import STAGES, _BatchMethod, fill_boxes, stage_stats
from parttrack.cli import main
from parttrack.crop import CropWindow
from parttrack.data.video import VideoWriter
from parttrack.models import ModelConfig, Weights, save_weights
from tests.weights_helpers import random_weights


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 14-frame 320x240 MP4 of a blob walking right, and random weights saved to a file."""
    d = tmp_path_factory.mktemp("bench")
    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (5, 5), 1.5)
    with VideoWriter(d / "clip.mp4", 25.0, (320, 240)) as w:
        for t in range(14):
            f = bg.copy()
            f[70 : 160, 60 + 5 * t : 100 + 5 * t] = (40, 160, 90)
            w.write(f)
    w = random_weights(0)  # the same random weights as test_export/test_runtime: one ONNX export
    save_weights(d / "w.pt", w.config, w.detector, w.tracker)
    return d / "clip.mp4", d / "w.pt"


@pytest.fixture(autouse=True)
def onnx_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTTRACK_CACHE", str(tmp_path_factory.getbasetemp() / "parttrack-onnx-cache"))


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_bench_cli_writes_a_full_report(clip: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    video, weights = clip
    out = tmp_path / "bench.json"
    code = run_cli(
        ["bench", str(video), "--box", "60,70,40,90", "--frames", "12", "--json", str(out),
         "--weights", str(weights), "--batch", "3", "--threads", "1"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "parttrack-onnxruntime" in printed and "csrt" in printed
    r = json.loads(out.read_text())
    assert (r["width"], r["height"], r["batch"], r["threads"]) == (320, 240, 3, 1)
    assert r["warmup"] == 5 and r["frames_timed"] == 12 - 5
    names = {"parttrack-torch", "parttrack-onnxruntime", "csrt", "kcf", "batch3-torch", "batch3-onnxruntime",
             "parttrack-torch single-peak", "parttrack-onnxruntime single-peak"}
    assert set(r["methods"]) == names
    assert r["max_rss_mib"] > 0
    decode = {json.dumps(m["stages"]["decode"]) for m in r["methods"].values()}
    assert len(decode) == 1  # every method timed on the same decoded frames
    for name, m in r["methods"].items():
        st = m["stages"]
        assert m["frames"] == 7
        assert m["subjects"] == (3 if name.startswith("batch") else 1)
        expected = STAGES if name.startswith(("parttrack", "batch")) else ("decode", "process", "process_cpu", "end_to_end")
        assert tuple(st) == expected
        for s in st.values():
            assert s["median_ms"] <= s["p90_ms"] + 1e-9 and s["median_ms"] > 0
        assert m["fps_end_to_end"] < m["fps_process"]
        if "networks" in st:
            assert st["networks"]["mean_ms"] < st["process"]["mean_ms"]
    assert r["methods"]["csrt"]["x_csrt"] == 1.0
    b = r["methods"]["batch3-onnxruntime"]
    assert b["subject_fps_process"] == pytest.approx(3 * b["fps_process"], rel=1e-3)


def test_bench_subjects_time_the_multitracker(clip: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    video, weights = clip
    out = tmp_path / "bench.json"
    code = run_cli(["bench", str(video), "--box", "60,70,40,90", "--box", "200,60,30,80", "--subjects", "1,3",
                    "--frames", "8", "--json", str(out), "--weights", str(weights), "--backends", "torch",
                    "--peers", "none", "--threads", "1"])
    assert code == 0
    assert "parttrack-torch 3 subjects" in capsys.readouterr().out
    r = json.loads(out.read_text())
    assert {k: m["subjects"] for k, m in r["methods"].items() if "subjects" in k} == {
        "parttrack-torch 1 subjects": 1, "parttrack-torch 3 subjects": 3}
    # the given boxes first, then a copy of the first one box width to its right
    assert r["subject_boxes"] == [[60.0, 70.0, 40.0, 90.0], [200.0, 60.0, 30.0, 80.0], [100.0, 70.0, 40.0, 90.0]]
    m = r["methods"]["parttrack-torch 3 subjects"]
    assert tuple(m["stages"]) == STAGES and m["frames"] == 8 - 4
    assert m["subject_fps_process"] == pytest.approx(3 * m["fps_process"], rel=1e-3)


def test_fill_boxes_stay_in_the_frame() -> None:
    boxes = fill_boxes([(10.0, 5.0, 20.0, 40.0)], 4, (64, 48))
    assert boxes == [(10.0, 5.0, 20.0, 40.0), (30.0, 5.0, 20.0, 40.0), (0.0, 5.0, 20.0, 40.0), (44.0, 5.0, 20.0, 40.0)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--box", "60,70,40"], "--box must be 4 numbers"),
        (["--box", "900,70,40,90"], "outside the 320x240 frame"),
        (["--box", "60,70,40,90", "--frames", "0"], "--frames must be >= 1"),
        (["--box", "60,70,40,90", "--backends", "tensorrt"], "unknown backend/peer tensorrt"),
        (["--box", "60,70,40,90", "--batch", "0"], "--batch must be >= 1"),
        (["--box", "60,70,40,90", "--threads", "0"], "--threads must be >= 1"),
        (["--box", "60,70,40,90", "--subjects", "1,x"], "--subjects must be comma-separated numbers"),
        (["--box", "60,70,40,90", "--subjects", "0"], "--subjects must be numbers >= 1"),
        (["--box", "60,70,40,90", "--box", "60,70,40", "--subjects", "2"], "--box must be 4 numbers"),
        (["--box", "60,70,40,90", "--box", "900,70,40,90", "--subjects", "2"], "outside the 320x240 frame"),
    ],
)
def test_bench_cli_errors(clip: tuple[Path, Path], args: list[str], message: str, capsys) -> None:
    video, weights = clip
    code = run_cli(["bench", str(video), "--weights", str(weights), "--peers", "none", "--backends", "torch", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and "\n" not in err


def test_bench_missing_video(clip: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    _, weights = clip
    code = run_cli(["bench", str(tmp_path / "none.mp4"), "--box", "1,1,5,5", "--weights", str(weights)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "none.mp4" in err and "not found" in err


def test_stage_stats_exact() -> None:
    s = stage_stats([4.0, 1.0, 3.0, 2.0, 10.0])
    assert s == {"median_ms": 3.0, "p90_ms": 7.6, "mean_ms": 4.0}  # p90: 4 + 0.6 * (10 - 4)
    assert all(math.isnan(v) for v in stage_stats([]).values())


class PlantedBackend:
    """Returns fixed peaks: subject peak (10, 20) + offset (0.5, -0.25), size (8, 16) elements;
    part peak (12, 5) + offset (0.25, 0.5)."""

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        return np.zeros((template.shape[0], 4, 8, 8), np.float32)

    def run(self, feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...]) -> dict[str, np.ndarray]:
        k = search.shape[0]
        rep = lambda v: np.tile(np.asarray(v, np.float32).reshape(1, 1, -1), (k, 1, 1))  # noqa: E731
        planted = {
            "subject_peak": rep([10, 20]), "subject_peak_offset": rep([0.5, -0.25]),
            "subject_peak_size": rep([8, 16]), "subject_score": np.ones((k, 1), np.float32),
            "part_peak": rep([12, 5]), "part_peak_offset": rep([0.25, 0.5]),
            "part_peak_size": rep([2, 2]), "part_score": np.ones((k, 1), np.float32),
        }
        return {name: planted[name] for name in outputs}


def test_batch_post_processing_maps_peaks_to_the_image(monkeypatch: pytest.MonkeyPatch) -> None:
    """Vectorised post-processing of the batch mode = window.to_image((peak + offset) x stride)."""
    monkeypatch.setattr("parttrack.bench.make_backend", lambda *a, **k: PlantedBackend())
    cfg = ModelConfig()
    w = Weights(cfg, None, None)  # type: ignore[arg-type]  # the planted backend needs no models
    m = _BatchMethod(w, "onnxruntime", 1, "cpu", k=2)
    frame = np.full((240, 320, 3), 100, np.uint8)
    m.init(frame, (100.0, 50.0, 40.0, 80.0))
    before = m.boxes.copy()
    np.testing.assert_allclose(before[:, 0], [90.0, 110.0])  # shifted by half a box width
    m.step(frame, record=True)
    for i in range(2):
        win = CropWindow.around(tuple(before[i]), cfg.search_size, cfg.search_factor, cfg.context)
        cx, cy = win.to_image(np.array([10.5, 19.75]) * cfg.stride)
        size = np.array([8.0, 16.0]) * cfg.stride / win.scale
        wh = 0.6 * before[i, 2:] + 0.4 * size
        np.testing.assert_allclose(m.boxes[i], [cx - wh[0] / 2, cy - wh[1] / 2, wh[0], wh[1]], atol=1e-9)
        np.testing.assert_allclose(m.parts[i, 0], win.to_image(np.array([12.25, 5.5]) * cfg.stride), atol=1e-9)
    assert len(m.times.networks) == 1 and len(m.times.process) == 1


def test_bench_cost_vs_resolution(clip: tuple[Path, Path]) -> None:
    """``heights``: the first backend's tracker also runs on the frames resized (2x here)."""
    from parttrack.bench import run_bench
    from parttrack.models import load_weights

    video, weights = clip
    r = run_bench(video, (60, 70, 40, 90), load_weights(weights), frames=8, backends=("torch",), peers=(),
                  heights=(480,), single_peak=False, warmup=2)
    assert set(r["methods"]) == {"parttrack-torch", "parttrack-torch 480p"}
    assert r["methods"]["parttrack-torch 480p"]["frames"] == 6
