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
from dataclasses import dataclass, field, replace

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
from parttrack.models.config import ModelConfig
from parttrack.training.config import SampleConfig
from parttrack.training.targets import make_targets

HELD_OUT = ("clip_f0249_n149",)  # Town Centre evaluation clip: never used for training


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


def keep_parts(seq: AnnotatedSequence, parts: tuple[str, ...]) -> AnnotatedSequence:
    """The same sequence annotating only ``parts`` (those it has): the other parts become not
    annotated, so their losses are masked out ([0028]) rather than learned."""
    frames = {
        k: FrameAnnotation(k, tuple(replace(x, parts={n: p for n, p in x.parts.items() if n in parts}) for x in fa.subjects))
        for k, fa in seq.frames.items()
    }
    info = replace(seq.info, part_names=tuple(n for n in seq.info.part_names if n in parts))
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
    present: bool = True,
) -> dict[str, np.ndarray]:
    """Template crop, search crop and targets of one (template frame, search frame, subject).

    ``present=False``: the search window does not hold the subject (:func:`absent_window`);
    its subject and S105 targets are zero.

    Returns the target dict of :func:`make_targets` plus ``search`` ``(3, S, S)``,
    ``template`` ``(3, T, T)`` (float32 BGR [0, 1]) and ``window`` ``(3,)``.
    """
    seq = src.sequence
    fa = seq.frames[search_frame]
    out = make_targets(fa, subject_id, search_window, flip, cfg, sc, seq.info.part_names, present)
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


def absent_window(fa: FrameAnnotation, subject_id: int, window: CropWindow, rng: np.random.Generator) -> CropWindow:
    """A search window of ``window``'s size that does not overlap the subject's box: centred
    on another person of ``fa`` when one lies far enough (the look-alike the tracker must not
    take), else moved away from the subject in a random direction by one window side."""
    subj = fa.get(subject_id)
    assert subj is not None
    x, y, w, h = subj.box
    half = window.side / 2.0

    def clear(cx: float, cy: float) -> bool:
        return cx + half < x or cx - half > x + w or cy + half < y or cy - half > y + h

    others = [s for s in fa.subjects if s.id != subject_id and clear(*box_center(s.box))]
    if others:
        cx, cy = box_center(others[int(rng.integers(len(others)))].box)
        return CropWindow(cx, cy, window.side, window.size)
    a = rng.uniform(0, 2 * np.pi)
    d = window.side + max(w, h) / 2.0
    return CropWindow(window.cx + d * np.cos(a), window.cy + d * np.sin(a), window.side, window.size)


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
