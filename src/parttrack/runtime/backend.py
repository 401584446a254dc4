"""Network backends with one interface (:class:`Backend`): the torch modules or onnxruntime
sessions, both running the same computation (:mod:`parttrack.runtime.graphs`).

Template crop -> template features once per initialisation ([0033]); then per frame, template
features + search crop -> part detector + tracker maps -> element product -> peaks
([0056]-[0061]). Arrays in and out are numpy float32 NCHW with a batch dimension, so K
subjects can go through one call. :class:`~parttrack.tracker.PartTracker` talks only to a
Backend.

This module imports neither torch nor onnxruntime: :class:`TorchBackend` lives in
:mod:`parttrack.runtime.torch_backend`, the onnxruntime one in :mod:`parttrack.runtime.ort`,
and each is imported only when asked for (the onnxruntime path starts without torch).

Example::

    from parttrack.runtime.backend import make_backend
    from parttrack.runtime.cache import cached_graphs

    backend = make_backend(cached_graphs(), "onnxruntime", num_threads=1)
    feat = backend.encode_template(template)      # (B, 3, T, T) -> (B, C, T/8, T/8)
    maps = backend.run(feat, search)              # dict of (B, ...) arrays
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from parttrack.errors import UsageError
from parttrack.runtime.names import FRAME_OUTPUTS

if TYPE_CHECKING:
    from parttrack.models.io import Weights
    from parttrack.runtime.cache import CachedGraphs

BACKENDS = ("torch", "onnxruntime")

#: Default intra-op threads. Measured on a 2-core CPU (BENCHMARKS.md, Speed): 1 thread runs
#: the frame graph in ~2.9 ms, 2 threads in ~1.9 ms with spinning, but 2 threads fight the
#: video decoder (FFmpeg uses both cores) and any other process; 1 is the best end-to-end.
DEFAULT_THREADS = 1


def default_backend(device: Any = "cpu") -> str:
    """``"onnxruntime"`` where it is installed (faster, starts without torch) and can run on
    ``device`` (CUDA needs onnxruntime-gpu), else ``"torch"``."""
    if importlib.util.find_spec("onnxruntime") is None:
        return "torch"
    if str(device).split(":", 1)[0] == "cpu":
        return "onnxruntime"
    import onnxruntime as ort

    return "onnxruntime" if "CUDAExecutionProvider" in ort.get_available_providers() else "torch"


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


def check_threads(num_threads: int | None) -> int:
    """``num_threads`` (None: :data:`DEFAULT_THREADS`); ValueError unless a positive int."""
    n = DEFAULT_THREADS if num_threads is None else num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
    return n


def make_backend(
    weights: Weights | CachedGraphs,
    backend: str | None = None,
    num_threads: int | None = None,
    device: Any = "cpu",
    cache_dir: str | Path | None = None,
) -> Backend:
    """Build a backend by name (one of :data:`BACKENDS`).

    ``weights`` is loaded torch weights (:class:`~parttrack.models.io.Weights`) or a weights
    file's exported graphs (:class:`~parttrack.runtime.cache.CachedGraphs`: onnxruntime with no
    torch; torch loads the file). ``backend`` None: :func:`default_backend` for CachedGraphs,
    torch for in-memory Weights (they would need an export first, ~10 s once per weights).
    ``device`` is ``"cpu"``, ``"cuda"`` or a torch device.
    """
    from parttrack.runtime.cache import CachedGraphs

    if backend is None:
        backend = default_backend(device) if isinstance(weights, CachedGraphs) else "torch"
    if backend == "torch":
        if isinstance(weights, CachedGraphs):
            from parttrack.models.io import load_weights

            weights = load_weights(weights.source)
        from parttrack.runtime.torch_backend import TorchBackend

        return TorchBackend(weights, device, num_threads)
    if backend == "onnxruntime":
        from parttrack.runtime.ort import OrtBackend

        if isinstance(weights, CachedGraphs):
            return OrtBackend(weights.template, weights.frame, num_threads, str(device))
        return OrtBackend.from_weights(weights, num_threads, str(device), cache_dir)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


def cpu_count() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_backend_options(backend: str | None, num_threads: int | None) -> None:
    """UsageError (one line) for a ``--backend`` / ``--threads`` the CLI cannot use
    (``backend`` None: the default, :func:`default_backend`)."""
    if backend is not None and backend not in BACKENDS:
        raise UsageError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if num_threads is not None and num_threads < 1:
        raise UsageError(f"--threads must be >= 1, got {num_threads}")


def __getattr__(name: str) -> Any:
    """``TorchBackend`` stays importable from here (it imports torch, so only when asked)."""
    if name == "TorchBackend":
        from parttrack.runtime.torch_backend import TorchBackend

        return TorchBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
