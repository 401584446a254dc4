"""Following one subject and pinpointing its parts: configuration, subject localisation, part
decoders, results, :class:`PartTracker` and :class:`MultiTracker` (several subjects in one
batched call), imported lazily, so ``parttrack.tracker.<module>`` stays light."""

from __future__ import annotations

from typing import Any

__all__ = ["MultiTracker", "PartResult", "PartTracker", "TrackResult", "TrackerConfig"]


def __getattr__(name: str) -> Any:
    if name == "PartTracker":
        from parttrack.tracker.part_tracker import PartTracker

        return PartTracker
    if name == "MultiTracker":
        from parttrack.tracker.multi import MultiTracker

        return MultiTracker
    if name == "TrackerConfig":
        from parttrack.tracker.config import TrackerConfig

        return TrackerConfig
    if name in ("TrackResult", "PartResult"):
        from parttrack.tracker import result

        return getattr(result, name)
    raise AttributeError(f"module 'parttrack.tracker' has no attribute {name!r}")
