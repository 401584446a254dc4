"""Small building blocks: a light two-scale backbone and CenterNet-style heads."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HEATMAP_BIAS = -2.19  # CenterNet: sigmoid(-2.19) ~= 0.1 at initialisation


def conv_bn(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1) -> nn.Sequential:
    """Conv (no bias) + BatchNorm + ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DWBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1, residual when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn(cin, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return x + y if self.residual else y


class Backbone(nn.Module):
    """Image ``(B, 3, H, W)`` float BGR in [0, 1] -> features at stride 4 and 8.

    Returns ``(f4, f8)``: ``(B, c4, H/4, W/4)`` fused with upsampled stride-8 context, and
    ``(B, c8, H/8, W/8)``.
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        c2, c4, c8 = width // 2, width, width * 2
        self.c4, self.c8 = c4, c8
        self.stem = conv_bn(3, c2, 3, 2)
        self.s4 = nn.Sequential(DWBlock(c2, c4, 2), DWBlock(c4, c4), DWBlock(c4, c4))
        self.s8 = nn.Sequential(DWBlock(c4, c8, 2), DWBlock(c8, c8), DWBlock(c8, c8), DWBlock(c8, c8))
        self.lateral = conv_bn(c8, c4, 1)
        self.fuse = conv_bn(c4, c4, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (x - 0.45) / 0.25
        f4 = self.s4(self.stem(x))
        f8 = self.s8(f4)
        up = F.interpolate(self.lateral(f8), size=f4.shape[-2:], mode="nearest")
        return self.fuse(f4 + up), f8


def head(cin: int, cout: int, bias: float | None = None) -> nn.Sequential:
    """3x3 conv + ReLU + 1x1 conv to ``cout`` channels (bias optionally set)."""
    h = nn.Sequential(nn.Conv2d(cin, cin, 3, 1, 1), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1))
    if bias is not None:
        nn.init.constant_(h[-1].bias, bias)
    return h
