"""The result of tracking one frame: one typed record flows to the CLI, pictures and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH


@dataclass(frozen=True)
class TrackMaps:
    """One frame's maps, kept for pictures and evaluation (``keep_maps=True``).

    All maps are of the search crop, without batch dimension, ``h = w = search_size / stride``
    elements; element ``(x, y)`` sits at crop pixel ``(x, y) * stride`` ([0041], [0060]).

    Attributes:
        search: the search crop ``(S, S, 3)`` uint8 BGR.
        window: where the crop lies in the image (:class:`~parttrack.crop.CropWindow`).
        parts: every part of the weights, in channel order.
        stride: crop pixels per map element (the size ratio inside the crop).
        part_heatmap: part likelihood (detector, [0056]) ``(K, h, w)``.
        part_size, part_offset: ``(2K, h, w)`` map elements.
        subject_heatmap: subject likelihood ``(1, h, w)``; subject_size / subject_offset
            ``(2, h, w)``.
        part_region: part region (tracker, [0058]) ``(K, h, w)``.
        product: element product of likelihood and region ([0059]) ``(K, h, w)``.
    """

    search: np.ndarray
    window: CropWindow
    parts: tuple[str, ...]
    stride: int
    part_heatmap: np.ndarray
    part_size: np.ndarray
    part_offset: np.ndarray
    subject_heatmap: np.ndarray
    subject_size: np.ndarray
    subject_offset: np.ndarray
    part_region: np.ndarray
    product: np.ndarray


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
        maps: this frame's :class:`TrackMaps` (search crop, likelihood, region, product),
            filled when the tracker is asked to keep them, else None.
        subject: which subject, 0-based, in the order given
            (:class:`~parttrack.tracker.multi.MultiTracker`; 0 for a single tracker).
    """

    frame: int
    box: BoxXYWH | None
    score: float
    lost: bool
    parts: dict[str, PartResult | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    maps: TrackMaps | None = field(default=None, compare=False, repr=False)
    subject: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSONL record of ``parttrack track`` (pixel coordinates of the original frame)."""

        def r(v: float) -> float:
            return round(float(v), 2)

        return {
            "frame": self.frame,
            "subject": int(self.subject),
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
