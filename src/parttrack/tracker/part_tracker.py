"""The inference apparatus: follow one subject and pinpoint its parts every frame.

Per frame ([0053]-[0062], claims 5, 6, 8): the camera's motion is compensated and a Kalman
filter predicts the subject (:mod:`~parttrack.tracker.camera`, :mod:`~parttrack.tracker.kalman`);
search crops around the prediction (:mod:`~parttrack.tracker.search`) go through one
:class:`~parttrack.runtime.backend.Backend` call (part detector: part likelihood,
[0056]-[0057]; Siamese tracker: subject likelihood and part region, [0058]); every peak of the
subject likelihood is a candidate, and the subject's identity is kept among them and the
remembered distractors (:mod:`~parttrack.tracker.identity`, KeepTrack's idea) -- or the subject is
reported absent; each part is the peak of likelihood x region ([0059]-[0061],
:mod:`~parttrack.tracker.decoders`), mapped back to the image and steadied by a One-Euro filter.

Example::

    tracker = PartTracker.from_weights(parts=("head",))
    first = tracker.initialize(frame0, box=(850, 300, 60, 170))
    result = tracker.track(frame1)        # TrackResult: box, score, lost, parts["head"]
    tracker.initialize(frame0, point=(880, 330))   # or start from a tap on the person
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH, check_box
from parttrack.errors import ConfigError
from parttrack.runtime.backend import Backend, default_backend, make_backend
from parttrack.runtime.cache import CachedGraphs, cached_graphs
from parttrack.tracker.appearance import AppearanceMemory, box_histogram
from parttrack.tracker.batch import CropBatch, FramePlan, check_frame
from parttrack.tracker.camera import CameraMotion
from parttrack.tracker.config import TrackerConfig
from parttrack.tracker.decoders import PART_PRIORS, decode_parts
from parttrack.tracker.identity import IdentityTracker
from parttrack.tracker.locate import hann_window, locate_subject, widening_window
from parttrack.tracker.result import TrackMaps, TrackResult
from parttrack.tracker.search import merge_candidates, row_box, search_windows, window_candidates
from parttrack.tracker.smoothing import OneEuroFilter
from parttrack.tracker.tap import find_person, heads_in, refine_loose_box

if TYPE_CHECKING:
    from parttrack.models import Weights


class PartTracker:
    """Tracks one subject and its parts ([0053]-[0062]).

    Args:
        weights: both models and their config (``parttrack.models.load_weights``), or a
            weights file's exported graphs (:class:`~parttrack.runtime.cache.CachedGraphs`,
            onnxruntime without torch).
        config: tracker knobs (default :class:`TrackerConfig`).
        device: ``"cpu"`` or ``"cuda"``.
        backend: ``"torch"`` or ``"onnxruntime"`` (the same frame graph either way,
            :mod:`parttrack.runtime`; None: onnxruntime where installed for CachedGraphs
            and :meth:`from_weights`, torch for in-memory Weights), or a ready
            :class:`~parttrack.runtime.backend.Backend`.
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
        weights: Weights | CachedGraphs,
        config: TrackerConfig | None = None,
        device: str = "cpu",
        backend: str | Backend | None = None,
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
        if backend is None or isinstance(backend, str):
            backend = make_backend(weights, backend, num_threads, device)
        self.config = config
        self.model_config = weights.config
        self.parts = parts
        self.backend = backend
        self.timings: dict[str, float] = {"crop": 0.0, "networks": 0.0}
        T = self.model_config.template_size
        self._batch = CropBatch(backend, self.model_config, config.size_gain)  # the search batch, reused every frame
        self._template = np.empty((1, 3, T, T), np.float32)
        self._hann = hann_window(self.model_config.map_size)
        self._zero_feat: np.ndarray | None = None  # template features for detector-only calls
        self.reset()

    @classmethod
    def from_weights(
        cls, path: str | Path | None = None, config: TrackerConfig | None = None, device: str = "cpu", **kw: Any
    ) -> PartTracker:
        """Load a weights file (None = the shipped weights) and build a tracker.

        With the onnxruntime backend (``backend=None`` picks it where installed) the graphs
        come from the ONNX cache (:func:`~parttrack.runtime.cache.cached_graphs`, exported
        once per weights file) and torch is not imported.
        """
        name = kw.get("backend") or default_backend(device)
        if name == "onnxruntime":
            return cls(cached_graphs(path), config, device, **{**kw, "backend": name})
        from parttrack.models.io import load_weights

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
        c = self.config
        self._identity = IdentityTracker(
            c.lost_threshold, c.redetect_threshold, c.appearance_threshold, c.switch_frames,
            refind_grace=c.refind_grace, size_rate=c.identity_size_rate,
        )
        self._camera = CameraMotion() if c.camera_motion else None
        self._memory = AppearanceMemory()
        self._filters = {
            p: OneEuroFilter(c.frame_rate, c.filter_min_cutoff, c.filter_beta) for p in self.parts
        } if c.point_filter else {}

    @property
    def box(self) -> BoxXYWH | None:
        """The subject box the next search is centred on (image pixels), or None before
        :meth:`initialize`."""
        return self._box

    @property
    def template_features(self) -> np.ndarray | None:
        """The subject's template features ``(1, C, t, t)`` (None before :meth:`initialize`)."""
        return self._template_feat

    def spawn(self) -> PartTracker:
        """A new tracker for another subject: this one's config, parts and backend (shared),
        its own state and buffers (:class:`~parttrack.tracker.multi.MultiTracker`)."""
        twin = copy.copy(self)
        twin._batch = CropBatch(self.backend, self.model_config, self.config.size_gain)
        twin._template = np.empty_like(self._template)
        twin.reset()
        return twin

    @property
    def lost(self) -> bool:
        """True while the subject is lost or absent (hidden, or out of view)."""
        return self._lost_frames > 0

    def initialize(
        self,
        frame: np.ndarray,
        box: BoxXYWH | None = None,
        frame_index: int = 0,
        keep_maps: bool | None = None,
        point: tuple[float, float] | None = None,
    ) -> TrackResult:
        """Start tracking a subject of ``frame`` ``(H, W, 3)`` uint8 BGR, given either its
        ``box`` ``(x, y, w, h)`` or a tapped ``point`` ``(x, y)`` on it (image pixels).

        A tap finds the person there (:meth:`propose_box`). A box that is loose around a
        person is refined to that person when ``config.refine_start`` is on. Encodes the
        template once and returns this frame's result (score 1, the parts decoded around it).

        Args:
            frame_index: index recorded in the result; later frames count on from it.
            keep_maps: override ``config.keep_maps`` for this frame.

        Raises:
            ValueError: neither or both of ``box`` and ``point``; a bad box or frame.
            ParttrackError: no person found at ``point``.
        """
        check_frame(frame)
        if (box is None) == (point is None):
            raise ValueError("give exactly one of box=(x, y, w, h) or point=(x, y)")
        box = self.propose_box(frame, point) if point is not None else check_box(box, "box")
        self.reset()
        self._frame = frame_index
        self._box = box
        m = self.model_config
        self._set_template(frame, box, rate=1.0)
        maps = self._maps(frame, CropWindow.around(box, m.search_size, m.search_factor, m.context))
        if self.config.refine_start and point is None:
            refined = refine_loose_box(heads_in(maps), box)
            if refined != box:
                box = self._box = refined
                self._set_template(frame, box, rate=1.0)
                maps = self._maps(frame, CropWindow.around(box, m.search_size, m.search_factor, m.context))
        self._box = box
        self._identity.reset(box)
        self._memory.reset(box_histogram(frame, box))
        if self._camera is not None:
            self._camera(frame)
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        return self._result(frame_index, box, 1.0, maps, keep)

    def propose_box(self, frame: np.ndarray, point: tuple[float, float]) -> BoxXYWH:
        """The body box of the person at a tapped ``point`` ``(x, y)`` image px of ``frame``:
        the part detector's heads around it at a few scales (one batched call), the head whose
        body contains the point (:func:`~parttrack.tracker.tap.choose_head`), the body sized
        from that head. Raises ParttrackError when no person is found there."""
        check_frame(frame)
        if self._zero_feat is None:
            T = self.model_config.template_size
            self._zero_feat = self.backend.encode_template(np.zeros((1, 3, T, T), np.float32))
        return check_box(find_person(frame, point, self.model_config.search_size,
                                     lambda windows: self._maps_batch(frame, windows, self._zero_feat)), "proposed box")

    def track(
        self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None
    ) -> TrackResult:
        """Track the subject into ``frame`` ``(H, W, 3)`` uint8 BGR: :meth:`plan`, one batched
        network call over the planned windows, :meth:`finish`.

        Args:
            frame_index: index recorded in the result (default: previous + 1).
            keep_maps: override ``config.keep_maps`` for this frame.

        Raises:
            RuntimeError: before :meth:`initialize` (or after :meth:`reset`).
        """
        plan = self.plan(frame, frame_index, keep_maps)
        if self.config.identity:
            return self.finish(frame, plan, self._maps_batch(frame, plan.windows, self._template_feat))
        return self.finish(frame, plan, [self._maps(frame, plan.windows[0])])

    def plan(
        self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None,
        shift: tuple[float, float] | None = None,
    ) -> FramePlan:
        """First half of :meth:`track`: the search windows this frame needs (one in the
        single-peak mode; in the identity mode the motion prediction, after the camera's
        ``shift``, and a ring of windows while the subject is lost). Must be followed by
        :meth:`finish` with the maps of exactly these windows
        (:class:`~parttrack.tracker.multi.MultiTracker` batches several subjects' windows).

        Args:
            shift: the camera's motion ``(dx, dy)`` px since the previous frame, estimated once
                for all subjects (None: this tracker's own estimate).

        Raises:
            RuntimeError: before :meth:`initialize`. ValueError: a bad frame.
        """
        if self._box is None or self._template_feat is None:
            raise RuntimeError("call initialize(frame, box) before track(frame)")
        check_frame(frame)
        self._frame = self._frame + 1 if frame_index is None else frame_index
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        H, W = frame.shape[:2]
        if not self.config.identity:
            return FramePlan(self._frame, keep, [self._search_window(W, H)])
        c, m = self.config, self.model_config
        if shift is None:
            shift = self._camera(frame) if self._camera is not None else (0.0, 0.0)
        predicted = self._identity.predict(shift)
        windows = search_windows(
            predicted, (W, H), m.search_size, m.search_factor, m.context, self._identity.unmatched,
            c.ring_after, max_windows=c.max_windows,
        )
        return FramePlan(self._frame, keep, windows)

    def finish(self, frame: np.ndarray, plan: FramePlan, maps: list[TrackMaps]) -> TrackResult:
        """Second half of :meth:`track`: the subject and its parts from the ``maps`` of
        ``plan``'s windows (in order)."""
        if self.config.identity:
            return self._finish_identity(frame, plan.keep, maps)
        H, W = frame.shape[:2]
        c, mp = self.config, maps[0]
        found = locate_subject(
            mp.subject_heatmap[0], mp.subject_size, mp.subject_offset, mp.window,
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
                dict.fromkeys(self.parts, "subject lost"), mp if plan.keep else None,
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
        return self._result(self._frame, self._box, score, mp, plan.keep)

    def _finish_identity(self, frame: np.ndarray, keep: bool, all_maps: list[TrackMaps]) -> TrackResult:
        """One frame with identity kept among candidates (issue 12; module docstring)."""
        c, m = self.config, self.model_config
        H, W = frame.shape[:2]
        cands, origin = merge_candidates([
            window_candidates(mp.subject_heatmap[0], mp.subject_size, mp.subject_offset, mp.window,
                              m.stride, c.max_candidates, c.candidate_threshold)
            for mp in all_maps
        ])
        inside = (cands[:, 0] >= 0) & (cands[:, 0] < W) & (cands[:, 1] >= 0) & (cands[:, 1] < H)
        cands, origin = cands[inside], origin[inside]  # padding outside the frame is nobody
        appearance = None
        if c.appearance_threshold > 0 and len(cands) and (self._identity.unmatched or len(cands) > 1):
            appearance = np.array([self._memory.match(box_histogram(frame, row_box(r))) for r in cands])
        d = self._identity.step(cands, appearance)
        if not d.present:
            self._lost_frames += 1
            for f in self._filters.values():
                f.reset()
            return TrackResult(
                self._frame, None, 0.0, True, dict.fromkeys(self.parts),
                dict.fromkeys(self.parts, "subject absent"), all_maps[0] if keep else None,
            )
        self._lost_frames = 0
        x, y, w, h = d.box
        w, h = max(w, c.min_size), max(h, c.min_size)
        cx, cy = min(max(x + d.box[2] / 2, 0.0), float(W)), min(max(y + d.box[3] / 2, 0.0), float(H))
        self._box = (cx - w / 2, cy - h / 2, w, h)
        if d.presence >= c.memory_update_score and not d.rival:
            self._memory.update(box_histogram(frame, self._box))
        self._maybe_update_template(frame, d.presence)
        return self._result(self._frame, self._box, d.presence, all_maps[int(origin[d.index])], keep)

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
        """The single-peak mode's search window (:func:`~parttrack.tracker.locate.widening_window`)."""
        return widening_window(self._box, self._velocity, self._lost_frames, self.model_config,
                               self.config.lost_growth, (W, H))

    def _maps(self, frame: np.ndarray, window: CropWindow) -> TrackMaps:
        """The search crop of ``window`` through the backend: this frame's maps."""
        return self._maps_batch(frame, [window], self._template_feat)[0]

    def _maps_batch(self, frame: np.ndarray, windows: list[CropWindow], feat: np.ndarray) -> list[TrackMaps]:
        """Search crops of ``windows`` through the backend in one batched call."""
        maps = self._batch.run(frame, windows, feat)
        self.timings = self._batch.timings
        return maps

    def _result(self, index: int, box: BoxXYWH, score: float, maps: TrackMaps, keep: bool) -> TrackResult:
        m = self.model_config
        parts, reasons = decode_parts(self.config.method, maps, m.parts, self.parts, box, m.stride,
                                      self.config.part_threshold, self._filters)
        return TrackResult(index, box, float(score), False, parts, reasons, maps if keep else None)


__all__ = ["PartTracker", "TrackerConfig"]
