"""Training callbacks and plugins: end conditions ([0049]) and atomic checkpoints."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from parttrack.atomic import atomic_path


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoints written to a temporary file beside the target, then renamed:
    a crash never leaves a half-written checkpoint where a good one was."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        with atomic_path(Path(path)) as tmp:
            torch.save(checkpoint, tmp)


class EndConditions(pl.Callback):
    """Loss-based end conditions of [0049] (the step count is ``Trainer(max_steps)``).

    Stops once the mean loss of the last ``window`` steps is <= ``loss_threshold``, or once
    it changed by <= ``delta_threshold`` from the mean of the ``window`` steps before.

    Attributes:
        reason: why training stopped early, or None.
    """

    def __init__(
        self, loss_threshold: float | None, delta_threshold: float | None, window: int = 1, min_steps: int = 0
    ) -> None:
        self.loss_threshold, self.delta_threshold = loss_threshold, delta_threshold
        self.window, self.min_steps = window, min_steps
        self.history: deque[float] = deque(maxlen=2 * window)
        self.reason: str | None = None

    def check(self, loss: float, step: int) -> str | None:
        """Record one step's loss; return the reason to stop, or None."""
        self.history.append(loss)
        if step < self.min_steps or len(self.history) < self.window:
            return None
        h = list(self.history)
        cur = sum(h[-self.window :]) / self.window
        if self.loss_threshold is not None and cur <= self.loss_threshold:
            return f"loss {cur:.5g} <= {self.loss_threshold:g} at step {step}"
        if self.delta_threshold is not None and len(h) == 2 * self.window:
            prev = sum(h[: self.window]) / self.window
            if abs(cur - prev) <= self.delta_threshold:
                return f"|loss change| {abs(cur - prev):.5g} <= {self.delta_threshold:g} at step {step}"
        return None

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        reason = self.check(float(loss), trainer.global_step)
        # every rank must agree, or a DDP run would hang: any rank's reason stops all
        if trainer.strategy.reduce_boolean_decision(reason is not None, all=False):
            self.reason = reason or "another process met an end condition"
            trainer.should_stop = True
