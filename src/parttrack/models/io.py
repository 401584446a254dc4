"""Weights files: both models, their config and a record of how they were made.

Format (``torch.save`` of a dict): ``{"format": "parttrack-weights", "version": 1,
"config": ModelConfig as dict, "detector": state_dict, "tracker": state_dict | None,
"meta": {...}}``. Written atomically. Loading checks the format, version and config and
raises :class:`~parttrack.errors.CheckpointError` naming the file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from parttrack.atomic import atomic_path
from parttrack.config import from_dict, to_dict
from parttrack.errors import CheckpointError, ConfigError
from parttrack.models.config import ModelConfig
from parttrack.models.detector import PartDetector
from parttrack.models.tracker import SiameseTracker

FORMAT = "parttrack-weights"
VERSION = 1


def default_weights_path() -> Path:
    """The weights shipped in the package (trained by ``make train``, see weights/README)."""
    return Path(str(resources.files("parttrack") / "weights" / "parttrack.pt"))


@dataclass
class Weights:
    """Loaded models (eval mode) and their config."""

    config: ModelConfig
    detector: PartDetector
    tracker: SiameseTracker | None
    meta: dict[str, Any] = field(default_factory=dict)


def save_weights(
    path: str | Path,
    config: ModelConfig,
    detector: PartDetector,
    tracker: SiameseTracker | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Atomically write a weights file."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": to_dict(config),
        "detector": detector.state_dict(),
        "tracker": None if tracker is None else tracker.state_dict(),
        "meta": dict(meta or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_weights(
    path: str | Path | None = None, expect: ModelConfig | None = None, need_tracker: bool = True
) -> Weights:
    """Load a weights file (``None`` = the shipped weights).

    Raises:
        CheckpointError: missing file, not a parttrack weights file, a newer format version,
            a config other than ``expect``, or state that does not fit the config.
    """
    p = default_weights_path() if path is None else Path(path)
    if not p.is_file():
        raise CheckpointError("weights file not found", p)
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them
            warnings.simplefilter("ignore")
            payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means "not a checkpoint"
        raise CheckpointError(f"not a parttrack weights file ({type(e).__name__})", p) from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError("not a parttrack weights file (no 'parttrack-weights' format tag)", p)
    if not isinstance(payload.get("version"), int) or payload["version"] > VERSION:
        raise CheckpointError(
            f"weights format version {payload.get('version')} is newer than this parttrack "
            f"reads ({VERSION}); upgrade parttrack",
            p,
        )
    try:
        cfg = from_dict(ModelConfig, payload["config"], p)
    except (ConfigError, KeyError) as e:
        raise CheckpointError(f"bad model config in weights: {e}", p) from e
    if expect is not None and cfg != expect:
        got, want = to_dict(cfg), to_dict(expect)
        diff = ", ".join(f"{k}={got[k]!r}, expected {want[k]!r}" for k in want if got[k] != want[k])
        raise CheckpointError(f"weights were made for another model config ({diff})", p)
    det = PartDetector(cfg)
    trk = SiameseTracker(cfg) if payload.get("tracker") is not None else None
    if need_tracker and trk is None:
        raise CheckpointError("weights hold no tracker (a detector-only checkpoint)", p)
    try:
        det.load_state_dict(payload["detector"])
        if trk is not None:
            trk.load_state_dict(payload["tracker"])
    except (RuntimeError, KeyError, TypeError) as e:
        raise CheckpointError(f"weights do not fit their config: {str(e).splitlines()[0]}", p) from e
    det.eval()
    if trk is not None:
        trk.eval()
    return Weights(cfg, det, trk, dict(payload.get("meta") or {}))
