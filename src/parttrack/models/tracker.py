"""Second model: the Siamese tracking-subject detector ([0033]-[0034], [0058]).

Pixel-wise correlation of template and search features (as in Alpha-Refine / FEAR), fused
with the search features, feeds heads for the subject likelihood, size and offset and the K
part-region maps: where *this subject's* part can be.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from parttrack.models.blocks import HEATMAP_BIAS, Backbone, conv_bn, head
from parttrack.models.config import ModelConfig


class SiameseTracker(nn.Module):
    """Template ``(B, 3, T, T)`` + search ``(B, 3, S, S)`` -> subject and part-region maps.

    Output dict (``h = w = S / stride``):
        ``subject_heatmap`` ``(B, 1, h, w)`` sigmoid subject-centre likelihood;
        ``subject_size`` ``(B, 2, h, w)`` subject (w, h) in map elements;
        ``subject_offset`` ``(B, 2, h, w)``;
        ``part_region`` ``(B, K, h, w)`` sigmoid region of the subject's parts.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg.width)
        c4, c8 = self.backbone.c4, self.backbone.c8
        n_t = (cfg.template_size // 8) ** 2  # template positions at stride 8
        self.template_proj = nn.Conv2d(c8, c8, 1)
        self.search_proj = nn.Conv2d(c8, c8, 1)
        self.corr_fuse = conv_bn(n_t + c8, c4, 1)
        c = c4
        c_in = 2 * c4 if cfg.stride == 4 else c4
        self.fuse = nn.Sequential(conv_bn(c_in, c, 3), conv_bn(c, c, 3))
        K = cfg.num_parts
        self.heads = nn.ModuleDict(
            {
                "subject_heatmap": head(c, 1, HEATMAP_BIAS),
                "subject_size": head(c, 2),
                "subject_offset": head(c, 2),
                "part_region": head(c, K),
            }
        )

    def encode_template(self, template: torch.Tensor) -> torch.Tensor:
        """Template branch, run once per initialisation: ``(B, 3, T, T) -> (B, c8, T/8, T/8)``."""
        _, f8 = self.backbone(template)
        return self.template_proj(f8)

    def track(self, template_feat: torch.Tensor, search: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-frame branch: template features + search crop -> maps."""
        f4, f8 = self.backbone(search)
        s = self.search_proj(f8)
        B, C, h8, w8 = s.shape
        t = template_feat.flatten(2)  # (B, C, n_t)
        corr = torch.bmm(t.transpose(1, 2), s.flatten(2)) / math.sqrt(C)  # (B, n_t, h8*w8)
        corr = corr.reshape(B, -1, h8, w8)
        x = self.corr_fuse(torch.cat([corr, f8], dim=1))  # (B, c4, h8, w8)
        if self.cfg.stride == 4:
            x = F.interpolate(x, size=f4.shape[-2:], mode="bilinear", align_corners=False)
            x = torch.cat([x, f4], dim=1)
        x = self.fuse(x)
        return {
            "subject_heatmap": torch.sigmoid(self.heads["subject_heatmap"](x)),
            "subject_size": self.heads["subject_size"](x),
            "subject_offset": self.heads["subject_offset"](x),
            "part_region": torch.sigmoid(self.heads["part_region"](x)),
        }

    def forward(self, template: torch.Tensor, search: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.track(self.encode_template(template), search)
