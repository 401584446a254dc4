"""The torch-free ONNX cache (parttrack.runtime.cache): file digest, graphs.json, no torch."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from parttrack.config import to_dict
from parttrack.errors import CheckpointError, ParttrackError
from parttrack.models import save_weights
from parttrack.runtime.backend import default_backend, make_backend
from parttrack.runtime.cache import (
    EXPORT_VERSION,
    OPSET,
    CachedGraphs,
    cached_graphs,
    file_digest,
)
from parttrack.runtime.names import FRAME_OUTPUTS
from parttrack.tracker.part_tracker import PartTracker
from tests.weights_helpers import random_weights


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, CachedGraphs]:
    """A weights file and a cache holding its exported graphs: the session's shared cache
    (tests/runtime/conftest.py), so random_weights() is exported once per session."""
    root = tmp_path_factory.mktemp("cache")
    cache = tmp_path_factory.getbasetemp() / "parttrack-onnx-cache"
    w = random_weights()
    path = root / "w.pt"
    save_weights(path, w.config, w.detector, w.tracker)
    return path, cache, cached_graphs(path, cache)


def test_file_digest_hashes_the_bytes(tmp_path: Path) -> None:
    f = tmp_path / "w.pt"
    f.write_bytes(b"abc")
    want = hashlib.sha256(f"parttrack-onnx:{EXPORT_VERSION}:{OPSET}:abc".encode()).hexdigest()[:16]
    assert file_digest(f) == want
    f.write_bytes(b"abd")
    assert file_digest(f) != want
    with pytest.raises(CheckpointError, match="not found"):
        file_digest(tmp_path / "missing.pt")


def test_graphs_json_beside_the_graphs(prepared: tuple[Path, Path, CachedGraphs]) -> None:
    path, cache, g = prepared
    assert g.template.parent == g.frame.parent == cache / file_digest(path)
    meta = json.loads((g.frame.parent / "graphs.json").read_text())
    assert meta["config"] == to_dict(random_weights().config)
    assert tuple(meta["frame_outputs"]) == FRAME_OUTPUTS == g.outputs
    assert g.config == random_weights().config and g.source == path


def test_cache_hit_does_not_export(prepared: tuple[Path, Path, CachedGraphs], monkeypatch) -> None:
    path, cache, g = prepared

    def no_export(*a: object, **k: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr("parttrack.runtime.cache._export_into", no_export)
    assert cached_graphs(path, cache) == g
    with pytest.raises(ParttrackError, match="no exported graphs cached"):
        cached_graphs(path, cache / "empty", export=False)


def test_broken_cache_entry_is_one_clear_error(prepared, tmp_path: Path) -> None:
    path, _, g = prepared
    entry = tmp_path / file_digest(path)
    entry.mkdir()
    (entry / "graphs.json").write_text("{not json")
    with pytest.raises(ParttrackError, match="unreadable ONNX cache entry"):
        cached_graphs(path, tmp_path)


def test_bad_weights_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError) as e:
        cached_graphs(bad, tmp_path / "onnx")
    assert "bad.pt" in str(e.value)


def test_cached_graphs_run_on_both_backends(prepared: tuple[Path, Path, CachedGraphs]) -> None:
    _, _, g = prepared
    assert default_backend() == default_backend("cpu") == "onnxruntime"  # installed here (a dependency)
    import onnxruntime as ort

    gpu = "CUDAExecutionProvider" in ort.get_available_providers()
    assert default_backend("cuda") == ("onnxruntime" if gpu else "torch")  # CUDA needs onnxruntime-gpu
    assert make_backend(g, "onnxruntime").name == "onnxruntime"
    assert make_backend(g, "torch").name == "torch"  # loads the weights file


def test_onnxruntime_tracker_never_imports_torch(prepared: tuple[Path, Path, CachedGraphs]) -> None:
    """Build the tracker from the cache and track a frame in a fresh process: no torch."""
    path, cache, _ = prepared
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        from parttrack.tracker.part_tracker import PartTracker
        tracker = PartTracker.from_weights({str(path)!r}, backend="onnxruntime")
        frame = np.full((240, 320, 3), 90, np.uint8)
        frame[60:200, 140:180] = 200
        tracker.initialize(frame, box=(140, 60, 40, 140))
        tracker.track(frame)
        print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
    """)
    env = {**os.environ, "PARTTRACK_CACHE": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_from_weights_default_backend(prepared: tuple[Path, Path, CachedGraphs], monkeypatch) -> None:
    path, cache, _ = prepared
    monkeypatch.setenv("PARTTRACK_CACHE", str(cache))
    assert PartTracker.from_weights(path).backend.name == "onnxruntime"
    assert PartTracker.from_weights(path, backend="torch").backend.name == "torch"
