"""The inference apparatus: follow one subject and pinpoint its parts every frame.

Per frame ([0053]-[0062], claims 5, 6, 8): a search crop around the subject's last position
goes through a :class:`~parttrack.runtime.backend.Backend` (part detector: part likelihood,
[0056]-[0057]; Siamese tracker: subject likelihood and part region, [0058]); the subject is
located on its heatmap (:mod:`parttrack.tracker.locate`), and each part is the peak of
likelihood x region ([0059]-[0061], :mod:`parttrack.tracker.decoders`), mapped back to the
image.

Example::

    tracker = PartTracker.from_weights(parts=("head",))
    first = tracker.initialize(frame0, box=(850, 300, 60, 170))
    result = tracker.track(frame1)        # TrackResult: box, score, lost, parts["head"]
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH, check_box
from parttrack.device import torch_device
from parttrack.errors import ConfigError
from parttrack.models import Weights, load_weights
from parttrack.runtime.backend import Backend, make_backend
from parttrack.runtime.graphs import MAP_OUTPUTS
from parttrack.tracker.config import TrackerConfig
from parttrack.tracker.decoders import PART_PRIORS, decode_in_image
from parttrack.tracker.locate import hann_window, locate_subject
from parttrack.tracker.result import PartResult, TrackMaps, TrackResult


class PartTracker:
    """Tracks one subject and its parts ([0053]-[0062]).

    Args:
        weights: both models and their config (``parttrack.models.load_weights``).
        config: tracker knobs (default :class:`TrackerConfig`).
        device: torch device, e.g. ``"cpu"`` or ``"cuda"``.
        backend: ``"torch"`` or ``"onnxruntime"`` (the same frame graph either way,
            :mod:`parttrack.runtime`), or a ready :class:`~parttrack.runtime.backend.Backend`.
        num_threads: intra-op CPU threads of a backend built here (None: backend default).
        **overrides: TrackerConfig fields replacing those of ``config`` (e.g.
            ``method="top-down"``, ``keep_maps=True``, ``parts=("head",)``).

    Attributes:
        config: the :class:`TrackerConfig` in use.
        model_config: the weights' :class:`~parttrack.models.ModelConfig` (crop sizes, stride,
            parts).
        parts: the parts reported.
        backend: the network backend.
        timings: seconds of the last frame's ``crop`` and ``networks`` stages (for benchmarks).
    """

    def __init__(
        self,
        weights: Weights,
        config: TrackerConfig | None = None,
        device: str = "cpu",
        backend: str | Backend = "torch",
        num_threads: int | None = None,
        **overrides: Any,
    ) -> None:
        config = config or TrackerConfig()
        if overrides:
            config = dataclasses.replace(config, **overrides)
        if weights.tracker is None:
            raise ValueError("weights must hold a tracker (got a detector-only checkpoint)")
        parts = weights.config.parts if config.parts is None else tuple(config.parts)
        unknown = [p for p in parts if p not in weights.config.parts]
        if unknown:
            raise ConfigError(
                f"parts {unknown} are not in the weights' parts {list(weights.config.parts)}"
            )
        if config.method in ("bottom-up", "box-prior"):
            missing = [p for p in parts if p not in PART_PRIORS]
            if missing:
                raise ConfigError(f"method {config.method!r} has no prior for parts {missing}")
        if isinstance(backend, str):
            if backend not in ("torch", "onnxruntime"):
                raise ValueError(f"backend must be 'torch' or 'onnxruntime', got {backend!r}")
            backend = make_backend(weights, backend, num_threads, torch_device(device))
        self.config = config
        self.model_config = weights.config
        self.parts = parts
        self.backend = backend
        self.timings: dict[str, float] = {"crop": 0.0, "networks": 0.0}
        S, T, n = self.model_config.search_size, self.model_config.template_size, self.model_config.map_size
        self._search = np.empty((1, 3, S, S), np.float32)  # reused every frame
        self._template = np.empty((1, 3, T, T), np.float32)
        self._hann = hann_window(n)
        self.reset()

    @classmethod
    def from_weights(
        cls, path: str | Path | None = None, config: TrackerConfig | None = None, device: str = "cpu", **kw: Any
    ) -> PartTracker:
        """Load a weights file (None = the shipped weights) and build a tracker."""
        return cls(load_weights(path), config, device, **kw)

    # --- public API -----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the subject (template, box, motion): :meth:`initialize` must come next."""
        self._template_feat: np.ndarray | None = None
        self._box: BoxXYWH | None = None
        self._velocity = np.zeros(2)  # image px / frame (motion_lr > 0)
        self._lost_frames = 0
        self._frame = -1
        self._since_update = 0

    @property
    def box(self) -> BoxXYWH | None:
        """The subject box the next search is centred on (image pixels), or None before
        :meth:`initialize`."""
        return self._box

    @property
    def lost(self) -> bool:
        """True while the subject is lost (score below the thresholds)."""
        return self._lost_frames > 0

    def initialize(
        self, frame: np.ndarray, box: BoxXYWH, frame_index: int = 0, keep_maps: bool | None = None
    ) -> TrackResult:
        """Start tracking the subject in ``box`` ``(x, y, w, h)`` image pixels of ``frame``
        ``(H, W, 3)`` uint8 BGR. Encodes the template once and returns this frame's result
        (the given box, score 1, and the parts decoded in a search crop around it).

        Args:
            frame_index: index recorded in the result; later frames count on from it.
            keep_maps: override ``config.keep_maps`` for this frame.
        """
        _check_frame(frame)
        box = check_box(box, "box")
        self.reset()
        self._box = box
        self._frame = frame_index
        self._set_template(frame, box, rate=1.0)
        m = self.model_config
        window = CropWindow.around(box, m.search_size, m.search_factor, m.context)
        maps = self._maps(frame, window)
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        return self._result(frame_index, box, 1.0, maps, keep)

    def track(
        self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None
    ) -> TrackResult:
        """Track the subject into ``frame`` ``(H, W, 3)`` uint8 BGR.

        Args:
            frame_index: index recorded in the result (default: previous + 1).
            keep_maps: override ``config.keep_maps`` for this frame.

        Raises:
            RuntimeError: before :meth:`initialize` (or after :meth:`reset`).
        """
        if self._box is None or self._template_feat is None:
            raise RuntimeError("call initialize(frame, box) before track(frame)")
        _check_frame(frame)
        self._frame = self._frame + 1 if frame_index is None else frame_index
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        H, W = frame.shape[:2]
        c = self.config
        maps = self._maps(frame, self._search_window(W, H))
        found = locate_subject(
            maps.subject_heatmap[0], maps.subject_size, maps.subject_offset, maps.window,
            self.model_config.stride, (self._box[2], self._box[3]),
            None if self._lost_frames else self._hann, c.window_influence, c.scale_penalty, c.size_lr,
        )
        box, score, lr = found.box, found.score, found.size_rate
        threshold = c.redetect_threshold if self._lost_frames else c.lost_threshold
        if score < threshold:
            self._lost_frames += 1
            self._velocity[:] = 0.0
            return TrackResult(
                self._frame, None, float(score), True, dict.fromkeys(self.parts),
                dict.fromkeys(self.parts, "subject lost"), maps if keep else None,
            )
        self._lost_frames = 0
        cx = min(max(box[0] + box[2] / 2.0, 0.0), float(W))
        cy = min(max(box[1] + box[3] / 2.0, 0.0), float(H))
        pw, ph = self._box[2], self._box[3]
        if c.motion_lr > 0:
            step = np.array([cx - (self._box[0] + pw / 2.0), cy - (self._box[1] + ph / 2.0)])
            self._velocity = (1 - c.motion_lr) * self._velocity + c.motion_lr * step
        w = max(pw * (1 - lr) + box[2] * lr, c.min_size)
        h = max(ph * (1 - lr) + box[3] * lr, c.min_size)
        self._box = (cx - w / 2.0, cy - h / 2.0, w, h)
        self._maybe_update_template(frame, score)
        return self._result(self._frame, self._box, score, maps, keep)

    # --- steps ----------------------------------------------------------------------------
    def _set_template(self, frame: np.ndarray, box: BoxXYWH, rate: float) -> None:
        m = self.model_config
        window = CropWindow.around(box, m.template_size, 1.0, m.context)
        np.multiply(window.warp(frame).transpose(2, 0, 1), np.float32(1 / 255), out=self._template[0])
        feat = self.backend.encode_template(self._template)
        if self._template_feat is None or rate >= 1.0:
            self._template_feat = feat
        else:
            self._template_feat = (1 - rate) * self._template_feat + rate * feat

    def _maybe_update_template(self, frame: np.ndarray, score: float) -> None:
        c = self.config
        self._since_update += 1
        if c.template_update_threshold is None or score < c.template_update_threshold:
            return
        if self._since_update >= c.template_update_interval:
            self._set_template(frame, self._box, c.template_update_rate)
            self._since_update = 0

    def _search_window(self, W: int, H: int) -> CropWindow:
        """Search crop around the last box; while lost it widens by ``lost_growth`` per lost
        frame, up to a crop of the whole frame."""
        m = self.model_config
        factor = m.search_factor * self.config.lost_growth ** min(self._lost_frames, 100)  # no overflow
        x, y, w, h = self._box
        vx, vy = self._velocity  # zero unless the motion model is on
        window = CropWindow.around((x + vx, y + vy, w, h), m.search_size, factor, m.context)
        full = float(max(W, H))
        if self._lost_frames and window.side >= full:
            return CropWindow(W / 2.0, H / 2.0, full, m.search_size)
        return window

    def _maps(self, frame: np.ndarray, window: CropWindow) -> TrackMaps:
        """The search crop of ``window`` through the backend: this frame's maps."""
        t0 = time.perf_counter()
        crop = window.warp(frame)  # one cv2.warpAffine, padded with the frame's mean colour
        np.multiply(crop.transpose(2, 0, 1), np.float32(1 / 255), out=self._search[0])
        t1 = time.perf_counter()
        out = self.backend.run(self._template_feat, self._search, MAP_OUTPUTS)
        self.timings = {"crop": t1 - t0, "networks": time.perf_counter() - t1}
        arrays = {k: v[0] for k, v in out.items()}
        m = self.model_config
        return TrackMaps(search=crop, window=window, parts=m.parts, stride=m.stride, **arrays)

    def _result(self, index: int, box: BoxXYWH, score: float, maps: TrackMaps, keep: bool) -> TrackResult:
        parts: dict[str, PartResult | None] = {}
        reasons: dict[str, str] = {}
        thr = self.config.part_threshold
        m = self.model_config
        for name in self.parts:
            d = decode_in_image(self.config.method, maps, m.parts.index(name), name, box, maps.window, m.stride)
            if d.score < thr:
                parts[name] = None
                reasons[name] = f"score {d.score:.2f} < {thr:.2f}"
                continue
            parts[name] = PartResult(d.point, d.box, d.score)
        return TrackResult(index, box, float(score), False, parts, reasons, maps if keep else None)


def _check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        got = getattr(frame, "shape", type(frame).__name__)
        raise ValueError(f"frame must be an (H, W, 3) uint8 BGR image, got {got}")


__all__ = ["PartTracker", "TrackerConfig"]
