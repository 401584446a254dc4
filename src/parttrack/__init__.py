"""parttrack: follow one subject through a video and pinpoint its part (head, eye) every frame.

Implements US 2024/0282089 A1: a part detector's likelihood map times the tracker's
part-region map, peak -> the tracked subject's own part, even with people close by.

Example (the video is read once: the first frame starts the tracker, the rest are tracked)::

    import parttrack

    tracker = parttrack.PartTracker.from_weights()            # shipped weights
    with parttrack.open_video("street.mp4") as video:
        for frame in video:
            if frame.index == 0:                                # x, y, w, h of the subject
                result = tracker.initialize(frame.image, box=(850, 300, 60, 170))
            else:
                result = tracker.track(frame.image, frame.index)
            print(result.frame, result.parts["head"])

Folders, one layer each: ``data`` (video and annotation I/O), ``synth`` (synthetic clips),
``models`` (networks), ``runtime`` (backends, ONNX export), ``tracker`` (PartTracker,
MultiTracker for several subjects in one batched call, decoders),
``viz`` (pictures), ``pipeline`` + ``outputs`` (frames -> tracker -> files), ``training``,
``evaluation``. Terms: ``docs/glossary.md``.
"""

from __future__ import annotations

from typing import Any

from parttrack.errors import ParttrackError

__version__ = "0.1.0"

__all__ = [
    "MultiTracker",
    "ParttrackError",
    "PartResult",
    "PartTracker",
    "TrackResult",
    "TrackerConfig",
    "__version__",
    "load_sequence",
    "load_weights",
    "open_video",
]

_LAZY = {
    "PartTracker": "parttrack.tracker.part_tracker",
    "MultiTracker": "parttrack.tracker.multi",
    "TrackerConfig": "parttrack.tracker.config",
    "TrackResult": "parttrack.tracker.result",
    "PartResult": "parttrack.tracker.result",
    "load_weights": "parttrack.models.io",
    "open_video": "parttrack.data.video",
    "load_sequence": "parttrack.data.load",
}


def __getattr__(name: str) -> Any:  # lazy: `import parttrack` stays light (no torch, no cv2)
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'parttrack' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
