"""A stand-in tracker for API tests: instant, and able to block or crash on a given frame."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import numpy as np

from parttrack.errors import ParttrackError


class FakeResult(SimpleNamespace):
    """The parts of a TrackResult the viewer reads."""

    def to_json(self) -> dict[str, Any]:
        head = self.parts["head"]
        return {"frame": self.frame, "subject": self.subject, "box": list(self.box), "score": self.score, "lost": False,
                "parts": {"head": {"point": list(head.point), "box": None, "score": head.score}}}


def fake_maps() -> dict[str, Any]:
    heat = np.zeros((1, 8, 8), np.float32)
    heat[0, 3, 4] = 1.0
    return {"search": np.zeros((64, 64, 3), np.uint8), "parts": ("head",), "stride": 8,
            "part_heatmap": heat, "part_region": heat, "product": heat}


class FakeTracker:
    """Follows a fixed box; ``gate`` (an Event) holds every frame after the first until set;
    ``fail_at`` raises RuntimeError on that frame index."""

    def __init__(self, gate: threading.Event | None = None, fail_at: int | None = None) -> None:
        self.gate, self.fail_at, self.box = gate, fail_at, None

    def _result(self, index: int, keep_maps: bool | None) -> FakeResult:
        x, y, w, h = self.box
        head = SimpleNamespace(point=(x + w / 2, y + h / 10), box=None, score=0.9)
        return FakeResult(frame=index, box=self.box, score=0.8, lost=False, parts={"head": head},
                          reasons={}, maps=fake_maps() if keep_maps else None, subject=0)

    def initialize(
        self, frame: np.ndarray, box: Any = None, frame_index: int = 0, keep_maps: bool | None = None,
        point: tuple[float, float] | None = None,
    ) -> FakeResult:
        if box is None:  # a tap: a 10 x 30 person below the point (the real tracker finds one)
            box = (point[0] - 5.0, point[1], 10.0, 30.0)
        self.box = tuple(float(v) for v in box)
        return self._result(frame_index, keep_maps)

    def propose_box(self, frame: np.ndarray, point: tuple[float, float]) -> tuple[float, float, float, float]:
        """A 10 x 30 person below the point; nobody left of x = 3 (a tap on empty road)."""
        if point[0] < 3:
            raise ParttrackError(f"no person found at ({point[0]:g}, {point[1]:g}): tap on a person's head or body")
        return point[0] - 5.0, point[1], 10.0, 30.0

    def track(self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None) -> FakeResult:
        if self.gate is not None:
            self.gate.wait(10)
        if frame_index == self.fail_at:
            raise RuntimeError(f"boom at frame {frame_index}")
        return self._result(frame_index, keep_maps)
