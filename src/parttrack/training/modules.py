"""Thin LightningModules: each step calls the model, the loss, and logs (S101-S110)."""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
import torch

from parttrack.config import to_dict
from parttrack.errors import TrainingError
from parttrack.models import PartDetector, SiameseTracker
from parttrack.training.config import TrainConfig
from parttrack.training.losses import detector_loss, tracker_loss
from parttrack.training.memory import RegionMemory


def versions() -> dict[str, str]:
    """Versions of the packages that made a checkpoint."""
    import lightning
    import numpy

    import parttrack

    return {"parttrack": str(parttrack.__version__), "torch": str(torch.__version__),
            "lightning": str(lightning.__version__), "numpy": str(numpy.__version__)}


class _Base(pl.LightningModule):
    """Shared optimiser, logging, NaN guard and checkpoint record."""

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def _trainable(self) -> torch.nn.Module:
        raise NotImplementedError

    def configure_optimizers(self) -> Any:
        c = self.cfg
        opt = torch.optim.AdamW(self._trainable().parameters(), lr=c.lr, weight_decay=c.weight_decay)
        total, warm = c.end.max_steps, c.warmup_steps

        def factor(step: int) -> float:  # linear warm-up, then cosine to 5 %
            if step < warm:
                return (step + 1) / warm
            t = min(1.0, (step - warm) / max(1, total - warm))
            return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * t))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def _finish(self, loss: torch.Tensor, stats: dict[str, torch.Tensor], batch_size: int) -> torch.Tensor:
        if not torch.isfinite(loss):
            raise TrainingError(f"loss is {loss.item()} at step {self.global_step}; training stopped")
        self.log("loss", loss.detach(), prog_bar=True, batch_size=batch_size)
        self.log_dict({f"loss/{k}": v for k, v in stats.items()}, batch_size=batch_size)
        return loss

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        for name, p in self._trainable().named_parameters():
            if not torch.isfinite(p).all():
                raise TrainingError(f"parameter {name} is not finite at step {self.global_step}; not checkpointed")
        checkpoint["parttrack"] = {"stage": self.cfg.stage, "train_config": to_dict(self.cfg), "versions": versions()}


class DetectorModule(_Base):
    """Stage 1: the part detector (first model) on all parts of all people ([0031]-[0032])."""

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__(cfg)
        self.detector = PartDetector(cfg.model)

    def _trainable(self) -> torch.nn.Module:
        return self.detector

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        out = self.detector(batch["search"])
        loss, stats = detector_loss(out, batch, self.cfg.loss)
        return self._finish(loss, stats, batch["search"].shape[0])


class TrackerModule(_Base):
    """Stage 2: the tracker (second model) learned through the element product with the frozen
    detector's likelihood map (claims 1-4 and 7, [0024]-[0052], [0063]-[0070]).

    Per step: S102 likelihood (frozen detector, no grad), S103 tracker maps, S104-S105 element
    product loss, S106 subject loss, S109-S110 temporal loss against the storage unit 170
    (:class:`RegionMemory`, per sequential-clip stream), S107 linear sum, S108 store.
    """

    def __init__(self, cfg: TrainConfig, detector: PartDetector | None = None) -> None:
        super().__init__(cfg)
        self.tracker = SiameseTracker(cfg.model)
        self.detector = detector if detector is not None else PartDetector(cfg.model)
        self.detector.requires_grad_(False)
        self.detector.eval()
        if cfg.init_from_detector and detector is not None:
            self.tracker.backbone.load_state_dict(self.detector.backbone.state_dict())
        self.memory = RegionMemory(cfg.temporal_n, cfg.model.search_size, cfg.model.stride)

    def _trainable(self) -> torch.nn.Module:
        return self.tracker

    def train(self, mode: bool = True) -> TrackerModule:
        super().train(mode)
        self.detector.eval()  # frozen: batch-norm statistics stay those of stage 1
        return self

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        with torch.no_grad():
            likelihood = self.detector(batch["search"])["part_heatmap"]  # S102
        out = self.tracker(batch["template"], batch["search"])  # S103
        streams = [int(s) for s in batch["stream"].tolist()]
        steps = batch["stream_step"].tolist()
        windows = [tuple(w) for w in batch["window"].tolist()]
        keys: list[int | None] = []
        for s, t in zip(streams, steps, strict=True):
            if s >= 0 and t == 0:
                self.memory.reset(s)  # a new clip starts in this slot
            keys.append(s if s >= 0 else None)
        target, valid = self.memory.targets(keys, windows, out["part_region"])  # S109
        loss, stats = tracker_loss(out, likelihood, batch, self.cfg.loss, target, valid)  # S105-S107, S110
        for i, key in enumerate(keys):  # S108
            if key is not None:
                self.memory.push(key, out["part_region"][i].detach(), windows[i])
        return self._finish(loss, stats, batch["search"].shape[0])
