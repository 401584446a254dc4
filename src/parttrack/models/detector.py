"""First model: the specific-part detector ([0031]-[0032], [0056]-[0057])."""

from __future__ import annotations

import torch
from torch import nn

from parttrack.models.blocks import HEATMAP_BIAS, Backbone, head
from parttrack.models.config import ModelConfig


class PartDetector(nn.Module):
    """Search crop -> part likelihood, size and offset maps (CenterNet-style heads).

    Input ``(B, 3, S, S)`` float BGR in [0, 1]. Output dict (``h = w = S / stride``):
        ``part_heatmap`` ``(B, K, h, w)`` sigmoid likelihood of every part of every person;
        ``part_size`` ``(B, 2K, h, w)`` part (w, h) in map elements;
        ``part_offset`` ``(B, 2K, h, w)`` sub-element centre offset.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg.width)
        c = self.backbone.c4 if cfg.stride == 4 else self.backbone.c8
        K = cfg.num_parts
        self.heads = nn.ModuleDict(
            {
                "part_heatmap": head(c, K, HEATMAP_BIAS),
                "part_size": head(c, 2 * K),
                "part_offset": head(c, 2 * K),
            }
        )

    def forward(self, search: torch.Tensor) -> dict[str, torch.Tensor]:
        f4, f8 = self.backbone(search)
        f = f4 if self.cfg.stride == 4 else f8
        return {
            "part_heatmap": torch.sigmoid(self.heads["part_heatmap"](f)),
            "part_size": self.heads["part_size"](f),
            "part_offset": self.heads["part_offset"](f),
        }
