"""The onnxruntime backend: sessions over the exported ``template.onnx`` / ``frame.onnx``
(:mod:`parttrack.runtime.export`), the same computation as the torch backend.

Example::

    from parttrack.models import load_weights
    from parttrack.runtime.ort import OrtBackend

    backend = OrtBackend.from_weights(load_weights(), num_threads=1)   # imports torch
    graphs = cached_graphs()                                           # no torch
    backend = OrtBackend(graphs.template, graphs.frame, num_threads=1)

This module imports no torch (``from_weights`` does, to export on a cache miss).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from parttrack.errors import ParttrackError, UsageError
from parttrack.runtime.backend import check_threads
from parttrack.runtime.names import FRAME_OUTPUTS, MODEL_OUTPUTS

if TYPE_CHECKING:
    from parttrack.models.io import Weights


def session_options(num_threads: int | None = None, spinning: bool = False):  # -> ort.SessionOptions
    """onnxruntime options for a small shared CPU.

    Sequential execution, one inter-op thread, ``num_threads`` intra-op threads (default
    :data:`DEFAULT_THREADS`), all graph optimisations (Conv+BN+ReLU fusion, NCHWc layout).
    Spinning threads are off by default: on 2 cores shared with a decoder they steal its time.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = check_threads(num_threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return so


def providers_for(device: str) -> list[str]:
    """onnxruntime execution providers for ``device`` (``"cpu"`` or ``"cuda"``)."""
    import onnxruntime as ort

    kind = str(device).split(":", 1)[0]
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
        from parttrack.runtime.export import export_cached

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


