"""Peers (parttrack.evaluation.peers): OpenCV CSRT on the body, the detector's peak in its box."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from parttrack.crop import CropWindow
from parttrack.evaluation.peers import CsrtPeer, TopDownParts, box_prior_parts, clip_box
from parttrack.models import ModelConfig, Weights
from tests.evaluation.test_run import H, W, toy_clip


def test_csrt_peer_follows_a_moving_body() -> None:
    seq, frames = toy_clip(12)
    peer = CsrtPeer()
    peer.initialize(frames[0], seq.frames[0].get(0).box)
    from parttrack.evaluation.metrics import box_iou

    ious = [box_iou(peer.track(frames[k]), seq.frames[k].get(0).box) for k in range(1, 12)]
    assert min(ious) > 0.6, ious
    assert box_prior_parts((0.0, 0.0, 100.0, 200.0), ("head",)) == {"head": (49.0, 24.0)}


def test_csrt_peer_outside_frame_is_lost() -> None:
    seq, frames = toy_clip(2)
    peer = CsrtPeer()
    peer.initialize(frames[0], (-100.0, -100.0, 50.0, 50.0))
    assert peer.track(frames[1]) is None
    assert clip_box((-5.0, 10.0, 20.0, 20.4), 100, 100) == (0, 10, 15, 20)
    assert clip_box((99.5, 10.0, 20.0, 20.0), 100, 100) is None


class _PeakDetector(torch.nn.Module):
    """Stub detector: a strong head peak at element (20, 10) (outside the test boxes) and a
    weaker one at (17, 14) with offset (0.25, -0.5) (inside them)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        B, n, K = x.shape[0], self.cfg.map_size, self.cfg.num_parts
        heat = torch.zeros(B, K, n, n)
        heat[:, 0, 10, 20] = 0.9
        heat[:, 0, 14, 17] = 0.5
        off = torch.zeros(B, 2 * K, n, n)
        off[:, 0, 14, 17], off[:, 1, 14, 17] = 0.25, -0.5
        return {"part_heatmap": heat, "part_size": torch.zeros(B, 2 * K, n, n), "part_offset": off}


def test_top_down_parts_maps_the_peak_to_the_image() -> None:
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    td = TopDownParts(Weights(cfg, _PeakDetector(cfg), None))
    frame = np.zeros((H, W, 3), np.uint8)
    boxes = [(100.0, 60.0, 40.0, 120.0), (10.0, 20.0, 30.0, 90.0)]
    got = td.detect(frame, boxes, ("head",))
    for box, found in zip(boxes, got, strict=True):
        win = CropWindow.around(box, cfg.search_size, cfg.search_factor, cfg.context)
        # both boxes span map elements x 13.9-18.1, y 9.8-22.2: the weaker peak is inside
        want = win.to_image(np.array([17.25, 13.5]) * cfg.stride)
        assert found["head"] == pytest.approx(tuple(want))
    assert td.detect(frame, [], ("head",)) == []
