"""The two models: the part detector (first model) and the Siamese tracker (second model).

Imported lazily: ``parttrack.models.config`` (ModelConfig) loads without torch.
"""

from __future__ import annotations

from typing import Any

from parttrack.models.config import ModelConfig

_LAZY = {
    "PartDetector": "parttrack.models.detector",
    "SiameseTracker": "parttrack.models.tracker",
    "Weights": "parttrack.models.io",
    "default_weights_path": "parttrack.models.io",
    "load_weights": "parttrack.models.io",
    "save_weights": "parttrack.models.io",
}

__all__ = [
    "ModelConfig",
    "PartDetector",
    "SiameseTracker",
    "Weights",
    "default_weights_path",
    "load_weights",
    "save_weights",
]


def __getattr__(name: str) -> Any:
    """The torch-side names, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
