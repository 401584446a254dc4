"""The onnxruntime backend (parttrack.runtime.ort): session options, providers, bad graphs."""

from __future__ import annotations

import onnxruntime as ort
import pytest

from parttrack.errors import ParttrackError, UsageError
from parttrack.models import Weights
from parttrack.runtime.backend import DEFAULT_THREADS
from parttrack.runtime.export import export_cached
from parttrack.runtime.ort import OrtBackend, providers_for, session_options


def test_session_options() -> None:
    so = session_options()
    assert so.intra_op_num_threads == DEFAULT_THREADS == 1
    assert so.inter_op_num_threads == 1
    assert so.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    so2 = session_options(2, spinning=True)
    assert so2.intra_op_num_threads == 2
    assert so2.get_session_config_entry("session.intra_op.allow_spinning") == "1"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts(bad: object) -> None:
    with pytest.raises(ValueError, match="num_threads"):
        session_options(bad)  # type: ignore[arg-type]


def test_providers() -> None:
    assert providers_for("cpu") == ["CPUExecutionProvider"]
    with pytest.raises(UsageError, match="not supported"):
        providers_for("mps")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(UsageError, match="onnxruntime-gpu"):
            providers_for("cuda")
    else:  # pragma: no cover - GPU machines
        assert providers_for("cuda")[0] == "CUDAExecutionProvider"


def test_bad_onnx_files(tmp_path, onnx_cache, weights: Weights) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    paths = export_cached(weights)
    with pytest.raises(ParttrackError, match="cannot load ONNX model") as e:
        OrtBackend(paths.template, junk)
    assert "junk.onnx" in str(e.value)
    with pytest.raises(ParttrackError, match="not a parttrack ONNX graph: no output"):
        OrtBackend(paths.template, paths.template)  # a template graph is no frame graph
