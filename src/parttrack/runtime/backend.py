"""Network backends with one interface (:class:`Backend`): the torch modules or onnxruntime
sessions, both running the same computation (:mod:`parttrack.runtime.graphs`).

Template crop -> template features once per initialisation ([0033]); then per frame, template
features + search crop -> part detector + tracker maps -> element product -> peaks
([0056]-[0061]). Arrays in and out are numpy float32 NCHW with a batch dimension, so K
subjects can go through one call. :class:`~parttrack.tracker.PartTracker` talks only to a
Backend.

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

from parttrack.device import torch_device
from parttrack.errors import UsageError
from parttrack.models.io import Weights
from parttrack.runtime.graphs import FRAME_OUTPUTS, FrameGraph, TemplateGraph

BACKENDS = ("torch", "onnxruntime")

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


def check_threads(num_threads: int | None) -> int:
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

    def __init__(self, weights: Weights, device: str | torch.device = "cpu", num_threads: int | None = None) -> None:
        if weights.tracker is None:
            raise ValueError("weights must hold a tracker (got a detector-only checkpoint)")
        dev = torch_device(device)
        if num_threads is not None:
            torch.set_num_threads(check_threads(num_threads))
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


def make_backend(
    weights: Weights,
    backend: str = "onnxruntime",
    num_threads: int | None = None,
    device: str | torch.device = "cpu",
    cache_dir: str | Path | None = None,
) -> Backend:
    """Build a backend by name (one of :data:`BACKENDS`): :class:`TorchBackend` or
    :class:`parttrack.runtime.ort.OrtBackend` (imported only when asked for)."""
    if backend == "torch":
        return TorchBackend(weights, device, num_threads)
    if backend == "onnxruntime":
        from parttrack.runtime.ort import OrtBackend

        return OrtBackend.from_weights(weights, num_threads, str(device), cache_dir)
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

