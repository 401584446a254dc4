"""The two models: the part detector (first model) and the Siamese tracker (second model)."""

from parttrack.models.config import ModelConfig
from parttrack.models.detector import PartDetector
from parttrack.models.io import Weights, default_weights_path, load_weights, save_weights
from parttrack.models.tracker import SiameseTracker

__all__ = [
    "ModelConfig",
    "PartDetector",
    "SiameseTracker",
    "Weights",
    "default_weights_path",
    "load_weights",
    "save_weights",
]
