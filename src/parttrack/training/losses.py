"""Training losses of both models (US 2024/0282089 A1, [0037]-[0048], [0063]-[0070]).

Every loss is a pure function returning ``(total, stats)``: ``total`` a scalar tensor to
minimise, ``stats`` a dict of detached scalars for logging. Maps are ``(B, C, h, w)``; the
batch keys read here are those made by :mod:`parttrack.training.samples`.

* detector (first model): CenterNet penalty-reduced focal loss on ``part_heatmap`` against
  peak-normalised Gaussians of every person's parts, L1 on part size/offset at the centres.
* S105 (claims 1-2, [0037]-[0046]): formula (2) between the element product of the frozen
  detector's likelihood map and the tracker's region map, and the formula-(1) correct-answer
  map of the *tracked subject's* parts.
* S106 ([0047]): focal + L1 on the tracker's subject likelihood, size and offset maps.
* S110 (claim 3, [0063]-[0068]): formula (2) between the current region map and the average
  of the ``n`` previous ones of the same sequence (the storage unit 170, :class:`RegionMemory`),
  re-sampled into the current search crop.
* S107 ([0048], [0069]): a linear sum with the weights of :class:`LossWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from parttrack.maps import bce, element_product


@dataclass(frozen=True)
class LossWeights:
    """Weights of the linear sums (S107, [0048], [0069]).

    Attributes:
        part_heatmap, part_size, part_offset: detector focal / size L1 / offset L1.
        product: S105, formula (2) on the element product map.
        subject_heatmap, subject_size, subject_offset: S106.
        temporal: S110, formula (2) against the moving average of past region maps.
        focal_alpha, focal_beta: CenterNet focal exponents.
    """

    part_heatmap: float = 1.0
    part_size: float = 0.1
    part_offset: float = 1.0
    product: float = 1.0
    subject_heatmap: float = 1.0
    subject_size: float = 0.1
    subject_offset: float = 1.0
    temporal: float = 1.0
    focal_alpha: float = 2.0
    focal_beta: float = 4.0

    def __post_init__(self) -> None:
        for name, v in vars(self).items():
            if v < 0:
                raise ValueError(f"loss weight {name} must be >= 0, got {v}")


def focal_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
    alpha: float = 2.0,
    beta: float = 4.0,
    eps: float = 1e-6,
) -> torch.Tensor:
    """CenterNet penalty-reduced focal loss, normalised by the number of peaks.

    ``-1/N_pos * sum[(1-p)^a log p  where y == 1;  (1-y)^b p^a log(1-p)  elsewhere]``.

    Args:
        pred: sigmoid heatmap ``(B, C, h, w)`` in [0, 1].
        target: peak-normalised Gaussians ``(B, C, h, w)``; peaks are exactly 1.
        mask: optional 0/1 weights, ``(B, C)`` or ``(B, C, h, w)``; masked elements (parts
            not annotated) count neither as peaks nor as background.
    """
    if pred.shape != target.shape:
        raise ValueError(f"heatmap shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    p = pred.clamp(eps, 1.0 - eps)
    m = torch.ones_like(p)
    if mask is not None:
        mm = mask.to(p.dtype)
        while mm.dim() < p.dim():
            mm = mm.unsqueeze(-1)
        m = mm.expand_as(p)
    pos = (target >= 1.0).to(p.dtype) * m
    neg = (1.0 - (target >= 1.0).to(p.dtype)) * m
    pos_loss = -(torch.log(p) * (1.0 - p) ** alpha * pos).sum()
    neg_loss = -(torch.log(1.0 - p) * p**alpha * (1.0 - target) ** beta * neg).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp_min(1.0)


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the masked elements of 2-channel-per-item maps.

    Args:
        pred, target: ``(B, 2K, h, w)`` ordered ``(x0, y0, x1, y1, ...)`` (map elements).
        mask: ``(B, K, h, w)`` 1 at the centres where the regression is supervised.

    Returns:
        ``sum |pred - target| * mask / (2 * sum mask)``; 0 when nothing is masked in.
    """
    if pred.shape != target.shape or pred.shape[1] != 2 * mask.shape[1]:
        raise ValueError(
            f"regression shapes {tuple(pred.shape)}, {tuple(target.shape)} do not fit mask {tuple(mask.shape)}"
        )
    m = mask.to(pred.dtype).repeat_interleave(2, dim=1)
    return ((pred - target).abs() * m).sum() / m.sum().clamp_min(1.0)


def _zero(like: torch.Tensor) -> torch.Tensor:
    return like.new_zeros(())


def detector_loss(
    out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], w: LossWeights
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss of the part detector (first model, [0031]-[0032]) on all people's parts.

    Reads ``out["part_heatmap"|"part_size"|"part_offset"]`` and batch targets
    ``part_heatmap`` ``(B, K, h, w)``, ``part_heatmap_mask`` ``(B, K, h, w)``,
    ``part_size`` / ``part_offset`` ``(B, 2K, h, w)``, ``part_reg_mask`` ``(B, K, h, w)``.
    """
    hm = focal_loss(
        out["part_heatmap"], batch["part_heatmap"], batch["part_heatmap_mask"], w.focal_alpha, w.focal_beta
    )
    size = masked_l1(out["part_size"], batch["part_size"], batch["part_reg_mask"])
    off = masked_l1(out["part_offset"], batch["part_offset"], batch["part_reg_mask"])
    total = w.part_heatmap * hm + w.part_size * size + w.part_offset * off
    return total, {"det_heatmap": hm.detach(), "det_size": size.detach(), "det_offset": off.detach()}


def product_loss(
    part_heatmap: torch.Tensor,
    part_region: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """S105 (claims 1-2, [0037]-[0046]): formula (2) on the element product map.

    The detector's likelihood map is detached, so the gradient reaches only the tracker's
    region map (the first model stays as learned).

    Args:
        part_heatmap: frozen detector likelihood ``(B, K, h, w)``.
        part_region: tracker region map ``(B, K, h, w)`` in [0, 1].
        target: formula-(1) correct-answer map of the tracked subject's parts ``(B, K, h, w)``
            (all zero where the subject's part is annotated absent).
        mask: ``(B, K)`` 1 where the subject's part is annotated (present or absent).
    """
    return bce(element_product(part_heatmap.detach(), part_region), target, mask)


def subject_loss(
    out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], w: LossWeights
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """S106 ([0047]): subject position and size from the tracker's subject maps.

    Reads ``out["subject_heatmap"|"subject_size"|"subject_offset"]`` and batch targets
    ``subject_heatmap`` ``(B, 1, h, w)``, ``subject_size`` / ``subject_offset`` ``(B, 2, h, w)``,
    ``subject_reg_mask`` ``(B, 1, h, w)``.
    """
    hm = focal_loss(out["subject_heatmap"], batch["subject_heatmap"], None, w.focal_alpha, w.focal_beta)
    size = masked_l1(out["subject_size"], batch["subject_size"], batch["subject_reg_mask"])
    off = masked_l1(out["subject_offset"], batch["subject_offset"], batch["subject_reg_mask"])
    total = w.subject_heatmap * hm + w.subject_size * size + w.subject_offset * off
    return total, {"subj_heatmap": hm.detach(), "subj_size": size.detach(), "subj_offset": off.detach()}


def temporal_loss(
    part_region: torch.Tensor, target: torch.Tensor | None, valid: torch.Tensor | None
) -> torch.Tensor:
    """S110 (claim 3, [0066]-[0068]): formula (2) between the current region map (M_inf) and
    the moving average of past region maps (M_gt, detached).

    Args:
        part_region: ``(B, K, h, w)``.
        target: ``(B, K, h, w)`` or None (no stream has ``n`` past maps yet: the loss is 0).
        valid: ``(B, K, h, w)`` 0/1: items with fewer than ``n`` past maps and elements the
            past crops did not see are 0.
    """
    if target is None or valid is None or not bool(valid.any()):
        return _zero(part_region)
    return bce(part_region, target.detach(), valid)


def tracker_loss(
    out: dict[str, torch.Tensor],
    part_heatmap: torch.Tensor,
    batch: dict[str, torch.Tensor],
    w: LossWeights,
    temporal_target: torch.Tensor | None = None,
    temporal_valid: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """S107 ([0048], [0069]): ``w.product * S105 + S106 + w.temporal * S110``.

    Args:
        out: tracker outputs (``part_region``, ``subject_*``), ``(B, ., h, w)``.
        part_heatmap: the frozen detector's likelihood map ``(B, K, h, w)``.
        batch: targets ``subject_parts`` ``(B, K, h, w)``, ``subject_parts_mask`` ``(B, K)``
            and the S106 targets of :func:`subject_loss`.
        temporal_target, temporal_valid: from :meth:`RegionMemory.targets` (or None).
    """
    s105 = product_loss(part_heatmap, out["part_region"], batch["subject_parts"], batch["subject_parts_mask"])
    s106, stats = subject_loss(out, batch, w)
    s110 = temporal_loss(out["part_region"], temporal_target, temporal_valid)
    total = w.product * s105 + s106 + w.temporal * s110
    active = 0.0 if temporal_valid is None else float(temporal_valid.flatten(1).any(1).float().mean())
    stats = {
        **stats,
        "s105_product": s105.detach(),
        "s106_subject": s106.detach(),
        "s110_temporal": s110.detach(),
        "s110_active": torch.tensor(active),
    }
    return total, stats
