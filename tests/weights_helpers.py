"""Random-init weights shared by the export, runtime and bench tests."""

from __future__ import annotations

import torch

from parttrack.models import ModelConfig, PartDetector, SiameseTracker, Weights


def random_weights(seed: int = 0, cfg: ModelConfig | None = None) -> Weights:
    """Random-init models with random BatchNorm statistics (so BN folding is exercised).
    The same seed gives the same weights, so the ONNX export cache is shared across tests."""
    cfg = cfg or ModelConfig()
    torch.manual_seed(seed)
    det, trk = PartDetector(cfg), SiameseTracker(cfg)
    for m in list(det.modules()) + list(trk.modules()):
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    return Weights(cfg, det.eval(), trk.eval())
