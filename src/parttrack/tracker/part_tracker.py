"""The inference apparatus: follow one subject and pinpoint its parts every frame.

Per frame ([0053]-[0062], claims 5, 6, 8): a search crop around the subject's last position
goes through the part detector (part likelihood, [0056]-[0057]) and the Siamese tracker
(subject likelihood and part region, [0058]); the subject is located on its heatmap with the
usual Siamese priors (cosine window, size-change penalty, smoothed size), and each part is
the peak of likelihood x region ([0059]-[0061]), mapped back to the image.

Example::

    tracker = PartTracker.from_weights(parts=("head",))
    first = tracker.initialize(frame0, box=(850, 300, 60, 170))
    result = tracker.track(frame1)        # TrackResult: box, score, lost, parts["head"]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH, check_box
from parttrack.device import torch_device
from parttrack.errors import ConfigError
from parttrack.models import Weights, load_weights
from parttrack.tracker.decoders import METHODS, PART_PRIORS, decode_part
from parttrack.tracker.result import PartResult, TrackResult


@dataclass(frozen=True)
class TrackerConfig:
    """Every knob of :class:`PartTracker` (YAML-loadable with ``parttrack.config.load_yaml``).

    Attributes:
        method: part decoder, one of ``parttrack.tracker.decoders.METHODS`` ("product" = the patent).
        parts: parts to report (None = all parts of the weights, [0062]).
        keep_maps: store each frame's maps in ``TrackResult.maps``.
        part_threshold: a part whose decoder score is below this is reported as None.
        lost_threshold: subject score below this marks the subject lost.
        redetect_threshold: a lost subject is found again at a score at or above this.
        window_influence: weight of the cosine (Hann) window on the subject heatmap, 0-1.
        scale_penalty: ``k`` of the size/aspect change penalty ``exp(-k (r s - 1))``.
        size_lr: rate of the smoothed size update (times penalty x score).
        lost_growth: search window growth per lost frame (up to a whole-frame crop).
        motion_lr: rate of the constant-velocity estimate (EMA of the centre displacement,
            image px/frame); the next search crop, and so its cosine window, is centred on the
            predicted position. 0 = no motion model. Separates look-alikes that cross.
        min_size: smallest subject width/height, image pixels.
        template_update_threshold: refresh the template on frames at or above this subject
            score (None = never, the default).
        template_update_interval: frames between template refreshes.
        template_update_rate: blend weight of the new template features, 0-1.
    """

    method: str = "product"
    parts: tuple[str, ...] | None = None
    keep_maps: bool = False
    part_threshold: float = 0.1
    lost_threshold: float = 0.2
    redetect_threshold: float = 0.4
    window_influence: float = 0.3
    scale_penalty: float = 0.1
    size_lr: float = 0.4
    lost_growth: float = 1.5
    motion_lr: float = 0.3
    min_size: float = 4.0
    template_update_threshold: float | None = None
    template_update_interval: int = 10
    template_update_rate: float = 0.3

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        for name in ("part_threshold", "lost_threshold", "redetect_threshold", "window_influence",
                     "template_update_rate", "motion_lr"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.redetect_threshold < self.lost_threshold:
            raise ValueError("redetect_threshold must be >= lost_threshold")
        if self.lost_growth < 1.0:
            raise ValueError(f"lost_growth must be >= 1, got {self.lost_growth}")
        if self.scale_penalty < 0 or self.size_lr < 0 or self.min_size <= 0:
            raise ValueError("scale_penalty and size_lr must be >= 0 and min_size > 0")
        if self.template_update_interval < 1:
            raise ValueError(f"template_update_interval must be >= 1, got {self.template_update_interval}")
        if self.parts is not None and not self.parts:
            raise ValueError("parts must be None (all) or a non-empty list")


def _sz(w: np.ndarray | float, h: np.ndarray | float) -> np.ndarray | float:
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


def _change(r: np.ndarray) -> np.ndarray:
    return np.maximum(r, 1.0 / r)


class PartTracker:
    """Tracks one subject and its parts ([0053]-[0062]).

    Args:
        weights: both models and their config (``parttrack.models.load_weights``).
        config: tracker knobs (default :class:`TrackerConfig`).
        device: torch device, e.g. ``"cpu"`` or ``"cuda"``.
        backend: ``"torch"`` or ``"onnxruntime"`` (same results, parttrack.runtime.backend).
        num_threads: intra-op CPU threads of the backend (None: backend default).
        **overrides: TrackerConfig fields replacing those of ``config`` (e.g.
            ``method="top-down"``, ``keep_maps=True``, ``parts=("head",)``).
    """

    def __init__(
        self,
        weights: Weights,
        config: TrackerConfig | None = None,
        device: str | torch.device = "cpu",
        backend: str = "torch",
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
        dev = torch_device(device)
        self.config = config
        self.parts = parts
        self.cfg = weights.config
        self.device = dev
        self.detector = weights.detector.eval().to(dev)
        self.tracker = weights.tracker.eval().to(dev)
        # network backend (parttrack.runtime.backend): "torch" runs the modules above, "onnxruntime"
        # runs sessions exported from the same weights (cached by their hash)
        self.backend = backend
        self._ort = None
        if backend == "onnxruntime":
            from parttrack.runtime.backend import OrtBackend

            self._ort = OrtBackend.from_weights(weights, num_threads, str(dev))
        elif backend != "torch":
            raise ValueError(f"backend must be 'torch' or 'onnxruntime', got {backend!r}")
        elif num_threads is not None:
            torch.set_num_threads(num_threads)
        S, n = self.cfg.search_size, self.cfg.map_size
        self._search = np.empty((1, 3, S, S), np.float32)  # reused every frame
        self._template = np.empty((1, 3, self.cfg.template_size, self.cfg.template_size), np.float32)
        self._hann = np.outer(np.hanning(n + 1)[:n], np.hanning(n + 1)[:n]).astype(np.float32)
        self._template_feat: torch.Tensor | None = None
        self._box: BoxXYWH | None = None
        self._velocity = np.zeros(2)  # image px / frame (motion_lr > 0)
        self._lost_frames = 0
        self._frame = -1
        self._since_update = 0

    @classmethod
    def from_weights(
        cls, path: str | Path | None = None, config: TrackerConfig | None = None, device: str = "cpu", **kw: Any
    ) -> PartTracker:
        """Load a weights file (None = the shipped weights) and build a tracker."""
        return cls(load_weights(path), config, device, **kw)

    # --- the network call (one place: an onnxruntime backend can replace it) -------------
    def _encode_template(self, template_batch: np.ndarray) -> torch.Tensor:
        if self._ort is not None:
            return self._ort.encode_template(template_batch)
        with torch.inference_mode():
            return self.tracker.encode_template(torch.from_numpy(template_batch).to(self.device))

    def _run_networks(self, search_batch: np.ndarray) -> dict[str, np.ndarray]:
        """Both models on search crops ``(B, 3, S, S)`` float32 BGR [0, 1] against the template
        held since :meth:`initialize`. Returns the models' output dicts merged, as numpy with
        the batch dimension ([0056]-[0058])."""
        assert self._template_feat is not None
        if self._ort is not None:
            from parttrack.runtime.backend import MODEL_OUTPUTS

            feat = np.broadcast_to(self._template_feat, (search_batch.shape[0], *self._template_feat.shape[1:]))
            return self._ort.run(feat, search_batch, MODEL_OUTPUTS)
        x = torch.from_numpy(search_batch).to(self.device)
        with torch.inference_mode():
            out = dict(self.detector(x))
            feat = self._template_feat.expand(x.shape[0], -1, -1, -1)
            out.update(self.tracker.track(feat, x))
        return {k: v.float().cpu().numpy() for k, v in out.items()}

    # --- public API -----------------------------------------------------------------------
    @property
    def box(self) -> BoxXYWH | None:
        """The subject box the next search is centred on (image pixels), or None before
        :meth:`initialize`."""
        return self._box

    @property
    def lost(self) -> bool:
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
        self._box = box
        self._velocity = np.zeros(2)
        self._lost_frames = 0
        self._since_update = 0
        self._frame = frame_index
        self._set_template(frame, box, rate=1.0)
        window = CropWindow.around(box, self.cfg.search_size, self.cfg.search_factor, self.cfg.context)
        crop, maps = self._maps(frame, window)
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        return self._result(frame_index, box, 1.0, window, crop, maps, keep)

    def track(
        self, frame: np.ndarray, frame_index: int | None = None, keep_maps: bool | None = None
    ) -> TrackResult:
        """Track the subject into ``frame`` ``(H, W, 3)`` uint8 BGR.

        Args:
            frame_index: index recorded in the result (default: previous + 1).
            keep_maps: override ``config.keep_maps`` for this frame.
        """
        if self._box is None or self._template_feat is None:
            raise RuntimeError("call initialize(frame, box) before track(frame)")
        _check_frame(frame)
        self._frame = self._frame + 1 if frame_index is None else frame_index
        keep = self.config.keep_maps if keep_maps is None else keep_maps
        H, W = frame.shape[:2]
        window = self._search_window(W, H)
        crop, maps = self._maps(frame, window)
        box, score, lr = self._locate(maps, window)
        c = self.config
        threshold = c.redetect_threshold if self._lost_frames else c.lost_threshold
        if score < threshold:
            self._lost_frames += 1
            self._velocity[:] = 0.0
            return self._lost_result(score, window, crop, maps, keep)
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
        return self._result(self._frame, self._box, score, window, crop, maps, keep)

    # --- steps ----------------------------------------------------------------------------
    def _set_template(self, frame: np.ndarray, box: BoxXYWH, rate: float) -> None:
        window = CropWindow.around(box, self.cfg.template_size, 1.0, self.cfg.context)
        np.multiply(window.warp(frame).transpose(2, 0, 1), np.float32(1 / 255), out=self._template[0])
        feat = self._encode_template(self._template)
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
        cfg = self.cfg
        factor = cfg.search_factor * self.config.lost_growth ** min(self._lost_frames, 100)  # no overflow
        x, y, w, h = self._box
        vx, vy = self._velocity  # zero unless the motion model is on
        window = CropWindow.around((x + vx, y + vy, w, h), cfg.search_size, factor, cfg.context)
        full = float(max(W, H))
        if self._lost_frames and window.side >= full:
            return CropWindow(W / 2.0, H / 2.0, full, cfg.search_size)
        return window

    def _maps(self, frame: np.ndarray, window: CropWindow) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        crop = window.warp(frame)  # one cv2.warpAffine, padded with the frame's mean colour
        np.multiply(crop.transpose(2, 0, 1), np.float32(1 / 255), out=self._search[0])
        out = self._run_networks(self._search)
        return crop, {k: v[0] for k, v in out.items()}

    def _locate(self, maps: dict[str, np.ndarray], window: CropWindow) -> tuple[BoxXYWH, float, float]:
        """Subject box (image px), raw score and size-update rate from the subject maps."""
        c, stride = self.config, self.cfg.stride
        heat = maps["subject_heatmap"][0]
        pw, ph = self._box[2], self._box[3]
        # candidate sizes in image pixels at every element
        ws = np.maximum(maps["subject_size"][0] * stride / window.scale, 1e-3)
        hs = np.maximum(maps["subject_size"][1] * stride / window.scale, 1e-3)
        s_c = _change(_sz(ws, hs) / _sz(pw, ph))
        r_c = _change((pw / ph) / (ws / hs))
        penalty = np.exp(-(r_c * s_c - 1.0) * c.scale_penalty)
        pscore = heat * penalty
        if self._lost_frames == 0 and c.window_influence > 0:
            pscore = pscore * (1 - c.window_influence) + self._hann * c.window_influence
        y, x = np.unravel_index(int(np.argmax(pscore)), pscore.shape)
        score = float(heat[y, x])
        off = maps["subject_offset"][:, y, x]
        cx, cy = window.to_image(np.array([x + off[0], y + off[1]]) * stride)
        w, h = float(ws[y, x]), float(hs[y, x])
        lr = float(penalty[y, x] * score * c.size_lr)
        return (float(cx) - w / 2, float(cy) - h / 2, w, h), score, min(lr, 1.0)

    def _result(
        self,
        index: int,
        box: BoxXYWH,
        score: float,
        window: CropWindow,
        crop: np.ndarray,
        maps: dict[str, np.ndarray],
        keep: bool,
    ) -> TrackResult:
        stride = self.cfg.stride
        cb = window.box_to_crop(box)
        box_map = (cb[0] / stride, cb[1] / stride, cb[2] / stride, cb[3] / stride)
        parts: dict[str, PartResult | None] = {}
        reasons: dict[str, str] = {}
        thr = self.config.part_threshold
        for name in self.parts:
            d = decode_part(self.config.method, maps, self.cfg.parts.index(name), name, box_map)
            if d.score < thr:
                parts[name] = None
                reasons[name] = f"score {d.score:.2f} < {thr:.2f}"
                continue
            px, py = window.to_image(np.array(d.point) * stride)
            pbox = None if d.box is None else window.box_to_image(tuple(v * stride for v in d.box))
            parts[name] = PartResult((float(px), float(py)), pbox, d.score)
        return TrackResult(
            index, box, float(score), False, parts, reasons, self._keep(window, crop, maps) if keep else None
        )

    def _lost_result(
        self, score: float, window: CropWindow, crop: np.ndarray, maps: dict[str, np.ndarray], keep: bool
    ) -> TrackResult:
        return TrackResult(
            self._frame,
            None,
            float(score),
            True,
            {p: None for p in self.parts},
            {p: "subject lost" for p in self.parts},
            self._keep(window, crop, maps) if keep else None,
        )

    def _keep(self, window: CropWindow, crop: np.ndarray, maps: dict[str, np.ndarray]) -> dict[str, Any]:
        kept: dict[str, Any] = {"search": crop, "window": window, "parts": self.cfg.parts, "stride": self.cfg.stride}
        kept.update(maps)
        kept["product"] = maps["part_heatmap"] * maps["part_region"]
        return kept


def _check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        got = getattr(frame, "shape", type(frame).__name__)
        raise ValueError(f"frame must be an (H, W, 3) uint8 BGR image, got {got}")


__all__ = ["PartTracker", "TrackerConfig"]
