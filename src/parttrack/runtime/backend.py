"""Network backends with one interface: the torch models, or onnxruntime sessions.

Both run the same computation (:class:`parttrack.runtime.export.FrameGraph`): template crop ->
template features once per initialisation ([0033]); then per frame, template features +
search crop -> part detector + tracker maps -> element product -> peaks ([0056]-[0061]).
Arrays in and out are numpy float32 NCHW with a batch dimension, so K subjects can go
through one call.

Example::

    from parttrack.models import load_weights
    from parttrack.runtime.backend import make_backend

    backend = make_backend(load_weights(), "onnxruntime", num_threads=1)
    feat = backend.encode_template(template)      # (B, 3, T, T) -> (B, C, T/8, T/8)
    maps = backend.run(feat, search)              # dict of (B, ...) arrays
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from parttrack.errors import ParttrackError, UsageError
from parttrack.models.io import Weights
from parttrack.runtime.export import (
    FRAME_OUTPUTS,
    FrameGraph,
    TemplateGraph,
    export_cached,
)

BACKENDS = ("torch", "onnxruntime")

#: Outputs of the two models' dicts, what ``PartTracker._run_networks`` returns.
MODEL_OUTPUTS = (
    "part_heatmap",
    "part_size",
    "part_offset",
    "subject_heatmap",
    "subject_size",
    "subject_offset",
    "part_region",
)

#: Default intra-op threads. Measured on a 2-core CPU (BENCHMARKS.md, Speed): 1 thread runs
#: the frame graph in ~2.9 ms, 2 threads in ~1.9 ms with spinning, but 2 threads fight the
#: video decoder (FFmpeg uses both cores) and any other process; 1 is the best end-to-end.
DEFAULT_THREADS = 1


class Backend(Protocol):
    """What a network backend offers (numpy in, numpy out, batch first)."""

    name: str

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        """``(B, 3, T, T)`` float32 BGR [0, 1] -> template features ``(B, C, T/8, T/8)``."""
        ...

    def run(
        self, template_feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...] = FRAME_OUTPUTS
    ) -> dict[str, np.ndarray]:
        """Template features ``(B, C, t, t)`` + search ``(B, 3, S, S)`` -> the named outputs."""
        ...


def _check_threads(num_threads: int | None) -> int:
    n = DEFAULT_THREADS if num_threads is None else num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
    return n


class TorchBackend:
    """The torch models through :class:`~parttrack.runtime.export.FrameGraph`.

    Args:
        weights: loaded models (a tracker is required).
        device: ``"cpu"`` or ``"cuda"``.
        num_threads: torch intra-op threads (process-wide: ``torch.set_num_threads``);
            None leaves torch's setting alone.
    """

    name = "torch"

    def __init__(self, weights: Weights, device: str = "cpu", num_threads: int | None = None) -> None:
        if weights.tracker is None:
            raise ValueError("weights must hold a tracker (got a detector-only checkpoint)")
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise UsageError(f"device {device!r} requested but CUDA is not available")
        if num_threads is not None:
            torch.set_num_threads(_check_threads(num_threads))
        self.device = dev
        self.template_graph = TemplateGraph(weights.tracker.eval().to(dev))
        self.frame_graph = FrameGraph(weights.detector.eval().to(dev), weights.tracker)

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = self.template_graph(torch.from_numpy(template).to(self.device))
        return out["template_feat"].float().cpu().numpy()

    def run(
        self, template_feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...] = FRAME_OUTPUTS
    ) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            out = self.frame_graph(
                torch.from_numpy(template_feat).to(self.device), torch.from_numpy(search).to(self.device)
            )
        return {k: out[k].float().cpu().numpy() for k in outputs}


def session_options(num_threads: int | None = None, spinning: bool = False):  # -> ort.SessionOptions
    """onnxruntime options for a small shared CPU.

    Sequential execution, one inter-op thread, ``num_threads`` intra-op threads (default
    :data:`DEFAULT_THREADS`), all graph optimisations (Conv+BN+ReLU fusion, NCHWc layout).
    Spinning threads are off by default: on 2 cores shared with a decoder they steal its time.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = _check_threads(num_threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return so


def providers_for(device: str) -> list[str]:
    """onnxruntime execution providers for ``device`` (``"cpu"`` or ``"cuda"``)."""
    import onnxruntime as ort

    kind = torch.device(device).type
    if kind == "cpu":
        return ["CPUExecutionProvider"]
    if kind == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise UsageError(
                "device 'cuda' with backend onnxruntime needs onnxruntime-gpu "
                f"(available providers: {', '.join(ort.get_available_providers())})"
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise UsageError(f"device {device!r} is not supported by the onnxruntime backend (cpu or cuda)")


class OrtBackend:
    """onnxruntime sessions over the exported ``template.onnx`` / ``frame.onnx``.

    Args:
        template_path, frame_path: the exported graphs (:func:`parttrack.runtime.export.export_onnx`).
        num_threads: intra-op threads per session (default :data:`DEFAULT_THREADS`).
        device: ``"cpu"`` or ``"cuda"`` (needs onnxruntime-gpu).
        spinning: let idle intra-op threads spin (faster alone, worse on a busy machine).
    """

    name = "onnxruntime"

    def __init__(
        self,
        template_path: str | Path,
        frame_path: str | Path,
        num_threads: int | None = None,
        device: str = "cpu",
        spinning: bool = False,
    ) -> None:
        so = session_options(num_threads, spinning)
        prov = providers_for(device)
        self.num_threads = so.intra_op_num_threads
        self.template_session = _session(template_path, so, prov, ("template_feat",))
        self.frame_session = _session(frame_path, so, prov, MODEL_OUTPUTS)
        self.output_names = tuple(o.name for o in self.frame_session.get_outputs())

    @classmethod
    def from_weights(
        cls,
        weights: Weights,
        num_threads: int | None = None,
        device: str = "cpu",
        cache_dir: str | Path | None = None,
        spinning: bool = False,
    ) -> OrtBackend:
        """Sessions for ``weights``: exported once into the cache keyed by the weights' hash
        (:func:`parttrack.runtime.export.export_cached`; ``$PARTTRACK_CACHE`` moves the cache)."""
        paths = export_cached(weights, cache_dir)
        return cls(paths.template, paths.frame, num_threads, device, spinning)

    def encode_template(self, template: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(template, dtype=np.float32)
        return self.template_session.run(["template_feat"], {"template": x})[0]

    def run(
        self, template_feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...] = FRAME_OUTPUTS
    ) -> dict[str, np.ndarray]:
        feed = {
            "template_feat": np.ascontiguousarray(template_feat, dtype=np.float32),
            "search": np.ascontiguousarray(search, dtype=np.float32),
        }
        return dict(zip(outputs, self.frame_session.run(list(outputs), feed), strict=True))


def _session(path: str | Path, so, providers: list[str], needs: tuple[str, ...]):  # -> InferenceSession
    """An onnxruntime session; ParttrackError naming the file if it is not a parttrack graph."""
    import onnxruntime as ort

    try:
        sess = ort.InferenceSession(str(path), so, providers=providers)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises several unrelated types
        raise ParttrackError(f"cannot load ONNX model: {str(e).splitlines()[0][:200]}", path) from e
    missing = sorted(set(needs) - {o.name for o in sess.get_outputs()})
    if missing:
        raise ParttrackError(f"not a parttrack ONNX graph: no output(s) {', '.join(missing)}", path)
    return sess


def make_backend(
    weights: Weights,
    backend: str = "onnxruntime",
    num_threads: int | None = None,
    device: str = "cpu",
    cache_dir: str | Path | None = None,
) -> TorchBackend | OrtBackend:
    """Build a backend by name (one of :data:`BACKENDS`)."""
    if backend == "torch":
        return TorchBackend(weights, device, num_threads)
    if backend == "onnxruntime":
        return OrtBackend.from_weights(weights, num_threads, device, cache_dir)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


def cpu_count() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_backend_options(backend: str, num_threads: int | None) -> None:
    """UsageError (one line) for a ``--backend`` / ``--threads`` the CLI cannot use."""
    if backend not in BACKENDS:
        raise UsageError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if num_threads is not None and num_threads < 1:
        raise UsageError(f"--threads must be >= 1, got {num_threads}")

