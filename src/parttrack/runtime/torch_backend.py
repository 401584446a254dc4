"""The torch backend: the models run through :class:`~parttrack.runtime.graphs.FrameGraph`
(the graph exported to ONNX, so both backends compute one thing, [0056]-[0061])."""

from __future__ import annotations

import numpy as np
import torch

from parttrack.device import torch_device
from parttrack.models.io import Weights
from parttrack.runtime.backend import check_threads
from parttrack.runtime.graphs import FRAME_OUTPUTS, FrameGraph, TemplateGraph


class TorchBackend:
    """The torch models through :class:`~parttrack.runtime.graphs.FrameGraph`.

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
        """``(B, 3, T, T)`` float32 -> template features ``(B, C, T/8, T/8)``."""
        with torch.inference_mode():
            out = self.template_graph(_tensor(template).to(self.device))
        return out["template_feat"].float().cpu().numpy()

    def run(
        self, template_feat: np.ndarray, search: np.ndarray, outputs: tuple[str, ...] = FRAME_OUTPUTS
    ) -> dict[str, np.ndarray]:
        """Template features + search crops -> the named outputs (numpy, batch first)."""
        with torch.inference_mode():
            out = self.frame_graph(_tensor(template_feat).to(self.device), _tensor(search).to(self.device))
        return {k: out[k].float().cpu().numpy() for k in outputs}


def _tensor(a: np.ndarray) -> torch.Tensor:
    """A tensor over ``a`` (copied when read-only, e.g. a broadcast view: torch warns on those)."""
    return torch.from_numpy(a if a.flags.writeable else np.array(a))
