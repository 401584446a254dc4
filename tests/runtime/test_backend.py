"""Network backends (parttrack.runtime.backend) and PartTracker(backend="onnxruntime")."""

from __future__ import annotations

import numpy as np
import pytest

from parttrack.models import Weights
from parttrack.runtime.backend import TorchBackend, make_backend
from parttrack.runtime.graphs import FRAME_OUTPUTS, MODEL_OUTPUTS, FrameGraph
from parttrack.runtime.ort import OrtBackend
from parttrack.tracker.part_tracker import PartTracker


def synthetic_clip(n: int = 16) -> list[np.ndarray]:
    """A textured background and a two-tone 'person' walking right and a little down."""
    rng = np.random.default_rng(0)
    bg = cv2_blur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))
    frames = []
    for t in range(n):
        f = bg.copy()
        x, y = 60 + 5 * t, 70 + t
        f[y : y + 90, x : x + 40] = (40, 160, 90)
        f[y : y + 22, x + 10 : x + 30] = (150, 170, 210)
        frames.append(f)
    return frames


def cv2_blur(img: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (5, 5), 1.5)


def test_part_tracker_backends_agree(weights: Weights, onnx_cache) -> None:
    """Same boxes, scores and part points (within 1e-3 px) from both backends."""
    frames = synthetic_clip()
    box = (60.0, 70.0, 40.0, 90.0)
    knobs = dict(lost_threshold=0.0, redetect_threshold=0.0, part_threshold=0.0, keep_maps=True, identity=False)
    runs = {}
    for backend in ("torch", "onnxruntime"):
        tr = PartTracker(weights, backend=backend, num_threads=1, **knobs)
        runs[backend] = [tr.initialize(frames[0], box)] + [tr.track(f) for f in frames[1:]]
    moved = 0.0
    for a, b in zip(runs["torch"], runs["onnxruntime"], strict=True):
        assert a.lost == b.lost is False
        np.testing.assert_allclose(a.box, b.box, atol=1e-3, rtol=0)
        assert a.score == pytest.approx(b.score, abs=1e-5)
        pa, pb = a.parts["head"], b.parts["head"]
        np.testing.assert_allclose(pa.point, pb.point, atol=1e-3, rtol=0)
        assert (pa.box is None) == (pb.box is None)
        if pa.box is not None:
            np.testing.assert_allclose(pa.box, pb.box, atol=1e-3, rtol=0)
        np.testing.assert_allclose(a.maps.product, b.maps.product, atol=1e-4, rtol=0)
        moved = max(moved, abs(a.box[0] - runs["torch"][0].box[0]))
    assert moved > 1.0  # the boxes did move: the comparison is not of a frozen state


def test_part_tracker_talks_only_to_a_backend(weights: Weights) -> None:
    """The torch tracker runs the frame graph the benchmarks time (one torch path)."""
    tr = PartTracker(weights, backend="torch")
    assert isinstance(tr.backend, TorchBackend) and isinstance(tr.backend.frame_graph, FrameGraph)
    assert not hasattr(tr, "detector") and not hasattr(tr, "cfg")
    assert tr.model_config is weights.config


def test_backends_run_the_same_graph_and_batch(weights: Weights, onnx_cache) -> None:
    cfg = weights.config
    rng = np.random.default_rng(1)
    template = rng.random((3, 3, cfg.template_size, cfg.template_size), dtype=np.float32)
    search = rng.random((3, 3, cfg.search_size, cfg.search_size), dtype=np.float32)
    tb, ob = TorchBackend(weights), make_backend(weights, "onnxruntime", num_threads=1)
    assert isinstance(ob, OrtBackend) and ob.output_names == FRAME_OUTPUTS
    feat_t, feat_o = tb.encode_template(template), ob.encode_template(template)
    np.testing.assert_allclose(feat_o, feat_t, atol=1e-4, rtol=0)
    ref, got = tb.run(feat_t, search), ob.run(feat_o, search)
    for k in FRAME_OUTPUTS:
        np.testing.assert_allclose(got[k], ref[k], atol=1e-4, rtol=0, err_msg=k)
    one = ob.run(feat_o[1:2], search[1:2], MODEL_OUTPUTS)  # batch of 1 = row 1 of the batch of 3
    assert tuple(one) == MODEL_OUTPUTS
    for k in MODEL_OUTPUTS:
        np.testing.assert_allclose(one[k][0], got[k][1], atol=1e-5, rtol=0, err_msg=k)


def test_unknown_backend(weights: Weights) -> None:
    with pytest.raises(ValueError, match="backend must be one of torch, onnxruntime"):
        make_backend(weights, "tensorrt")
    with pytest.raises(ValueError, match="backend must be"):
        PartTracker(weights, backend="tensorrt")


def run_cli(args: list[str]) -> int:
    from parttrack.cli import main

    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_cli_track_backends_agree(weights: Weights, onnx_cache, tmp_path) -> None:
    import json

    from parttrack.data.video import VideoWriter
    from parttrack.models import save_weights

    with VideoWriter(tmp_path / "clip.mp4", 25.0, (320, 240)) as w:
        for f in synthetic_clip(8):
            w.write(f)
    save_weights(tmp_path / "w.pt", weights.config, weights.detector, weights.tracker)
    cfg = tmp_path / "never_lost.yaml"  # random weights score ~0.1: keep the subject found
    cfg.write_text("lost_threshold: 0.0\nredetect_threshold: 0.0\npart_threshold: 0.0\nidentity: false\n")
    recs = {}
    for backend in ("torch", "onnxruntime"):
        out = tmp_path / f"{backend}.jsonl"
        args = ["track", str(tmp_path / "clip.mp4"), "--box", "60,70,40,90", "--weights", str(tmp_path / "w.pt"),
                "--jsonl", str(out), "--backend", backend, "--threads", "1", "--config", str(cfg)]
        assert run_cli(args) == 0
        recs[backend] = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(recs["torch"]) == len(recs["onnxruntime"]) == 8
    for a, b in zip(recs["torch"], recs["onnxruntime"], strict=True):
        assert a["frame"] == b["frame"] and a["lost"] is b["lost"] is False
        np.testing.assert_allclose(a["box"], b["box"], atol=0.011)  # JSON keeps 2 decimals
        np.testing.assert_allclose(a["parts"]["head"]["point"], b["parts"]["head"]["point"], atol=0.011)


@pytest.mark.parametrize(
    "extra, message",
    [(["--backend", "tensorrt"], "--backend must be one of torch, onnxruntime"), (["--threads", "0"], "--threads must be >= 1")],
)
def test_cli_track_bad_backend_options(tmp_path, capsys, extra: list[str], message: str) -> None:
    code = run_cli(["track", str(tmp_path / "missing.mp4"), "--box", "1,1,5,5", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "\n" not in err


def test_long_lost_stream_does_not_overflow(weights: Weights) -> None:
    """Regression (found by benchmarks/bench_memory.py): after ~1,750 lost frames the search
    growth ``lost_growth ** lost_frames`` overflowed a float."""
    frames = synthetic_clip(2)
    tr = PartTracker(weights, backend="torch")
    tr.initialize(frames[0], (60.0, 70.0, 40.0, 90.0))
    tr._lost_frames = 10_000  # as after 400 s of a subject out of view at 25 fps
    r = tr.track(frames[1])
    assert r.frame == 1 and (r.lost or r.box is not None)
