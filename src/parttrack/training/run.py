"""Learning apparatus (claims 1-4 and 7, [0024]-[0052], [0063]-[0070]): two Lightning stages.

1. ``detector``: the part detector (first model) on every person's parts.
2. ``tracker``: the Siamese tracker (second model) with the detector frozen, learned through
   the element product of the detector's likelihood map and its own region map (S105), the
   subject loss (S106) and the temporal loss against past region maps (S110), summed (S107).

Example::

    from parttrack.training.run import train
    train("detector", "configs/recipe_detector.yaml")
    result = train("tracker", "configs/recipe_tracker.yaml")
    print(result.weights, result.steps, result.stop_reason)

Checkpoints (atomic, with the config and package versions) go to ``<out>/checkpoints``;
``resume`` continues their global step. The stage ends by writing a weights file
(``parttrack.models.save_weights``) whose ``meta`` records the recipe, steps, wall time,
data and versions.
"""

from __future__ import annotations

import importlib.util
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from parttrack.config import load_yaml, to_dict
from parttrack.errors import CheckpointError, ConfigError, TrainingError, UsageError
from parttrack.models import ModelConfig, load_weights, save_weights
from parttrack.training.config import TrainConfig
from parttrack.training.data import Sampler, TrainBatches, describe, load_sources
from parttrack.training.modules import DetectorModule, TrackerModule, versions

STAGES = ("detector", "tracker")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainResult:
    """What a stage produced.

    Attributes:
        weights: the weights file written.
        checkpoint: the last Lightning checkpoint (resumable).
        steps: global step reached.
        wall_time_s: seconds this run took.
        final_loss: the last logged loss.
        stop_reason: which end condition of [0049] ended training.
        main_process: False in the other processes of a multi-process (DDP) run, which
            write nothing.
    """

    weights: Path
    checkpoint: Path
    steps: int
    wall_time_s: float
    final_loss: float | None
    stop_reason: str
    main_process: bool = True


def _accelerator(device: str) -> str:
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but CUDA is not available")
    return "gpu" if device == "cuda" else device


def resume_step(path: str | Path, stage: str, model: ModelConfig | None = None) -> int:
    """Global step of a parttrack training checkpoint of ``stage`` (made for ``model``, if given).

    Raises:
        CheckpointError: missing, unreadable, not a parttrack checkpoint, another stage's, or
            made for another model config.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError("checkpoint to resume not found", p)
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means "not a checkpoint"
        raise CheckpointError(f"not a training checkpoint ({type(e).__name__})", p) from e
    rec = ck.get("parttrack") if isinstance(ck, dict) else None
    if not isinstance(rec, dict) or "global_step" not in ck:
        raise CheckpointError("not a parttrack training checkpoint (no 'parttrack' record)", p)
    if rec.get("stage") != stage:
        raise CheckpointError(f"checkpoint is of the {rec.get('stage')} stage, not {stage}", p)
    made = rec["train_config"].get("model") if isinstance(rec.get("train_config"), dict) else None
    if model is not None and made != to_dict(model):
        made = made if isinstance(made, dict) else {}
        diff = ", ".join(f"{k}={made.get(k)!r}, expected {v!r}" for k, v in to_dict(model).items() if made.get(k) != v)
        raise CheckpointError(f"checkpoint was made for another model config ({diff})", p)
    return int(ck["global_step"])


def _loggers(out: Path) -> list[Any]:
    from lightning.pytorch.loggers import CSVLogger

    loggers: list[Any] = [CSVLogger(out, name="logs")]
    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(out, name="tb"))
    return loggers


def train(
    stage: str,
    config: str | Path,
    resume: str | Path | None = None,
    device: str = "auto",
    out: str | Path | None = None,
) -> TrainResult:
    """Run one training stage.

    Args:
        stage: "detector" or "tracker" (must match the config's ``stage``).
        config: YAML file of a :class:`TrainConfig`; its relative paths are relative to it.
        resume: a checkpoint of this stage to continue from (global step included).
        device: "cpu", "cuda" or "auto".
        out: folder for checkpoints and logs (default ``runs/<stage>``).

    Raises:
        ConfigError, CheckpointError, UsageError: bad inputs (one line, naming the file).
        TrainingError: a non-finite loss; the last good checkpoint is kept.
    """
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import ModelCheckpoint
    from torch.utils.data import DataLoader

    from parttrack.training.callbacks import AtomicCheckpointIO, EndConditions

    if stage not in STAGES:
        raise UsageError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
    accelerator = _accelerator(device)
    cfg_path = Path(config)
    cfg = load_yaml(TrainConfig, cfg_path)
    if cfg.stage != stage:
        raise ConfigError(f"config is for the {cfg.stage} stage, not {stage}", cfg_path)
    base = cfg_path.resolve().parent
    out_dir = Path(out) if out is not None else Path("runs") / stage
    ckpt_dir = out_dir / "checkpoints"
    weights_path = (base / cfg.output).resolve() if cfg.output else out_dir / f"{stage}.pt"
    offset = 0 if resume is None else resume_step(resume, stage, cfg.model)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    pl.seed_everything(cfg.seed + offset, verbose=False)

    sources = load_sources(cfg.data, base, need_parts=stage == "detector")
    d = cfg.data
    mix = {"synthetic": d.mix_synthetic, "towncentre": d.mix_towncentre, "mot": d.mix_mot,
           "composite": d.mix_composite, "labelled": d.mix_labelled}
    sampler = Sampler(sources, mix, cfg.model, d.samples, with_template=stage == "tracker")
    loader = DataLoader(
        TrainBatches(sampler, cfg.batch_size, cfg.num_streams, cfg.seed, offset),
        batch_size=None,
        num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0,
    )
    det_meta: dict[str, Any] | None = None
    if stage == "detector":
        module: DetectorModule | TrackerModule = DetectorModule(cfg)
    else:
        det_file = (base / str(cfg.detector_weights)).resolve()
        w = load_weights(det_file, expect=cfg.model, need_tracker=False)
        det_meta = {"file": str(det_file), **{k: w.meta.get(k) for k in ("steps", "wall_time_s", "stop_reason", "data")}}
        module = TrackerModule(cfg, w.detector)

    ends = EndConditions(cfg.end.loss_threshold, cfg.end.delta_threshold, cfg.end.window, cfg.end.min_steps)
    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=cfg.devices,
        num_nodes=cfg.num_nodes,
        strategy=cfg.strategy,
        precision=cfg.precision,  # type: ignore[arg-type]
        max_steps=cfg.end.max_steps,
        max_epochs=-1,
        logger=_loggers(out_dir),
        callbacks=[
            ModelCheckpoint(dirpath=ckpt_dir, filename="step{step:07d}", auto_insert_metric_name=False,
                            every_n_train_steps=cfg.checkpoint_every, save_top_k=1, save_last=True),
            ends,
        ],
        plugins=[AtomicCheckpointIO()],
        gradient_clip_val=cfg.grad_clip or None,
        log_every_n_steps=cfg.log_every,
        enable_progress_bar=cfg.progress_bar,
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        default_root_dir=out_dir,
    )
    last = ckpt_dir / "last.ckpt"
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*IterableDataset.*__len__.*")
        warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode.*")  # the frozen detector
        logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
        try:
            trainer.fit(module, train_dataloaders=loader, ckpt_path=None if resume is None else str(resume))
        except TrainingError as e:
            kept = f"; last good checkpoint: {last}" if last.is_file() else "; no checkpoint was written yet"
            raise TrainingError(e.message + kept, cfg_path) from e
    wall = time.monotonic() - t0
    trainer.save_checkpoint(last)
    loss = trainer.callback_metrics.get("loss")
    final_loss = None if loss is None else float(loss)
    reason = ends.reason or f"max_steps {cfg.end.max_steps} reached"
    if trainer.is_global_zero:
        meta = {
            "stage": stage,
            "recipe": to_dict(cfg),
            "config_file": str(cfg_path),
            "steps": int(trainer.global_step),
            "wall_time_s": round(wall, 1),
            "stop_reason": reason,
            "final_loss": final_loss,
            "resumed_from": None if resume is None else str(resume),
            "device": accelerator,
            "data": describe(sampler),
            "versions": versions(),
        }
        if isinstance(module, TrackerModule):
            meta["detector"] = det_meta
            save_weights(weights_path, cfg.model, module.detector, module.tracker, meta)
        else:
            save_weights(weights_path, cfg.model, module.detector, None, meta)
    return TrainResult(weights_path, last, int(trainer.global_step), wall, final_loss, reason, trainer.is_global_zero)
