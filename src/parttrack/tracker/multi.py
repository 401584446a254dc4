"""Several subjects at once: one :class:`~parttrack.tracker.part_tracker.PartTracker` per
subject, one batched network call per frame for all of them (issue 15, item 4).

Per frame the camera's motion is estimated once (identity mode), each subject plans its
search windows (:meth:`PartTracker.plan`), every window of every subject is warped into one
batch and goes through the backend once, each row with its own subject's template features
([0056]-[0058]; :class:`~parttrack.tracker.batch.CropBatch`), and each subject finishes its
frame from its own rows (:meth:`PartTracker.finish`). Batching changes no result: each
subject's result is the one a tracker of that subject alone gives (up to the backend's float
rounding between batch sizes).

Example::

    multi = MultiTracker(PartTracker.from_weights())
    firsts = multi.initialize(frame0, [(850, 300, 60, 170), (400, 320, 55, 160)])
    results = multi.track(frame1)       # [TrackResult of subject 0, of subject 1]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from parttrack.data.types import BoxXYWH
from parttrack.tracker.batch import CropBatch, check_frame
from parttrack.tracker.camera import CameraMotion
from parttrack.tracker.config import TrackerConfig
from parttrack.tracker.part_tracker import PartTracker
from parttrack.tracker.result import TrackResult


class MultiTracker:
    """Tracks N subjects of one video with one backend call per frame.

    Args:
        tracker: the first subject's tracker; the others are its :meth:`PartTracker.spawn`
            (same config, parts and backend).

    Attributes:
        trackers: one :class:`PartTracker` per subject, in the order given (after
            :meth:`initialize`).
        timings: seconds of the last frame's ``crop`` and ``networks`` stages, all subjects.
    """

    def __init__(self, tracker: PartTracker) -> None:
        self.prototype = tracker
        self.trackers: list[PartTracker] = []
        self.timings: dict[str, float] = {"crop": 0.0, "networks": 0.0}
        self._batch = CropBatch(tracker.backend, tracker.model_config, tracker.config.size_gain)
        self._camera: CameraMotion | None = None

    @classmethod
    def from_weights(
        cls, path: str | Path | None = None, config: TrackerConfig | None = None, device: str = "cpu", **kw: Any
    ) -> MultiTracker:
        """A MultiTracker over :meth:`PartTracker.from_weights` (same arguments)."""
        return cls(PartTracker.from_weights(path, config, device, **kw))

    @property
    def config(self) -> TrackerConfig:
        """The :class:`TrackerConfig` of every subject."""
        return self.prototype.config

    @property
    def backend(self) -> Any:
        """The network backend all subjects share."""
        return self.prototype.backend

    def __len__(self) -> int:
        return len(self.trackers)

    def initialize(
        self,
        frame: np.ndarray,
        boxes: Sequence[BoxXYWH] = (),
        frame_index: int = 0,
        keep_maps: bool | None = None,
        points: Sequence[tuple[float, float]] = (),
    ) -> list[TrackResult]:
        """Start tracking the subjects of ``frame`` ``(H, W, 3)`` uint8 BGR: one per box
        ``(x, y, w, h)`` of ``boxes``, then one per tapped point ``(x, y)`` of ``points``
        (image px); subject ids count from 0 in that order. Each subject is started as
        :meth:`PartTracker.initialize` does (its own network calls: first frame only).

        Returns:
            the first frame's result of each subject (``subject`` set).

        Raises:
            ValueError: no subject, a bad box or frame. ParttrackError: no person at a point.
        """
        check_frame(frame)
        starts = [(tuple(b), None) for b in boxes] + [(None, tuple(p)) for p in points]
        if not starts:
            raise ValueError("give at least one subject box (x, y, w, h) or point (x, y)")
        trackers = [self.prototype] + [self.prototype.spawn() for _ in starts[1:]]
        results = [
            dataclasses.replace(t.initialize(frame, box, frame_index, keep_maps, point), subject=i)
            for i, (t, (box, point)) in enumerate(zip(trackers, starts, strict=True))
        ]
        self.trackers = trackers
        c = self.config
        self._camera = CameraMotion() if c.identity and c.camera_motion else None
        if self._camera is not None:
            self._camera(frame)
        return results

    def track(
        self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None
    ) -> list[TrackResult]:
        """Track every subject into ``frame`` ``(H, W, 3)`` uint8 BGR with ONE backend call.

        Args:
            frame_index: index recorded in the results (default: previous + 1).
            keep_maps: override ``config.keep_maps`` for this frame.

        Returns:
            one :class:`TrackResult` per subject, in subject order (``subject`` = 0, 1, ...).

        Raises:
            RuntimeError: before :meth:`initialize`. ValueError: a bad frame.
        """
        if not self.trackers:
            raise RuntimeError("call initialize(frame, boxes) before track(frame)")
        check_frame(frame)
        shift = self._camera(frame) if self._camera is not None else None
        plans = [t.plan(frame, frame_index, keep_maps, shift) for t in self.trackers]
        windows = [w for p in plans for w in p.windows]
        feats = np.concatenate([
            np.repeat(t.template_features, len(p.windows), axis=0) for t, p in zip(self.trackers, plans, strict=True)
        ])
        maps = self._batch.run(frame, windows, feats)
        self.timings = self._batch.timings
        results, i = [], 0
        for k, (t, p) in enumerate(zip(self.trackers, plans, strict=True)):
            n = len(p.windows)
            results.append(dataclasses.replace(t.finish(frame, p, maps[i : i + n]), subject=k))
            i += n
        return results
