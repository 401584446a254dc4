"""Training data: sources held in memory, sample drawing, and the batch stream.

A batch mixes random template/search pairs (biased towards hard cases: another person's
part close to the subject's) with items of sequential clips, one frame per step per clip, in
order from the clip's head frame ([0030]); clip items carry a stream key and step so the
tracker's storage unit 170 can hold their past region maps (S108-S110). Batches are made
in the iterable itself ([0050], mini-batches).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from parttrack.crop import CropWindow
from parttrack.data.types import box_center
from parttrack.errors import ConfigError
from parttrack.models.config import ModelConfig
from parttrack.training.config import DataConfig, SampleConfig
from parttrack.training.samples import (
    HELD_OUT,
    Source,
    absent_window,
    is_hard,
    jittered_window,
    keep_parts,
    make_sample,
    scale_sequence,
)


def check_not_held_out(path: str | Path) -> None:
    """Raise ConfigError if ``path`` is the held-out evaluation clip."""
    if any(h in Path(path).name for h in HELD_OUT):
        raise ConfigError("this Town Centre clip is held out of all training (evaluation only)", path)


def _video_source(path: Path, kind: str, scale: float, parts: tuple[str, ...] | None = None) -> Source:
    from parttrack.data.load import find_video, load_sequence
    from parttrack.data.video import read_frames

    check_not_held_out(path)
    seq = load_sequence(path)
    check_not_held_out(seq.info.name)
    video = find_video(seq)
    check_not_held_out(video)
    if parts is not None:
        seq = keep_parts(seq, parts)
    frames = read_frames(video, [k for k, fa in seq.frames.items() if fa.subjects], scale=scale)
    return Source(seq.info.name, kind, scale_sequence(seq, scale) if scale != 1.0 else seq, frames)


def load_sources(dc: DataConfig, base: Path, need_parts: bool = False) -> list[Source]:
    """Load every source of ``dc`` into memory.

    Args:
        base: folder relative paths are resolved against (the config file's folder).
        need_parts: skip MOT and labelled sources whose data set annotates no parts (the
            detector stage).

    Raises:
        ConfigError: the held-out clip is listed, or no source is left.
    """
    sources: list[Source] = []
    for p in dc.towncentre:
        sources.append(_video_source(base / p, "towncentre", dc.towncentre_scale))
    for kind, paths, scale, parts in (("mot", dc.mot, dc.mot_scale, None),
                                      ("labelled", dc.labelled, dc.labelled_scale, dc.labelled_parts)):
        for p in paths:
            src = _video_source(base / p, kind, scale, parts)
            if not (need_parts and not src.sequence.info.part_names):
                sources.append(src)
    if dc.synthetic_clips:
        from parttrack.synth.generator import training_clips

        sources += _generated("synthetic", training_clips, dc.synthetic_clips, dc.synthetic_seed, dc.synthetic_overrides)
    if dc.composite_clips:
        from parttrack.synth.composite_suites import composite_training_clips

        sources += _generated("composite", composite_training_clips, dc.composite_clips, dc.synthetic_seed,
                              dc.composite_overrides)
    if not sources:
        raise ConfigError(
            "the config lists no training data (data.synthetic_clips / towncentre / mot / composite_clips / labelled)"
        )
    return sources


def _generated(kind: str, make: Any, count: int, seed: int, overrides: dict[str, Any]) -> list[Source]:
    """Sources of ``count`` generated clips (``make(count, seed=..., **overrides)``: synthetic
    or composite); ConfigError naming ``data.<kind>_overrides`` for a bad override."""
    try:
        clips = list(make(count, seed=seed, **overrides))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"data.{kind}_overrides: {e}") from e
    return [Source(c.sequence.info.name, kind, c.sequence, dict(enumerate(c.frames))) for c in clips]


@dataclass(frozen=True)
class _Entry:
    source: int
    frame: int
    subject: int
    neighbour: int | None  # the nearest other person when this is a hard case


class _Stream:
    """One sequential clip: a subject's frames in order from its head frame."""

    def __init__(self, source: int, subject: int, frames: list[int], template: int, flip: bool) -> None:
        self.source, self.subject, self.frames, self.template, self.flip = source, subject, frames, template, flip
        self.step = 0


class Sampler:
    """Draws training samples from in-memory sources.

    Args:
        sources: the data; mix: sampling weight per source kind.
        cfg: model geometry; sc: jitter and target settings.
        with_template: also cut template crops (the tracker stage).
    """

    def __init__(
        self, sources: list[Source], mix: dict[str, float], cfg: ModelConfig, sc: SampleConfig, with_template: bool
    ) -> None:
        self.sources, self.cfg, self.sc, self.with_template = sources, cfg, sc, with_template
        self.entries: list[list[_Entry]] = []
        self.hard: list[list[_Entry]] = []
        for i, src in enumerate(sources):
            ent, hard = [], []
            for k in sorted(src.frames):
                fa = src.sequence.frames.get(k)
                for s in fa.subjects if fa is not None else ():
                    if s.visibility <= 0.0:
                        continue
                    o = is_hard(fa, s, sc.hard_radius)
                    e = _Entry(i, k, s.id, None if o is None else o.id)
                    ent.append(e)
                    if o is not None:
                        hard.append(e)
            self.entries.append(ent)
            self.hard.append(hard)
        w = np.array([mix.get(s.kind, 0.0) for s in sources], dtype=np.float64)
        n = np.array([len(e) for e in self.entries], dtype=np.float64)
        # a group's weight is shared by its sources in proportion to their samples
        group = {k: n[[s.kind == k for s in sources]].sum() for k in {s.kind for s in sources}}
        p = np.array([w[i] * n[i] / max(group[s.kind], 1.0) for i, s in enumerate(sources)])
        if p.sum() <= 0:
            raise ConfigError("no training samples: every source is empty or has mixing weight 0")
        self.p = p / p.sum()
        self.hard_subjects = [sorted({e.subject for e in h}) for h in self.hard]

    def stats(self) -> list[dict[str, object]]:
        """Per source: name, kind, frames, samples, hard samples, sampling probability."""
        return [
            {"name": s.name, "kind": s.kind, "frames": len(s.frames), "samples": len(self.entries[i]),
             "hard": len(self.hard[i]), "p": round(float(self.p[i]), 4)}
            for i, s in enumerate(self.sources)
        ]

    def _template_frame(self, src: Source, subject: int, near: int, rng: np.random.Generator) -> int:
        track = src.tracks[subject]
        gap = self.sc.max_gap
        cands = [k for k in track if abs(k - near) <= gap and src.subject(k, subject).visibility >= self.sc.min_visibility]
        if not cands:
            cands = [k for k in track if abs(k - near) <= gap] or [near]
        return int(cands[rng.integers(len(cands))])

    def pair(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """A random (template, search) pair, a hard case with probability ``hard_fraction``."""
        si = int(rng.choice(len(self.sources), p=self.p))
        src, sc, cfg = self.sources[si], self.sc, self.cfg
        pool = self.hard[si] if self.hard[si] and rng.random() < sc.hard_fraction else self.entries[si]
        e = pool[rng.integers(len(pool))]
        subj = src.subject(e.frame, e.subject)
        window = jittered_window(subj.box, cfg.search_size, cfg.search_factor, cfg.context, sc.jitter_pos, sc.jitter_scale, rng)
        if e.neighbour is not None and rng.random() < sc.distractor_shift:
            (ax, ay), (bx, by) = box_center(subj.box), box_center(src.subject(e.frame, e.neighbour).box)
            t = rng.uniform(0.0, 0.5)
            window = CropWindow(window.cx + t * (bx - ax), window.cy + t * (by - ay), window.side, window.size)
        present = True
        if self.with_template and rng.random() < sc.absent_fraction:
            window, present = absent_window(src.sequence.frames[e.frame], e.subject, window, rng), False
        tf = self._template_frame(src, e.subject, e.frame, rng) if self.with_template else e.frame
        flip = bool(rng.random() < sc.flip_prob)
        return make_sample(src, e.subject, tf, e.frame, window, flip, cfg, sc, rng, self.with_template, present)

    def new_stream(self, rng: np.random.Generator) -> _Stream:
        """A sequential clip: a subject (a hard one with probability ``hard_fraction``) from
        its head frame on, ``clip_length`` frames ``clip_stride`` apart ([0030])."""
        sc = self.sc
        for _ in range(100):
            si = int(rng.choice(len(self.sources), p=self.p))
            src = self.sources[si]
            ids = self.hard_subjects[si] if self.hard_subjects[si] and rng.random() < sc.hard_fraction else list(src.tracks)
            sid = int(ids[rng.integers(len(ids))])
            frames = src.tracks[sid][:: sc.clip_stride]
            if sc.clip_length:
                frames = frames[: sc.clip_length]
            if len(frames) >= 2:
                tf = next((k for k in frames if src.subject(k, sid).visibility >= sc.min_visibility), frames[0])
                return _Stream(si, sid, frames, tf, bool(rng.random() < sc.flip_prob))
        raise ConfigError("no subject track has 2 or more frames for sequential clips")

    def stream_item(self, st: _Stream, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The stream's next frame; the search window is centred on the previous frame's box,
        as inference centres it on the previous result."""
        src, cfg, sc = self.sources[st.source], self.cfg, self.sc
        k = st.frames[st.step]
        prev = src.subject(st.frames[max(st.step - 1, 0)], st.subject)
        window = jittered_window(prev.box, cfg.search_size, cfg.search_factor, cfg.context, sc.stream_jitter, sc.stream_jitter, rng)
        item = make_sample(src, st.subject, st.template, k, window, st.flip, cfg, sc, rng, self.with_template)
        item["stream_step"] = np.array(st.step, dtype=np.int64)
        st.step += 1
        return item


def collate(items: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Stack sample dicts into a batch dict of tensors (keys as in the samples)."""
    return {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}


class TrainBatches(IterableDataset):
    """Endless mini-batches ([0050]): ``batch_size - num_streams`` random pairs then
    ``num_streams`` sequential-clip items (one per stream slot).

    Extra batch keys: ``stream`` ``(B,)`` int64 (-1 for pairs, else a key unique within this
    process) and ``stream_step`` ``(B,)`` (0 at a clip's head frame).

    Args:
        sampler: draws the samples.
        batch_size, num_streams: batch composition.
        seed: base seed; the rank, worker and ``offset`` (e.g. the resumed step) are mixed in.
    """

    def __init__(self, sampler: Sampler, batch_size: int, num_streams: int, seed: int, offset: int = 0) -> None:
        super().__init__()
        if not 0 <= num_streams <= batch_size:
            raise ValueError(f"num_streams must be in 0..batch_size, got {num_streams}")
        self.sampler, self.batch_size, self.num_streams = sampler, batch_size, num_streams
        self.seed, self.offset = seed, offset

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        worker = 0 if info is None else info.id
        rank = torch.distributed.get_rank() if torch.distributed.is_available() and torch.distributed.is_initialized() else 0
        rng = np.random.default_rng([self.seed, rank, worker, self.offset])
        streams: list[_Stream | None] = [None] * self.num_streams
        base = worker * 1_000_000
        while True:
            items = [self.sampler.pair(rng) for _ in range(self.batch_size - self.num_streams)]
            for it in items:
                it["stream"] = np.array(-1, dtype=np.int64)
                it["stream_step"] = np.array(-1, dtype=np.int64)
            for slot in range(self.num_streams):
                st = streams[slot]
                if st is None or st.step >= len(st.frames):
                    first = st is None
                    st = streams[slot] = self.sampler.new_stream(rng)
                    if first:  # cut the first clips short at random so slots do not restart together
                        st.frames = st.frames[: int(rng.integers(2, len(st.frames) + 1))]
                it = self.sampler.stream_item(st, rng)
                it["stream"] = np.array(base + slot, dtype=np.int64)
                items.append(it)
            yield collate(items)


def describe(sampler: Sampler) -> dict[str, object]:
    """A short record of the data used (for the weights' meta)."""
    st = sampler.stats()
    return {
        "sources": st,
        "frames": int(sum(s["frames"] for s in st)),  # type: ignore[misc]
        "samples": int(sum(s["samples"] for s in st)),  # type: ignore[misc]
        "hard_share": round(sum(s["hard"] for s in st) / max(1, sum(s["samples"] for s in st)), 4),  # type: ignore[misc]
    }
