"""One frame's search crops through one batched network call, for one subject or several.

A tracker's frame is split in three steps so that several subjects share one backend call
([0053]-[0058]; issue 15, item 4): each subject *plans* the search windows it needs
(:class:`FramePlan`: one window in the single-peak mode, a few while the identity mode
searches), :class:`CropBatch` warps every window of every subject into one ``(B, 3, S, S)``
batch and runs both networks once on it (each row with its own subject's template
features), and each subject *finishes* its frame from its own rows' maps
(:meth:`parttrack.tracker.part_tracker.PartTracker.finish`).

Example::

    batch = CropBatch(backend, model_config)
    maps = batch.run(frame, windows, feats)   # feats (B, C, t, t) or (1, C, t, t)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parttrack.crop import CropWindow, mean_colour
from parttrack.runtime.names import MAP_OUTPUTS
from parttrack.tracker.result import TrackMaps

if TYPE_CHECKING:
    from parttrack.models.config import ModelConfig
    from parttrack.runtime.backend import Backend


@dataclass(frozen=True)
class FramePlan:
    """What one subject needs from this frame's network call.

    Attributes:
        frame: the frame index the result will carry.
        keep: keep this frame's maps in the result.
        windows: search windows (image px), the first centred on the prediction.
    """

    frame: int
    keep: bool
    windows: list[CropWindow]


def check_frame(frame: np.ndarray) -> None:
    """ValueError unless ``frame`` is an ``(H, W, 3)`` uint8 BGR image."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        got = getattr(frame, "shape", type(frame).__name__)
        raise ValueError(f"frame must be an (H, W, 3) uint8 BGR image, got {got}")


class CropBatch:
    """Warps search windows of a frame into one reused float32 batch and runs the backend once.

    Args:
        backend: the network backend (:class:`~parttrack.runtime.backend.Backend`).
        model: the weights' :class:`~parttrack.models.ModelConfig` (crop size, stride, parts).

    Attributes:
        timings: seconds of the last call's ``crop`` (warps and float conversion) and
            ``networks`` (the backend call) stages.
    """

    def __init__(self, backend: Backend, model: ModelConfig, size_gain: float = 1.0) -> None:
        self.backend = backend
        self.model = model
        self.size_gain = np.float32(size_gain)
        S = model.search_size
        self._search = np.empty((1, 3, S, S), np.float32)  # reused every frame
        self.timings: dict[str, float] = {"crop": 0.0, "networks": 0.0}

    def run(self, frame: np.ndarray, windows: list[CropWindow], feat: np.ndarray) -> list[TrackMaps]:
        """The maps of every window of ``frame`` ``(H, W, 3)`` uint8 BGR, in order.

        Args:
            windows: B search windows (image px).
            feat: template features ``(B, C, t, t)`` (row ``i`` for window ``i``) or
                ``(1, C, t, t)`` (one subject: the same for every window).
        """
        t0 = time.perf_counter()
        B = len(windows)
        if self._search.shape[0] != B:
            self._search = np.empty((B, *self._search.shape[1:]), np.float32)
        border = mean_colour(frame)
        crops = []
        for i, window in enumerate(windows):
            crops.append(window.warp(frame, border))  # one cv2.warpAffine, padded with the mean colour
            np.multiply(crops[-1].transpose(2, 0, 1), np.float32(1 / 255), out=self._search[i])
        t1 = time.perf_counter()
        feats = feat if feat.shape[0] == B else np.broadcast_to(feat[:1], (B, *feat.shape[1:]))
        out = self.backend.run(feats, self._search, MAP_OUTPUTS)
        if self.size_gain != 1:
            out = {**out, "subject_size": out["subject_size"] * self.size_gain}
        self.timings = {"crop": t1 - t0, "networks": time.perf_counter() - t1}
        m = self.model
        return [
            TrackMaps(search=crops[i], window=w, parts=m.parts, stride=m.stride, **{k: v[i] for k, v in out.items()})
            for i, w in enumerate(windows)
        ]
