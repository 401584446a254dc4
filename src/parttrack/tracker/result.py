"""The result of tracking one frame: one typed record flows to the CLI, pictures and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parttrack.data.types import BoxXYWH


@dataclass(frozen=True)
class PartResult:
    """The tracked subject's part in one frame ([0060]-[0061]).

    Attributes:
        point: ``(x, y)`` image pixels (peak of the element product map).
        box: ``(x, y, w, h)`` image pixels from the size map at the peak, or None.
        score: element-product value at the peak.
    """

    point: tuple[float, float]
    box: BoxXYWH | None
    score: float


@dataclass(frozen=True)
class TrackResult:
    """One frame's result.

    Attributes:
        frame: 0-based frame index.
        box: subject box ``(x, y, w, h)`` image pixels, or None when lost.
        score: subject likelihood at its peak.
        lost: True when the subject score fell below the threshold.
        parts: part name -> PartResult, or None when the part is not found/visible.
        reasons: part name -> why it is None (e.g. "score 0.02 < 0.10", "subject lost").
        maps: optional maps of this frame for pictures (search crop, likelihood, region,
            product), filled when the tracker is asked to keep them.
    """

    frame: int
    box: BoxXYWH | None
    score: float
    lost: bool
    parts: dict[str, PartResult | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    maps: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSONL record of ``parttrack track`` (pixel coordinates of the original frame)."""

        def r(v: float) -> float:
            return round(float(v), 2)

        return {
            "frame": self.frame,
            "box": None if self.box is None else [r(v) for v in self.box],
            "score": round(float(self.score), 4),
            "lost": bool(self.lost),
            "parts": {
                name: None
                if p is None
                else {
                    "point": [r(p.point[0]), r(p.point[1])],
                    "box": None if p.box is None else [r(v) for v in p.box],
                    "score": round(float(p.score), 4),
                }
                for name, p in self.parts.items()
            },
        }
