"""int8 static quantisation of the frame graph (parttrack.runtime.quantize)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from parttrack.errors import ParttrackError
from parttrack.models import Weights
from parttrack.runtime.export import export_cached
from parttrack.runtime.names import MODEL_OUTPUTS
from parttrack.runtime.ort import OrtBackend
from parttrack.runtime.quantize import RecordingBackend, quantize_frame_graph


def test_recording_backend_keeps_every_nth_call(weights: Weights, onnx_cache) -> None:
    paths = export_cached(weights)
    rec = RecordingBackend(OrtBackend(paths.template, paths.frame, 1), every=2)
    cfg = weights.config
    rng = np.random.default_rng(0)
    feat = rec.encode_template(rng.random((1, 3, cfg.template_size, cfg.template_size), dtype=np.float32))
    search = rng.random((2, 3, cfg.search_size, cfg.search_size), dtype=np.float32)
    for _ in range(5):
        out = rec.run(np.repeat(feat, 2, 0), search, MODEL_OUTPUTS)
    assert len(rec.samples) == 3 and rec.samples[0][1].shape == (1, 3, cfg.search_size, cfg.search_size)
    assert out["part_heatmap"].shape[0] == 2 and rec.name == "onnxruntime"


def test_int8_graph_runs_like_the_float_one(weights: Weights, onnx_cache, tmp_path: Path) -> None:
    paths = export_cached(weights)
    fp = OrtBackend(paths.template, paths.frame, 1)
    cfg = weights.config
    rng = np.random.default_rng(1)
    samples = []
    for _ in range(6):
        t = rng.random((1, 3, cfg.template_size, cfg.template_size), dtype=np.float32)
        samples.append((fp.encode_template(t), rng.random((1, 3, cfg.search_size, cfg.search_size), dtype=np.float32)))
    q = OrtBackend(paths.template, quantize_frame_graph(paths.frame, tmp_path / "int8.onnx", samples), 1)
    a, b = fp.run(*samples[0], MODEL_OUTPUTS), q.run(*samples[0], MODEL_OUTPUTS)
    assert set(a) == set(b)
    for k in ("part_heatmap", "subject_heatmap", "part_region"):  # sigmoid maps in [0, 1]
        assert a[k].shape == b[k].shape and float(np.abs(a[k] - b[k]).max()) < 0.25
    assert not (tmp_path / "int8.pre.onnx").exists()


def test_no_samples_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ParttrackError, match="no calibration samples"):
        quantize_frame_graph(tmp_path / "frame.onnx", tmp_path / "q.onnx", [])
