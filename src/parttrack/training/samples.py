"""Training samples: template and search crops and their targets in map coordinates.

One sample is a (template frame, search frame, subject) triple of an annotated video held in
memory (:class:`Source`). The crops use the geometry inference uses
(:class:`parttrack.crop.CropWindow`): the template window around the subject box
(``factor 1``), the search window ``search_factor`` times larger, centred on the (jittered)
subject box. Targets live on the ``search_size / stride`` square map: a crop pixel ``u`` is
map coordinate ``u / stride`` (the size ratio of [0041] inside the crop is ``stride``).

Targets (keys of the sample dict; ``K`` parts, ``h = w = map_size``):
    ``part_heatmap`` ``(K, h, w)`` peak-1 Gaussians of every person's visible parts,
    ``part_heatmap_mask`` ``(K, h, w)`` 0 where a part is not annotated or occluded,
    ``part_size`` / ``part_offset`` ``(2K, h, w)`` and ``part_reg_mask`` ``(K, h, w)``;
    ``subject_parts`` ``(K, h, w)`` formula (1) correct-answer map of the *tracked subject's*
    parts ([0037]-[0044]; all zero when absent or occluded), ``subject_parts_mask`` ``(K,)``;
    ``subject_heatmap`` ``(1, h, w)``, ``subject_size`` / ``subject_offset`` ``(2, h, w)``,
    ``subject_reg_mask`` ``(1, h, w)``; ``window`` ``(3,)`` float64 search window
    ``(cx, cy, side)`` (``cx`` negated for a flipped sample, so windows of one flipped stream
    stay consistent for the S110 re-sampling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from parttrack.crop import CropWindow, context_side
from parttrack.data.types import (
    AnnotatedSequence,
    BoxXYWH,
    FrameAnnotation,
    PartBox,
    Subject,
    box_center,
)
from parttrack.maps import correct_answer_map, gaussian_map, round_half_up
from parttrack.models.config import ModelConfig

HELD_OUT = ("clip_f0249_n149",)  # Town Centre evaluation clip: never used for training


@dataclass(frozen=True)
class SampleConfig:
    """How crops are jittered and targets drawn.

    Attributes:
        jitter_pos: search centre shift, uniform within +- this fraction of the template
            window side (image pixels).
        jitter_scale: search window side times ``exp(U(-j, j))``.
        template_jitter: the same two jitters, for the template window.
        color_jitter: per-channel gain ``1 +- c`` and brightness ``+- 40 c`` (0-255 scale).
        flip_prob: probability of a horizontal flip (of both crops; per stream for clips).
        max_gap: largest frame gap between template and search frame of a random pair.
        hard_fraction: share of random pairs drawn from hard cases (another person's part
            within ``hard_radius`` part heights of the subject's).
        hard_radius: see ``hard_fraction``; without parts, box centres within this many
            half box widths.
        distractor_shift: share of hard pairs whose search centre is pulled up to halfway
            towards the nearest other person.
        part_sigma, subject_sigma: Gaussian sigma (map elements) of the peak-1 heatmap targets.
        gaussian: formula (1) normalisation of the S105 correct-answer map, "pdf" (the
            patent's density) or "peak" (peak 1).
        sigma: formula (1) sigma in map elements (1 = the patent's standard normal).
        min_visibility: template frames need at least this subject visibility.
        clip_length: frames per sequential clip ([0030]); 0 = the whole track.
        clip_stride: video frames between consecutive clip frames.
        stream_jitter: search-centre jitter of clip frames (fraction of the template side),
            around the previous frame's box as at inference.
    """

    jitter_pos: float = 0.2
    jitter_scale: float = 0.15
    template_jitter: float = 0.03
    color_jitter: float = 0.15
    flip_prob: float = 0.5
    max_gap: int = 25
    hard_fraction: float = 0.5
    hard_radius: float = 2.0
    distractor_shift: float = 0.3
    part_sigma: float = 1.0
    subject_sigma: float = 1.0
    gaussian: Literal["pdf", "peak"] = "pdf"
    sigma: float = 1.0
    min_visibility: float = 0.5
    clip_length: int = 24
    clip_stride: int = 1
    stream_jitter: float = 0.05

    def __post_init__(self) -> None:
        for name in ("jitter_pos", "jitter_scale", "template_jitter", "color_jitter", "stream_jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("flip_prob", "hard_fraction", "distractor_shift", "min_visibility"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.part_sigma <= 0 or self.subject_sigma <= 0 or self.sigma <= 0:
            raise ValueError("part_sigma, subject_sigma and sigma must be positive")
        if self.max_gap < 0 or self.clip_length < 0 or self.clip_stride < 1:
            raise ValueError("max_gap and clip_length must be >= 0 and clip_stride >= 1")


@dataclass
class Source:
    """An annotated video held in memory for training.

    Attributes:
        name: for logs and the weights' record of data used.
        kind: "synthetic", "towncentre" or "mot" (mixing groups).
        sequence: annotations, in the pixels of ``frames``.
        frames: frame index -> ``(H, W, 3)`` uint8 BGR image.
    """

    name: str
    kind: str
    sequence: AnnotatedSequence
    frames: Mapping[int, np.ndarray]
    tracks: dict[int, list[int]] = field(init=False)  # subject id -> its frames, in order

    def __post_init__(self) -> None:
        if any(h in self.name for h in HELD_OUT):
            raise ValueError(f"{self.name} is held out of all training (evaluation only)")
        self.tracks = {}
        for k in sorted(self.frames):
            fa = self.sequence.frames.get(k)
            for s in fa.subjects if fa is not None else ():
                self.tracks.setdefault(s.id, []).append(k)

    def subject(self, frame: int, subject_id: int) -> Subject | None:
        fa = self.sequence.frames.get(frame)
        return None if fa is None else fa.get(subject_id)


def scale_sequence(seq: AnnotatedSequence, s: float) -> AnnotatedSequence:
    """The same annotations for frames resized by ``s`` (boxes and parts times ``s``)."""

    def sb(b: BoxXYWH) -> BoxXYWH:
        return b[0] * s, b[1] * s, b[2] * s, b[3] * s

    def sp(p: PartBox | None) -> PartBox | None:
        return None if p is None else PartBox(sb(p.box), p.visible)

    frames = {
        k: FrameAnnotation(
            k,
            tuple(Subject(x.id, sb(x.box), x.visibility, {n: sp(p) for n, p in x.parts.items()}) for x in fa.subjects),
        )
        for k, fa in seq.frames.items()
    }
    i = seq.info
    info = type(i)(i.name, round(i.width * s), round(i.height * s), i.fps, i.num_frames, i.source, i.part_names)
    return AnnotatedSequence(info, frames, seq.subject_id)


def crop_image(frame: np.ndarray, window: CropWindow, flip: bool) -> np.ndarray:
    """Warp ``frame`` to the window's crop, flipped horizontally if asked: ``(size, size, 3)``."""
    crop = window.warp(frame)
    return np.ascontiguousarray(crop[:, ::-1]) if flip else crop


def to_chw(crop: np.ndarray, rng: np.random.Generator | None = None, color: float = 0.0) -> np.ndarray:
    """uint8 BGR ``(S, S, 3)`` -> float32 ``(3, S, S)`` in [0, 1], with optional colour jitter."""
    x = crop.astype(np.float32).transpose(2, 0, 1)
    if rng is not None and color > 0:
        gain = rng.uniform(1 - color, 1 + color, size=(3, 1, 1)).astype(np.float32)
        x = x * gain + np.float32(rng.uniform(-40 * color, 40 * color))
    return np.clip(x * np.float32(1 / 255), 0.0, 1.0)


def jittered_window(
    box: BoxXYWH, size: int, factor: float, context: float, pos: float, scale: float, rng: np.random.Generator
) -> CropWindow:
    """``CropWindow.around(box, size, factor, context)`` shifted by ``U(-pos, pos)`` template
    sides and scaled by ``exp(U(-scale, scale))``."""
    w = CropWindow.around(box, size, factor, context)
    side_t = context_side(box, context)
    dx, dy = rng.uniform(-pos, pos, size=2) * side_t
    return CropWindow(w.cx + dx, w.cy + dy, w.side * math.exp(rng.uniform(-scale, scale)), size)


class _Points:
    """Image points -> (flipped) crop pixels -> map coordinates."""

    def __init__(self, window: CropWindow, flip: bool, stride: int) -> None:
        self.window, self.flip, self.stride = window, flip, stride

    def map_xy(self, p: tuple[float, float]) -> tuple[float, float]:
        u, v = self.window.to_crop(np.array(p, dtype=np.float64))
        if self.flip:
            u = self.window.size - 1 - u
        return float(u) / self.stride, float(v) / self.stride

    def map_wh(self, box: BoxXYWH) -> tuple[float, float]:
        s = self.window.scale / self.stride
        return box[2] * s, box[3] * s

    def map_rect(self, box: BoxXYWH, n: int) -> tuple[int, int, int, int]:
        """Elements ``(x0, y0, x1, y1)`` (exclusive ends, clipped to the map) covering ``box``."""
        (ax, ay), (bx, by) = self.map_xy((box[0], box[1])), self.map_xy((box[0] + box[2], box[1] + box[3]))
        x0, x1 = sorted((ax, bx))
        y0, y1 = sorted((ay, by))
        clip = lambda v: min(max(v, 0), n)  # noqa: E731
        return clip(math.floor(x0)), clip(math.floor(y0)), clip(math.ceil(x1) + 1), clip(math.ceil(y1) + 1)


def _draw_center(
    heat: np.ndarray, size: np.ndarray, off: np.ndarray, reg: np.ndarray, c: tuple[float, float],
    wh: tuple[float, float], sigma: float,
) -> None:
    """Max-merge a peak-1 Gaussian at ``round(c)`` into ``heat (h, w)``; set size/offset
    ``(2, h, w)`` and ``reg (h, w)`` at the peak when it lies on the map."""
    n = heat.shape[-1]
    mx, my = round_half_up(c[0]), round_half_up(c[1])
    np.maximum(heat, gaussian_map((mx, my), (n, n), sigma, "peak"), out=heat)
    if 0 <= mx < n and 0 <= my < n:
        size[:, my, mx] = wh
        off[:, my, mx] = (c[0] - mx, c[1] - my)
        reg[my, mx] = 1.0


def make_targets(
    fa: FrameAnnotation,
    subject_id: int,
    window: CropWindow,
    flip: bool,
    cfg: ModelConfig,
    sc: SampleConfig,
    annotated: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """All targets of one search crop (see the module docstring for keys and shapes).

    Args:
        fa: the search frame's annotations (pixels of the frame the crop was cut from).
        subject_id: the tracked subject (must be in ``fa``).
        window: the search window; flip: whether the crop was flipped.
        annotated: the parts the data set annotates (``SequenceInfo.part_names``); other
            parts are masked out everywhere ([0028]).
    """
    K, n, stride = cfg.num_parts, cfg.map_size, cfg.stride
    pts = _Points(window, flip, stride)
    f32 = np.float32
    out = {
        "part_heatmap": np.zeros((K, n, n), f32),
        "part_heatmap_mask": np.ones((K, n, n), f32),
        "part_size": np.zeros((2 * K, n, n), f32),
        "part_offset": np.zeros((2 * K, n, n), f32),
        "part_reg_mask": np.zeros((K, n, n), f32),
        "subject_heatmap": np.zeros((1, n, n), f32),
        "subject_size": np.zeros((2, n, n), f32),
        "subject_offset": np.zeros((2, n, n), f32),
        "subject_reg_mask": np.zeros((1, n, n), f32),
        "subject_parts_mask": np.zeros((K,), f32),
    }
    half = window.side / 2.0
    near = [
        s for s in fa.subjects
        if s.box[0] < window.cx + half and s.box[0] + s.box[2] > window.cx - half
        and s.box[1] < window.cy + half and s.box[1] + s.box[3] > window.cy - half
    ]
    for k, name in enumerate(cfg.parts):
        if name not in annotated:
            out["part_heatmap_mask"][k] = 0.0
            continue
        for s in near:
            if name not in s.parts:  # not annotated for this person: mask the person out
                x0, y0, x1, y1 = pts.map_rect(s.box, n)
                out["part_heatmap_mask"][k, y0:y1, x0:x1] = 0.0
                continue
            p = s.parts[name]
            if p is None:
                continue
            if not p.visible:  # occluded: neither a positive nor background
                x0, y0, x1, y1 = pts.map_rect(p.box, n)
                out["part_heatmap_mask"][k, y0:y1, x0:x1] = 0.0
                continue
            _draw_center(
                out["part_heatmap"][k], out["part_size"][2 * k : 2 * k + 2], out["part_offset"][2 * k : 2 * k + 2],
                out["part_reg_mask"][k], pts.map_xy(box_center(p.box)), pts.map_wh(p.box), sc.part_sigma,
            )
    subj = fa.get(subject_id)
    if subj is None:
        raise ValueError(f"subject {subject_id} is not annotated in frame {fa.frame}")
    _draw_center(
        out["subject_heatmap"][0], out["subject_size"], out["subject_offset"], out["subject_reg_mask"][0],
        pts.map_xy(box_center(subj.box)), pts.map_wh(subj.box), sc.subject_sigma,
    )
    # S105 correct answer: the tracked subject's own parts only, formula (1)
    centers: list[tuple[float, float] | None] = []
    for k, name in enumerate(cfg.parts):
        p = subj.parts.get(name)
        if name in annotated and name in subj.parts:
            out["subject_parts_mask"][k] = 1.0
        if p is None or not p.visible:
            centers.append(None)
        else:
            mx, my = pts.map_xy(box_center(p.box))
            centers.append((mx * stride, my * stride))
    out["subject_parts"] = correct_answer_map(
        centers, (cfg.search_size, cfg.search_size), (n, n), sc.sigma, sc.gaussian
    )
    return out


def make_sample(
    src: Source,
    subject_id: int,
    template_frame: int,
    search_frame: int,
    search_window: CropWindow,
    flip: bool,
    cfg: ModelConfig,
    sc: SampleConfig,
    rng: np.random.Generator,
    with_template: bool = True,
) -> dict[str, np.ndarray]:
    """Template crop, search crop and targets of one (template frame, search frame, subject).

    Returns the target dict of :func:`make_targets` plus ``search`` ``(3, S, S)``,
    ``template`` ``(3, T, T)`` (float32 BGR [0, 1]) and ``window`` ``(3,)``.
    """
    seq = src.sequence
    fa = seq.frames[search_frame]
    out = make_targets(fa, subject_id, search_window, flip, cfg, sc, seq.info.part_names)
    out["search"] = to_chw(crop_image(src.frames[search_frame], search_window, flip), rng, sc.color_jitter)
    if with_template:
        tb = src.subject(template_frame, subject_id)
        if tb is None:
            raise ValueError(f"subject {subject_id} is not annotated in template frame {template_frame}")
        tw = jittered_window(tb.box, cfg.template_size, 1.0, cfg.context, sc.template_jitter, sc.template_jitter, rng)
        out["template"] = to_chw(crop_image(src.frames[template_frame], tw, flip), rng, sc.color_jitter)
    w = search_window
    out["window"] = np.array([-w.cx if flip else w.cx, w.cy, w.side], dtype=np.float64)
    return out


def is_hard(fa: FrameAnnotation, subject: Subject, radius: float) -> Subject | None:
    """The nearest other person if they are close enough to be confused with ``subject``:
    another person's part within ``radius`` part heights of the subject's same part, or
    (without parts) box centres within ``radius`` half box widths. None if nobody is."""
    best, best_d = None, math.inf
    for o in fa.subjects:
        if o.id == subject.id:
            continue
        d = math.inf
        for name, p in subject.parts.items():
            q = o.parts.get(name)
            if p is not None and q is not None:
                (ax, ay), (bx, by) = box_center(p.box), box_center(q.box)
                d = min(d, math.hypot(ax - bx, ay - by) / (radius * p.box[3]))
        if not subject.parts:  # no parts: half the body width stands in for a head height
            (ax, ay), (bx, by) = box_center(subject.box), box_center(o.box)
            d = math.hypot(ax - bx, ay - by) / (radius * 0.5 * subject.box[2])
        if d <= 1.0 and d < best_d:
            best, best_d = o, d
    return best


def resize_frames(frames: Mapping[int, np.ndarray], s: float) -> dict[int, np.ndarray]:
    """Frames resized by ``s`` (area filter); unchanged when ``s == 1``."""
    if s == 1.0:
        return dict(frames)
    out = {}
    for k, f in frames.items():
        size = (max(1, round(f.shape[1] * s)), max(1, round(f.shape[0] * s)))
        out[k] = cv2.resize(f, size, interpolation=cv2.INTER_AREA)
    return out
