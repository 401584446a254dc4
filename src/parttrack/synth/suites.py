"""Named benchmark suites of synthetic clips: fixed seeds, a chosen subject, a checked property.

Each suite is ~8 sequences x 100 frames at 384x288, built from a fixed run of seeds
(``first_seed``, ``first_seed + 1``, ...); a seed whose clip does not show what the suite's
name says is skipped, so the same seeds are always kept. Suite seeds lie in
``[1_000_000, 2_000_000)`` (100 000 per suite); training seeds are >= 2**32
(``parttrack.synth.generator.train_seed``), so training never sees a benchmark clip.

* ``easy``: three people, heads kept >= 3 head heights apart.
* ``crossing``: in every sequence the subject's head comes within one head height of another
  visible head at least once -- the [0005] case (a look-alike crosser included).
* ``side-by-side``: the subject walks beside a look-alike (heads within 2 head heights for
  more than half the frames).
* ``crowd``: fourteen people, pairs, crossings, occlusions, camera motion and noise.

Example::

    from parttrack.synth.suites import build_suite, write_suite

    clips = build_suite("crossing", limit=2)
    write_suite("crossing", "out/crossing")   # .mp4 + .jsonl per sequence, contact_sheet.png
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from parttrack.atomic import write_bytes
from parttrack.data.types import AnnotatedSequence, Subject, box_center
from parttrack.errors import ConfigError
from parttrack.synth.generator import SUITE_SEED_RANGE, SceneConfig, SyntheticClip, generate
from parttrack.viz.draw import contact_sheet, draw_annotations

Progress = Callable[[int, int], None]  # (clips done, clips total)


def _head(s: Subject, visible_only: bool) -> tuple[float, float, float] | None:
    part = s.parts.get("head")
    if part is None or (visible_only and not part.visible):
        return None
    cx, cy = box_center(part.box)
    return cx, cy, part.box[3]


def head_gaps(seq: AnnotatedSequence, subject_id: int, visible_only: bool = True) -> dict[int, float]:
    """Per frame, the image distance from the subject's head centre to the nearest other head
    centre, in subject head heights (inf when no other head is there).

    Args:
        visible_only: count only heads flagged visible (the subject's own included).

    Returns:
        frame index -> distance, for the frames where the subject's head counts.
    """
    out: dict[int, float] = {}
    for fa in seq:
        me = fa.get(subject_id)
        mine = None if me is None else _head(me, visible_only)
        if mine is None:
            continue
        best = math.inf
        for other in fa.subjects:
            h = None if other.id == subject_id else _head(other, visible_only)
            if h is not None:
                best = min(best, math.hypot(h[0] - mine[0], h[1] - mine[1]) / mine[2])
        out[fa.frame] = best
    return out


def trackable(clip: SyntheticClip, subject_id: int) -> bool:
    """Whether ``subject_id`` can start a track: fully in the frame and >= 70 % visible at
    frame 0, and annotated in >= 90 % of the frames."""
    seq = clip.sequence
    first = seq.frames[0].get(subject_id)
    if first is None or first.visibility < 0.7:
        return False
    x, y, w, h = first.box
    if x < 0 or y < 0 or x + w > seq.info.width or y + h > seq.info.height:
        return False
    return len(seq.track_of(subject_id)) >= 0.9 * seq.info.num_frames


def _pick_easy(clip: SyntheticClip) -> int | None:
    sid = clip.sequence.subject_id
    gaps = head_gaps(clip.sequence, sid, visible_only=False)
    return sid if trackable(clip, sid) and min(gaps.values(), default=math.inf) >= 3.0 else None


def _pick_crossing(clip: SyntheticClip) -> int | None:
    """The subject, or else another trackable person, whose visible head comes within one
    head height of another visible head at least once."""
    seq = clip.sequence
    others = [p.id for p in clip.people if p.id != seq.subject_id]
    for sid in [seq.subject_id, *others]:
        if sid is None or not trackable(clip, sid):
            continue
        if min(head_gaps(seq, sid).values(), default=math.inf) < 1.0:
            return sid
    return None


def _pick_side_by_side(clip: SyntheticClip) -> int | None:
    seq, sid = clip.sequence, clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):
        return None
    if not any(p.partner_id == sid and p.role == "companion" and p.lookalike_of == sid for p in clip.people):
        return None
    gaps = head_gaps(seq, sid, visible_only=False)
    near = sum(g <= 2.0 for g in gaps.values())
    return sid if near > 0.5 * seq.info.num_frames else None


def _pick_crowd(clip: SyntheticClip) -> int | None:
    seq, sid = clip.sequence, clip.sequence.subject_id
    if sid is None or not trackable(clip, sid):
        return None
    counts = [len(fa.subjects) for fa in seq]
    occluded = sum(s.visibility < 0.5 for fa in seq for s in fa.subjects)
    subject_hidden = any(s.visibility < 0.8 for s in seq.track_of(sid).values())
    return sid if min(counts) >= 8 and occluded > 0 and subject_hidden else None


@dataclass(frozen=True)
class SuiteSpec:
    """A named suite: scene config, seed run and the property each kept clip must show.

    Attributes:
        pick: returns the subject id for a clip that shows the property, or None to skip
            the seed.
    """

    name: str
    description: str
    config: SceneConfig
    first_seed: int
    pick: Callable[[SyntheticClip], int | None]
    count: int = 8


_B = SUITE_SEED_RANGE[0]
SUITES: dict[str, SuiteSpec] = {
    "easy": SuiteSpec(
        "easy", "three people far apart, no look-alikes",
        SceneConfig(num_people=3, min_head_distance=3.5, crossing_rate=0.0, lookalike_share=0.0,
                    occlusion_share=0.0, stop_turn_rate=0.1, props=2),
        _B, _pick_easy),
    "crossing": SuiteSpec(
        "crossing", "the subject's head passes within one head height of another head",
        SceneConfig(num_people=6, crossing_rate=0.4, lookalike_share=0.2, occlusion_share=0.2,
                    noise=0.15, lighting=0.2),
        _B + 100_000, _pick_crossing),
    "side-by-side": SuiteSpec(
        "side-by-side", "the subject walks beside a look-alike",
        SceneConfig(num_people=5, crossing_rate=0.0, lookalike_share=0.25, occlusion_share=0.0,
                    side_by_side_rate=0.4, noise=0.15),
        _B + 200_000, _pick_side_by_side),
    "crowd": SuiteSpec(
        "crowd", "fourteen people: pairs, crossings, occlusions, camera motion, noise",
        SceneConfig(num_people=14, crossing_rate=0.3, lookalike_share=0.3, occlusion_share=0.4,
                    side_by_side_rate=0.3, camera_motion=0.3, blur=0.2, noise=0.3, lighting=0.3, props=4),
        _B + 300_000, _pick_crowd),
}
MAX_TRIES_PER_CLIP = 20


def _spec(name: str) -> SuiteSpec:
    if name not in SUITES:
        names = [*SUITES, "real-crossing", "real-side-by-side", "real-lookalike", "real-occlusion"]
        raise ConfigError(f"unknown suite {name!r}; choose from {', '.join(names)}")
    return SUITES[name]


def build_suite(name: str, limit: int | None = None, progress: Progress | None = None) -> list[SyntheticClip]:
    """Build a suite's clips (deterministic: always the same seeds and subjects).

    Args:
        name: a key of :data:`SUITES`.
        limit: build only the first ``limit`` sequences (None = all).
        progress: called with ``(done, total)`` after each kept clip.

    Returns:
        Clips named ``<suite>_<k>_s<seed>`` with ``sequence.subject_id`` set.

    Raises:
        ConfigError: an unknown suite name or a limit below 1.
    """
    if name.startswith("real-"):  # real-person composites
        from parttrack.synth.composite_suites import build_composite_suite

        if limit is not None and limit < 1:
            raise ConfigError(f"limit must be >= 1, got {limit}")
        return build_composite_suite(name, n_clips=8 if limit is None else limit, progress=progress)  # type: ignore[return-value]
    spec = _spec(name)
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")
    total = spec.count if limit is None else min(limit, spec.count)
    clips: list[SyntheticClip] = []
    seed = spec.first_seed
    while len(clips) < total:
        if seed >= spec.first_seed + MAX_TRIES_PER_CLIP * spec.count:
            raise RuntimeError(f"suite {name!r}: too few seeds show the property ({len(clips)} of {total})")
        clip = generate(spec.config, seed)
        sid = spec.pick(clip)
        if sid is not None:
            info = dataclasses.replace(clip.sequence.info, name=f"{name}_{len(clips):02d}_s{seed}")
            clips.append(SyntheticClip(AnnotatedSequence(info, clip.sequence.frames, sid), clip.frames, clip.people))
            if progress is not None:
                progress(len(clips), total)
        seed += 1
    return clips


def preview(clips: list[SyntheticClip], frames_per_clip: int = 4, scale: float = 0.5) -> np.ndarray:
    """Contact sheet of ``frames_per_clip`` evenly spaced frames per clip (one row each),
    annotations drawn, subject in green; tiles resized by ``scale``."""
    tiles, labels = [], []
    for clip in clips:
        seq = clip.sequence
        for t in np.linspace(0, seq.info.num_frames - 1, frames_per_clip).round().astype(int):
            img = draw_annotations(clip.frames[t], seq.frames[int(t)], seq.subject_id, labels=False)
            tiles.append(cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
            labels.append(f"{seq.info.name} t={t}")
    return contact_sheet(tiles, frames_per_clip, labels)


def write_suite(name: str, out_dir: str | Path, preview_only: bool = False, limit: int | None = None,
                progress: Progress | None = None) -> list[Path]:
    """Build a suite and write it: ``<out>/<seq>.mp4`` + ``<seq>.jsonl`` per sequence and
    ``<out>/contact_sheet.png`` (boxes drawn); with ``preview_only``, only the PNG.

    Returns:
        The paths written (the PNG last). All files are written atomically.
    """
    from parttrack.data.jsonl import write_sequence
    from parttrack.data.video import VideoWriter

    out = Path(out_dir)
    clips = build_suite(name, limit, progress)
    written: list[Path] = []
    if not preview_only:
        for clip in clips:
            info = clip.sequence.info
            video = out / f"{info.name}.mp4"
            with VideoWriter(video, info.fps, size=(info.width, info.height)) as w:
                for image in clip.frames:
                    w.write(image)
            with_video = dataclasses.replace(info, source=str(video))
            seq = AnnotatedSequence(with_video, clip.sequence.frames, clip.sequence.subject_id)
            write_sequence(seq, out / f"{info.name}.jsonl")
            written += [video, out / f"{info.name}.jsonl"]
    sheet = out / "contact_sheet.png"
    if name.startswith("real-"):  # real-person composites: their own sheet (the subject's crops)
        from parttrack.synth.composite_suites import subject_sheet

        image = subject_sheet(clips)
    else:
        image = preview(clips)
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    write_bytes(sheet, png.tobytes())
    written.append(sheet)
    return written
