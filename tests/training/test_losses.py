"""Exact tests of the training losses: focal, L1, S105 (element product), S106, S110, S107."""

import math

import numpy as np
import pytest
import torch

from parttrack import maps
from parttrack.models import ModelConfig, PartDetector, SiameseTracker
from parttrack.training.losses import (
    LossWeights,
    detector_loss,
    focal_loss,
    masked_l1,
    product_loss,
    temporal_loss,
    tracker_loss,
)
from parttrack.training.memory import RegionMemory

LN2 = math.log(2.0)


def t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def test_focal_loss_hand_computed():
    target = t([[[[1.0, 0.5, 0.0]]]])
    pred = t([[[[0.5, 0.5, 0.25]]]])
    pos = 0.25 * LN2  # -(1-p)^2 log p at the peak
    neg = LN2 * 0.5**2 * 0.5**4 - math.log(0.75) * 0.25**2  # (1-y)^4 p^2 -log(1-p)
    assert focal_loss(pred, target).item() == pytest.approx(pos + neg, rel=1e-5)


def test_focal_loss_perfect_binary_prediction_is_zero_and_mask_removes_channels():
    target = torch.zeros(2, 2, 4, 4)
    target[:, :, 1, 2] = 1.0
    assert focal_loss(target.clone(), target).item() == pytest.approx(0.0, abs=1e-5)
    bad = torch.full_like(target, 0.5)
    mixed = target.clone()
    mixed[:, 1] = bad[:, 1]  # channel 1 wrong everywhere
    mask = t([[1, 0], [1, 0]])
    assert focal_loss(mixed, target, mask).item() == pytest.approx(0.0, abs=1e-5)
    assert focal_loss(mixed, target).item() > 0.1
    assert focal_loss(mixed, target, torch.zeros(2, 2)).item() == 0.0


def test_masked_l1_counts_only_centres():
    pred = torch.zeros(1, 4, 2, 2)
    target = torch.zeros(1, 4, 2, 2)
    target[0, 0, 0, 1] = 3.0  # part 0 x at (1, 0)
    target[0, 1, 0, 1] = -1.0  # part 0 y
    target[0, 2, 1, 1] = 100.0  # part 1, not masked in
    mask = torch.zeros(1, 2, 2, 2)
    mask[0, 0, 0, 1] = 1.0
    assert masked_l1(pred, target, mask).item() == pytest.approx((3.0 + 1.0) / 2)
    assert masked_l1(pred, target, torch.zeros_like(mask)).item() == 0.0
    with pytest.raises(ValueError):
        masked_l1(pred, target, torch.zeros(1, 3, 2, 2))


def test_detector_loss_is_weighted_sum():
    g = torch.Generator().manual_seed(0)
    out = {
        "part_heatmap": torch.rand(2, 1, 8, 8, generator=g),
        "part_size": torch.randn(2, 2, 8, 8, generator=g),
        "part_offset": torch.randn(2, 2, 8, 8, generator=g),
    }
    batch = {
        "part_heatmap": torch.from_numpy(maps.gaussian_map((3, 4), (8, 8), 1.0, "peak"))[None, None].repeat(2, 1, 1, 1),
        "part_heatmap_mask": torch.ones(2, 1, 8, 8),
        "part_size": torch.randn(2, 2, 8, 8, generator=g),
        "part_offset": torch.randn(2, 2, 8, 8, generator=g),
        "part_reg_mask": (torch.rand(2, 1, 8, 8, generator=g) > 0.8).float(),
    }
    w = LossWeights(part_heatmap=2.0, part_size=0.5, part_offset=3.0)
    total, stats = detector_loss(out, batch, w)
    expect = 2.0 * stats["det_heatmap"] + 0.5 * stats["det_size"] + 3.0 * stats["det_offset"]
    assert total.item() == pytest.approx(expect.item(), rel=1e-6)
    assert stats["det_size"].item() == pytest.approx(
        masked_l1(out["part_size"], batch["part_size"], batch["part_reg_mask"]).item()
    )


def _entropy(p: np.ndarray) -> float:
    q = np.clip(p.astype(np.float64), 1e-6, 1 - 1e-6)
    return float(np.mean(-p * np.log(q) - (1 - p) * np.log(1 - q)))


@pytest.mark.parametrize("normalize", ["pdf", "peak"])
def test_product_loss_perfect_prediction_gives_analytic_minimum(normalize):
    # formula (1) target for a head at crop pixel (37, 50), 128 px crop, 32x32 map
    gt = maps.correct_answer_map([(37.0, 50.0)], (128, 128), (32, 32), 1.0, normalize)
    target = torch.from_numpy(gt)[None]
    likelihood = torch.ones_like(target)
    best = product_loss(likelihood, target.clone(), target).item()
    assert best == pytest.approx(_entropy(gt), rel=1e-4)
    # any other region map costs more (the minimum of formula (2) is the target's entropy)
    shifted = torch.roll(target, 1, dims=-1)
    assert product_loss(likelihood, shifted, target).item() > best + 1e-4


def test_product_loss_absent_part_all_zero_target_and_not_annotated_masked():
    target = torch.zeros(2, 2, 4, 4)  # item 0 part 0 absent -> all zero target
    target[1, 0, 1, 1] = 0.5
    likelihood = torch.ones(2, 2, 4, 4)
    region = torch.zeros(2, 2, 4, 4)
    region[1, 0, 1, 1] = 0.5
    region[:, 1] = 0.9  # part 1 not annotated -> masked, must not count
    mask = t([[1, 0], [1, 0]])
    got = product_loss(likelihood, region, target, mask).item()
    # 32 counted elements; the only non-trivial one: target 0.5, prediction 0.5 -> ln 2
    assert got == pytest.approx(LN2 / 32, abs=1e-5)
    # an absent part is pushed to zero everywhere: a non-zero region there costs
    region2 = region.clone()
    region2[0, 0] = 0.5
    assert product_loss(likelihood, region2, target, mask).item() == pytest.approx((LN2 + 16 * LN2) / 32, abs=1e-5)


def test_s105_gradient_reaches_only_the_tracker_region_map():
    torch.manual_seed(0)
    cfg = ModelConfig(parts=("head", "eye"), width=8)
    det, trk = PartDetector(cfg), SiameseTracker(cfg)
    det.train()
    trk.train()
    search = torch.rand(2, 3, cfg.search_size, cfg.search_size)
    template = torch.rand(2, 3, cfg.template_size, cfg.template_size)
    likelihood = det(search)["part_heatmap"]  # grad enabled on purpose
    out = trk(template, search)
    target = torch.from_numpy(
        maps.correct_answer_map([(60.0, 40.0), (62.0, 38.0)], (128, 128), (32, 32))
    )[None].repeat(2, 1, 1, 1)
    product_loss(likelihood, out["part_region"], target, torch.ones(2, 2)).backward()
    assert all(p.grad is None or not p.grad.any() for p in det.parameters())
    region_head = trk.heads["part_region"][-1]
    assert region_head.weight.grad is not None and region_head.weight.grad.abs().sum() > 0
    assert trk.backbone.stem[0].weight.grad.abs().sum() > 0
    # the subject heads are not touched by S105
    assert trk.heads["subject_heatmap"][-1].weight.grad is None


def test_temporal_loss_zero_before_n_frames_active_after():
    n = 3
    mem = RegionMemory(n=n, search_size=128, stride=4)
    torch.manual_seed(2)
    win = (50.0, 60.0, 120.0)
    losses = []
    for frame in range(6):
        region = torch.rand(1, 1, 32, 32, requires_grad=True)
        target, valid = mem.targets(["s0"], [win], region)
        loss = temporal_loss(region, target, valid)
        losses.append(loss.item())
        if frame >= n:
            loss.backward()
            assert region.grad is not None and region.grad.abs().sum() > 0
        mem.push("s0", region[0], win)
    assert losses[:n] == [0.0] * n
    assert all(v > 0.5 for v in losses[n:])  # random maps disagree with their average
    # a random pair (stream None) never gets a temporal target
    _, valid = mem.targets([None], [win], torch.zeros(1, 1, 32, 32))
    assert valid.sum().item() == 0.0


def test_tracker_loss_is_linear_sum():
    torch.manual_seed(3)
    B, K, h = 2, 1, 8
    out = {
        "part_region": torch.rand(B, K, h, h),
        "subject_heatmap": torch.rand(B, 1, h, h),
        "subject_size": torch.randn(B, 2, h, h),
        "subject_offset": torch.randn(B, 2, h, h),
    }
    batch = {
        "subject_parts": torch.rand(B, K, h, h) * 0.1,
        "subject_parts_mask": torch.ones(B, K),
        "subject_heatmap": torch.from_numpy(maps.gaussian_map((4, 4), (h, h), 1.0, "peak"))[None, None].repeat(B, 1, 1, 1),
        "subject_size": torch.randn(B, 2, h, h),
        "subject_offset": torch.randn(B, 2, h, h),
        "subject_reg_mask": torch.zeros(B, 1, h, h),
    }
    batch["subject_reg_mask"][:, 0, 4, 4] = 1.0
    hm = torch.rand(B, K, h, h)
    tt, tv = torch.rand(B, K, h, h), torch.ones(B, K, h, h)
    tv[1] = 0
    w = LossWeights(product=5.0, temporal=0.5, subject_size=0.2)
    total, st = tracker_loss(out, hm, batch, w, tt, tv)
    expect = 5.0 * st["s105_product"] + st["s106_subject"] + 0.5 * st["s110_temporal"]
    assert total.item() == pytest.approx(expect.item(), rel=1e-6)
    assert st["s110_active"].item() == 0.5
    assert st["s110_temporal"].item() == pytest.approx(maps.bce(out["part_region"][:1], tt[:1]).item(), rel=1e-5)
    total0, st0 = tracker_loss(out, hm, batch, w)
    assert st0["s110_temporal"].item() == 0.0
    assert total0.item() == pytest.approx((5.0 * st["s105_product"] + st["s106_subject"]).item(), rel=1e-6)


def test_loss_weights_reject_negative():
    with pytest.raises(ValueError, match="temporal"):
        LossWeights(temporal=-1.0)
