"""Named benchmark suites of real-person composites: fixed seeds, a chosen subject, a checked
property (as :mod:`parttrack.synth.suites` does for cartoon clips).

* ``real-crossing``: another real person crosses the subject's path; the subject's visible
  head comes within one head height of another visible head at least once ([0005]).
* ``real-side-by-side``: a companion walks beside the subject (heads within 3 head heights,
  i.e. ~0.35 body heights, for more than half the frames).
* ``real-lookalike``: the crosser or companion is the subject again or a recoloured copy,
  and comes within 2 head heights of the subject at least once.
* ``real-occlusion``: a nearer person passes in front; the subject is less than half
  visible at least once.

:func:`composite_training_clips` streams varied clips (scenario drawn per clip) for training.

Seeds lie in ``[1_900_000, 1_940_000)`` (inside the suites' range, away from the cartoon
suites'); training clips use seeds >= 2**32. A seed whose clip misses the property is
skipped, so the same seeds are always kept.

Example::

    from parttrack.synth.composite_suites import build_composite_suite

    clips = build_composite_suite("real-crossing", n_clips=2, frames=60)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from parttrack.data.types import AnnotatedSequence
from parttrack.errors import ConfigError
from parttrack.synth.composite import CompositeClip, CompositeConfig, Source, composite_clip
from parttrack.synth.suites import head_gaps, trackable

Progress = Callable[[int, int], None]


def _pick_crossing(clip: CompositeClip) -> int | None:
    sid = clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):  # type: ignore[arg-type]
        return None
    return sid if min(head_gaps(clip.sequence, sid).values(), default=math.inf) < 1.0 else None


def _pick_side_by_side(clip: CompositeClip) -> int | None:
    sid = clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):  # type: ignore[arg-type]
        return None
    gaps = head_gaps(clip.sequence, sid, visible_only=False)
    return sid if sum(g <= 3.0 for g in gaps.values()) > 0.5 * clip.sequence.info.num_frames else None


def _pick_lookalike(clip: CompositeClip) -> int | None:
    sid = clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):  # type: ignore[arg-type]
        return None
    if not any(p.lookalike_of == sid for p in clip.people):
        return None
    return sid if min(head_gaps(clip.sequence, sid, visible_only=False).values(), default=math.inf) < 2.0 else None


def _pick_occlusion(clip: CompositeClip) -> int | None:
    sid = clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):  # type: ignore[arg-type]
        return None
    return sid if any(s.visibility < 0.5 for s in clip.sequence.track_of(sid).values()) else None


@dataclass(frozen=True)
class CompositeSuite:
    """A named composite suite: scenario, first seed and the property each kept clip shows."""

    name: str
    description: str
    scenario: str
    first_seed: int
    pick: Callable[[CompositeClip], int | None]
    walkers: int = 2


COMPOSITE_SUITES: dict[str, CompositeSuite] = {
    s.name: s for s in (
        CompositeSuite("real-crossing", "a real person crosses the subject's path (heads within one head height)",
                       "crossing", 1_900_000, _pick_crossing),
        CompositeSuite("real-side-by-side", "a real companion walks beside the subject",
                       "side-by-side", 1_910_000, _pick_side_by_side),
        CompositeSuite("real-lookalike", "the subject's copy (same person or recoloured) crosses or walks beside",
                       "lookalike", 1_920_000, _pick_lookalike),
        CompositeSuite("real-occlusion", "a nearer person passes in front of the subject (< 50 % visible)",
                       "occlusion", 1_930_000, _pick_occlusion),
    )
}
MAX_TRIES_PER_CLIP = 10


def build_composite_suite(name: str = "real-crossing", n_clips: int = 8, frames: int = 100,
                          sources: Iterable[str | Path | Source] | None = None, width: int = 768, height: int = 432,
                          progress: Progress | None = None) -> list[CompositeClip]:
    """Build a composite suite (deterministic: the same seeds and subjects every time).

    Args:
        name: a key of :data:`COMPOSITE_SUITES`.
        n_clips: number of clips (>= 1). frames: frames per clip.
        sources: source clips (default: the training-allowed Town Centre clips and TUD).
        width, height: frame size, pixels.
        progress: called with ``(done, total)`` after each kept clip.

    Returns:
        Clips named ``<suite>_<k>_s<seed>`` with ``sequence.subject_id`` set.

    Raises:
        ConfigError: an unknown suite, ``n_clips < 1``, too few seeds showing the property, or a
            source refused by :func:`parttrack.synth.composite.composite_clip`.
    """
    if name not in COMPOSITE_SUITES:
        raise ConfigError(f"unknown composite suite {name!r}; choose from {', '.join(COMPOSITE_SUITES)}")
    if n_clips < 1:
        raise ConfigError(f"n_clips must be >= 1, got {n_clips}")
    spec = COMPOSITE_SUITES[name]
    cfg = CompositeConfig(width=width, height=height, num_frames=frames, scenario=spec.scenario,
                          walkers=spec.walkers)
    clips: list[CompositeClip] = []
    seed = spec.first_seed
    while len(clips) < n_clips:
        if seed >= spec.first_seed + MAX_TRIES_PER_CLIP * n_clips:
            raise ConfigError(f"composite suite {name!r}: too few seeds show the property ({len(clips)} of {n_clips})")
        clip = composite_clip(cfg, seed, sources)
        sid = spec.pick(clip)
        if sid is not None:
            info = replace(clip.sequence.info, name=f"{name}_{len(clips):02d}_s{seed}")
            clips.append(CompositeClip(AnnotatedSequence(info, clip.sequence.frames, sid), clip.frames, clip.people))
            if progress is not None:
                progress(len(clips), n_clips)
        seed += 1
    return clips


def subject_sheet(clips: list[CompositeClip], frames_per_clip: int = 3, tile: tuple[int, int] = (384, 216),
                  zoom: float = 2.4) -> np.ndarray:
    """Contact sheet, one row per clip, of tiles cut around the subject (``zoom`` x its body
    height tall), boxes drawn (subject green, heads cyan, hidden parts dashed): the first
    frame, the frame where another head comes closest, the last frame.

    Returns:
        ``(rows, cols)`` tiled uint8 BGR image (see :func:`parttrack.viz.draw.contact_sheet`).
    """
    import cv2

    from parttrack.synth.suites import head_gaps
    from parttrack.viz.draw import contact_sheet, draw_annotations

    tiles, labels = [], []
    for clip in clips:
        seq, sid = clip.sequence, clip.sequence.subject_id
        track = seq.track_of(sid)
        gaps = head_gaps(seq, sid, visible_only=False)
        closest = min(gaps, key=lambda k: gaps[k]) if gaps else 0
        picks = [0, closest, seq.info.num_frames - 1] if frames_per_clip == 3 else \
            np.linspace(0, seq.info.num_frames - 1, frames_per_clip).round().astype(int).tolist()
        for t in picks:
            img = draw_annotations(clip.frames[t], seq.frames[t], sid, labels=False)
            H, W = img.shape[:2]
            s = track.get(t) or track[min(track)]
            h = min(max(zoom * s.box[3], 96.0), H, W * tile[1] / tile[0])
            w = h * tile[0] / tile[1]
            cx, cy = s.box[0] + s.box[2] / 2, s.box[1] + s.box[3] / 2
            x0, y0 = int(np.clip(cx - w / 2, 0, W - w)), int(np.clip(cy - h / 2, 0, H - h))
            crop = img[y0 : y0 + int(h), x0 : x0 + int(w)]
            tiles.append(cv2.resize(crop, tile, interpolation=cv2.INTER_AREA if h > tile[1] else cv2.INTER_LINEAR))
            labels.append(f"{seq.info.name} t={t}")
    return contact_sheet(tiles, max(1, len(tiles) // max(1, len(clips))), labels)


def random_composite_config(rng: np.random.Generator, **overrides: object) -> CompositeConfig:
    """A varied :class:`CompositeConfig` for training (scenario mixed, 0-4 walkers);
    ``overrides`` fix chosen fields.

    Raises:
        ValueError: an unknown field or an invalid value.
    """
    unknown = sorted(set(overrides) - {f.name for f in fields(CompositeConfig)})
    if unknown:
        raise ValueError(f"unknown CompositeConfig field(s) {unknown}")
    values: dict[str, object] = {"scenario": "mixed", "walkers": int(rng.integers(0, 5)),
                                 "recolour_share": float(rng.uniform(0.3, 0.7))}
    values.update(overrides)
    return CompositeConfig(**values)  # type: ignore[arg-type]


def composite_training_clips(count: int, seed: int = 0, sources: Iterable[str | Path | Source] | None = None,
                             **overrides: object) -> Iterator[CompositeClip]:
    """Yield ``count`` varied composite clips for training, named ``composite_train_<seed>_<k>``,
    seeds from :func:`parttrack.synth.generator.train_seed` (disjoint from every suite's)."""
    from parttrack.synth.generator import train_seed

    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for k in range(count):
        s = train_seed(seed, k)
        clip = composite_clip(random_composite_config(np.random.default_rng([s, 2]), **overrides), s, sources)
        info = replace(clip.sequence.info, name=f"composite_train_{seed}_{k}")
        yield CompositeClip(AnnotatedSequence(info, clip.sequence.frames, clip.sequence.subject_id),
                            clip.frames, clip.people)
