"""Real-person composites: real people cut from licensed clips, walking on real streets.

The synthetic generator draws cartoon people; this module pastes *real* people (cut with
their true boxes from Town Centre and TUD clips, see :mod:`parttrack.synth.composite_sources`)
on real backdrops (each clip's temporal median) and stages the [0005] cases under control:

* ``crossing``: another person walks through the subject's path, heads within a head height;
* ``side-by-side``: a companion walks beside the subject;
* ``lookalike``: the companion or crosser is the subject again (another phase of the same
  walk) or a recoloured copy (clothes hue-shifted, lightness kept);
* ``occlusion``: a nearer person passes in front of the subject.

Each person walks a straight line at its own real speed and direction, replayed on the
ground plane of the new street (sideways and towards-camera speed, see
:mod:`parttrack.synth.composite_backdrop`; mirrored when it walks the other way), its walk
the cycled real frames, its size from the backdrop's perspective (body height fitted to foot
row over the clip's annotations).
Depth order is by foot row. Every frame is annotated as the patent's correct answer data
([0028]-[0029]): id, body box (the true box mapped through the paste), ``head`` part box
(visible when >= half of its pixels show), visibility (solid pixels not covered by nearer
people nor cut off by the frame edge). Eyes are not annotated (the sources have none).

Example::

    from parttrack.synth.composite import CompositeConfig, composite_clip

    clip = composite_clip(CompositeConfig(scenario="crossing", num_frames=60), seed=3)
    clip.frames[0].shape                       # (432, 768, 3) uint8 BGR
    clip.sequence.frames[0].get(clip.sequence.subject_id).parts["head"]

Only training-allowed clips are sources (Town Centre ``clip_fm004_n126``, ``clip_f0435_n96``,
TUD-Campus, TUD-Stadtmitte); the held-out ``clip_f0249_n149`` is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import ConfigError
from parttrack.synth.composite_backdrop import Backdrop, foot_rate, make_backdrop
from parttrack.synth.composite_render import (
    contact_shadow,
    foot_affine,
    map_box,
    paint_labels,
    paste,
    recolour,
    visible_fraction,
)
from parttrack.synth.composite_sources import (
    Cut,
    Source,
    Sprite,
    check_allowed,
    default_data_root,
    load_source,
)

SCENARIOS = ("crossing", "side-by-side", "lookalike", "occlusion")
DEFAULT_SOURCES = ("towncentre/clip_fm004_n126_gt.csv", "towncentre/clip_f0435_n96_gt.csv",
                   "tud-campus", "tud-stadtmitte")
PART_NAMES = ("head",)  # eyes: not annotated (neither source labels them)
PART_VISIBLE = 0.5
MAX_TRIES = 60  # subject placements tried per backdrop
MIN_SHARPNESS = 0.75  # a sprite is enlarged at most 1/0.75 x


@dataclass(frozen=True)
class CompositeConfig:
    """One composite clip's set-up.

    Attributes:
        width, height: frame size, pixels (backdrops are scaled to cover it and cropped).
        num_frames, fps: clip length and frame rate.
        scenario: one of :data:`SCENARIOS`, or ``"mixed"`` (one drawn per seed).
        walkers: extra people walking past (0-12).
        recolour_share: look-alikes that are recoloured copies (the rest: the same person).
        shadow: darken the ground under each person's feet.
    """

    width: int = 768
    height: int = 432
    num_frames: int = 100
    fps: float = 25.0
    scenario: str = "crossing"
    walkers: int = 2
    recolour_share: float = 0.5
    shadow: bool = True

    def __post_init__(self) -> None:
        for name, low, high in (("width", 64, 4096), ("height", 64, 4096), ("num_frames", 1, 100_000),
                                ("walkers", 0, 12)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ValueError(f"CompositeConfig.{name} must be an integer in [{low}, {high}], got {v!r}")
        if not (isinstance(self.fps, (int, float)) and math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"CompositeConfig.fps must be > 0, got {self.fps!r}")
        if self.scenario not in (*SCENARIOS, "mixed"):
            raise ValueError(f"CompositeConfig.scenario must be one of {(*SCENARIOS, 'mixed')}, got {self.scenario!r}")
        if not (isinstance(self.recolour_share, (int, float)) and 0.0 <= self.recolour_share <= 1.0):
            raise ValueError(f"CompositeConfig.recolour_share must be in [0, 1], got {self.recolour_share!r}")


@dataclass(frozen=True)
class CompositePerson:
    """Ground truth behind one pasted person.

    Attributes:
        role: subject, crosser, companion, occluder or walker.
        partner_id: the person it crosses / walks beside / hides, or None.
        lookalike_of: id of the person it copies (same sprite), or None.
        sprite: the sprite's name (``<clip>/id<person>/f<frame>``).
        mirrored: drawn flipped left-right.
        recolour_deg: hue rotation of its clothes (0 = own colours).
    """

    id: int
    role: str
    partner_id: int | None
    lookalike_of: int | None
    sprite: str
    mirrored: bool
    recolour_deg: float


@dataclass
class CompositeClip:
    """A composite clip: ``frames`` ``(H, W, 3)`` uint8 BGR and their annotations (same record
    types as :class:`parttrack.synth.generator.SyntheticClip`)."""

    sequence: AnnotatedSequence
    frames: list[np.ndarray]
    people: tuple[CompositePerson, ...] = ()


@dataclass
class _Actor:
    cuts: tuple[Cut, ...]
    sprite: Sprite
    mirror: bool
    phase: int
    feet: np.ndarray  # (T, 2) foot point (u, v), output px
    heights: np.ndarray  # (T,) body-box height, output px
    role: str
    partner: int | None = None
    copy_of: int | None = None
    recolour_deg: float = 0.0
    gain: tuple[float, float, float] = field(default=(1.0, 1.0, 1.0))


def resolve_sources(sources: Iterable[str | Path] | None = None, data_root: str | Path | None = None) -> list[str]:
    """Absolute source paths (relative ones under ``data_root``, default ``../shared/data``).

    Raises:
        ConfigError: no source, or the held-out evaluation clip among them.
    """
    root = Path(data_root) if data_root is not None else default_data_root()
    out = [str(p if Path(p).is_absolute() else root / p) for p in (DEFAULT_SOURCES if sources is None else sources)]
    if not out:
        raise ConfigError("composites need at least one source clip")
    for p in out:
        check_allowed(p)
    return out


def load_sources(sources: Iterable[str | Path | Source] | None = None,
                 data_root: str | Path | None = None) -> list[Source]:
    """Composite material from clip paths (see :func:`resolve_sources`; loaded once per
    process) or ready :class:`Source` objects, in the given order.

    Raises:
        ConfigError: no source, the held-out clip, or no person cut from any source.
    """
    items = list(DEFAULT_SOURCES if sources is None else sources)
    if not items:
        raise ConfigError("composites need at least one source clip")
    out = [p if isinstance(p, Source) else load_source(resolve_sources([p], data_root)[0]) for p in items]
    for src in out:
        check_allowed(src.name)
    if not any(src.sprites for src in out):
        raise ConfigError("no person in the source clips stands free of others long enough to cut")
    return out


def walk_path(start: tuple[float, float], at: int, velocity: tuple[float, float], num_frames: int,
              height_of: Callable[[float], float], a: float = 0.0, focal: float = 0.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Feet and body heights of a straight walk on the ground through ``start`` at frame ``at``.

    Args:
        start: foot point ``(u, v)`` px at frame ``at`` (0 <= at < num_frames).
        velocity: ``(sideways, towards)`` body heights per frame (see
            :class:`parttrack.synth.composite_sources.Sprite`): ``du = sideways * h`` and
            ``dv = foot_rate(towards, h, a, focal)`` per frame at body height ``h``.
        height_of: foot row -> body height px.
        a, focal: the backdrop's perspective slope and focal length, px (``a == 0``: no depth
            motion).

    Returns:
        ``feet`` ``(T, 2)`` and ``heights`` ``(T,)`` float64.
    """
    def step(v: float) -> np.ndarray:
        h = height_of(v)
        return np.array([velocity[0] * h, foot_rate(velocity[1], h, a, focal)])

    feet = np.zeros((num_frames, 2))
    feet[at] = start
    for t in range(at + 1, num_frames):
        feet[t] = feet[t - 1] + step(feet[t - 1, 1])
    for t in range(at - 1, -1, -1):
        feet[t] = feet[t + 1] - step(feet[t + 1, 1])
    heights = np.array([height_of(v) for v in feet[:, 1]])
    return feet, heights


def _recoloured(cuts: tuple[Cut, ...], angle: float, chroma: float) -> tuple[Cut, ...]:
    out = []
    for c in cuts:
        rows = np.arange(c.image.shape[0], dtype=np.float32)[:, None] + 0.5
        # only the solid inside: the soft fringe is half street, and a tinted fringe is a halo
        solid = np.clip(2.0 * c.alpha - 1.0, 0.0, 1.0)
        clothes = solid * (rows > c.head[1] + c.head[3] + 0.01 * c.body[3])
        out.append(replace(c, image=recolour(c.image, clothes, angle, chroma)))
    return tuple(out)


class _Planner:
    """Draws the cast of one clip (deterministic in the rng)."""

    def __init__(self, cfg: CompositeConfig, backdrop: Backdrop, sprites: list[Sprite], rng: np.random.Generator):
        self.cfg, self.bd, self.sprites, self.rng = cfg, backdrop, sprites, rng

    def sprite_for(self, height: float) -> Sprite:
        """A random sprite cut at least ``MIN_SHARPNESS`` x ``height`` tall (so it is not
        blown up into a blur), or any sprite when none is."""
        ok = [sp for sp in self.sprites if sp.cuts[0].body[3] >= MIN_SHARPNESS * height] or self.sprites
        return ok[int(self.rng.integers(len(ok)))]

    def height_of(self, size: float) -> Callable[[float], float]:
        return lambda v: self.bd.body_height(v) * size

    def actor(self, sprite: Sprite, mirror: bool, start: tuple[float, float], at: int, role: str,
              velocity: tuple[float, float] | None = None, size: float | None = None) -> _Actor:
        size = float(self.rng.uniform(0.92, 1.08)) if size is None else size
        vel = velocity if velocity is not None else ((-1 if mirror else 1) * sprite.velocity[0], sprite.velocity[1])
        feet, heights = walk_path(start, at, vel, self.cfg.num_frames, self.height_of(size),
                                  self.bd.height_fit[0], self.bd.focal)
        gain = tuple(float(np.clip(b / max(s, 1.0), 0.85, 1.15)) for b, s in zip(self.bd.mean_bgr, sprite.mean_bgr, strict=True))
        return _Actor(sprite.cuts, sprite, mirror, int(self.rng.integers(len(sprite.cuts))), feet, heights, role,
                      gain=gain)  # type: ignore[arg-type]

    def subject(self) -> _Actor | None:
        W, H, T = self.cfg.width, self.cfg.height, self.cfg.num_frames
        lo, hi = self.bd.foot_range
        at = int(self.rng.integers(int(0.4 * T), max(int(0.6 * T), int(0.4 * T) + 1)))
        v = float(self.rng.uniform(lo + 0.25 * (hi - lo), hi - 0.1 * (hi - lo)))
        sprite = self.sprite_for(self.bd.body_height(v))
        a = self.actor(sprite, bool(self.rng.random() < 0.5), (0.0, v), at, "subject")
        a.feet[:, 0] += W / 2 - 0.5 * (a.feet[:, 0].min() + a.feet[:, 0].max()) + self.rng.uniform(-0.1, 0.1) * W
        x, y, w, h = map_box(a.cuts[a.phase].body, foot_affine(a.cuts[a.phase].body, tuple(a.feet[0]),
                                                               a.heights[0], a.mirror))
        if x < 2 or y < 2 or x + w > W - 2 or y + h > H - 2:
            return None
        inside = (a.feet[:, 0] > 0) & (a.feet[:, 0] < W) & (a.feet[:, 1] - a.heights > 0) & (a.feet[:, 1] < H)
        return a if inside.mean() >= 0.95 else None

    def partner(self, s: _Actor, kind: str, lookalike: bool) -> _Actor:
        rng = self.rng
        at = int(rng.integers(int(0.35 * self.cfg.num_frames), int(0.65 * self.cfg.num_frames) + 1))
        h = s.heights[at]
        sprite = s.sprite if lookalike else self.sprite_for(h)
        s_dir = (-1 if s.mirror else 1) * s.sprite.velocity[0]
        if kind == "side-by-side":
            off = np.array([rng.choice([-1, 1]) * rng.uniform(0.2, 0.3), rng.uniform(-0.04, 0.04)]) * h
            mirror = (sprite.velocity[0] >= 0) != (s_dir >= 0)
            a = self.actor(sprite, mirror, tuple(s.feet[at] + off), at, "companion",
                           velocity=((-1 if s.mirror else 1) * s.sprite.velocity[0], s.sprite.velocity[1]))
        else:
            dy = rng.uniform(0.06, 0.14) if kind == "occlusion" else rng.choice([-1, 1]) * rng.uniform(0.02, 0.06)
            off = np.array([rng.uniform(-0.05, 0.05), dy]) * h
            mirror = (sprite.velocity[0] >= 0) == (s_dir >= 0)  # walk the other way
            a = self.actor(sprite, mirror, tuple(s.feet[at] + off), at,
                           "occluder" if kind == "occlusion" else "crosser")
        a.partner = 0
        if lookalike:
            a.copy_of = 0
            a.phase = (s.phase + int(rng.integers(6, max(7, len(sprite.cuts) - 5)))) % len(sprite.cuts)
            if rng.random() < self.cfg.recolour_share:
                a.recolour_deg = float(rng.uniform(90.0, 270.0))
                a.cuts = _recoloured(a.cuts, a.recolour_deg, float(rng.uniform(15.0, 35.0)))
        return a

    def walker(self) -> _Actor:
        rng, (lo, hi) = self.rng, self.bd.foot_range
        start = (float(rng.uniform(0, self.cfg.width)), float(rng.uniform(lo, hi)))
        sprite = self.sprite_for(self.bd.body_height(start[1]))
        return self.actor(sprite, bool(rng.random() < 0.5), start, int(rng.integers(self.cfg.num_frames)), "walker")


def _render(cfg: CompositeConfig, bd: Backdrop, actors: list[_Actor], ids: list[int],
            t: int) -> tuple[np.ndarray, FrameAnnotation]:
    """Draw frame ``t`` and annotate it."""
    W, H = cfg.width, cfg.height
    canvas = bd.image.copy()
    labels = np.zeros((H, W), np.uint8)
    if cfg.shadow:
        for a in actors:
            contact_shadow(canvas, tuple(a.feet[t]), a.heights[t])
    placed = []
    for i in sorted(range(len(actors)), key=lambda i: (actors[i].feet[t, 1], i)):
        a = actors[i]
        cut = a.cuts[(t + a.phase) % len(a.cuts)]
        aff = foot_affine(cut.body, tuple(a.feet[t]), a.heights[t], a.mirror)
        box = map_box(cut.body, aff)
        if box[0] >= W or box[1] >= H or box[0] + box[2] <= 0 or box[1] + box[3] <= 0:
            continue
        p = paste(canvas, cut.image, cut.alpha, aff, a.gain)
        paint_labels(labels, p, i + 1)
        placed.append((i, p, box, map_box(cut.head, aff)))
    subjects = []
    for i, p, box, head in placed:
        vis = visible_fraction(labels, p, i + 1)
        head_vis = visible_fraction(labels, p, i + 1, head)
        parts = {"head": PartBox(head, bool(head_vis >= PART_VISIBLE))}
        subjects.append(Subject(ids[i], box, round(vis, 4), parts))
    return canvas, FrameAnnotation(t, tuple(sorted(subjects, key=lambda s: s.id)))


def composite_clip(config: CompositeConfig, seed: int, sources: Iterable[str | Path | Source] | None = None,
                   data_root: str | Path | None = None) -> CompositeClip:
    """Render one composite clip, deterministic in ``(config, seed, sources)``.

    Args:
        config: scenario and geometry.
        seed: any integer >= 0.
        sources: annotated clips to take people and backdrops from (Town Centre ``*_gt.csv``,
            MOT folders; relative paths under ``data_root``) or loaded :class:`Source`
            objects; default :data:`DEFAULT_SOURCES`.
        data_root: folder of the shared data (default ``../shared/data``).

    Returns:
        A :class:`CompositeClip` named ``composite_s<seed>`` with ``subject_id`` set,
        ``info.part_names == ("head",)``.

    Raises:
        ValueError: a bad seed. ConfigError: the held-out clip, or sources with no usable
            person. ParseError / VideoError: unreadable sources.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    loaded = load_sources(sources, data_root)
    sprites = [s for src in loaded for s in src.sprites]
    rng = np.random.default_rng(int(seed))
    scenario = config.scenario if config.scenario != "mixed" else SCENARIOS[int(rng.integers(len(SCENARIOS)))]
    first = int(rng.integers(len(loaded)))
    subject = None
    for src in loaded[first:] + loaded[:first]:  # a backdrop where no walk fits: the next one
        bd = make_backdrop(src, config.width, config.height)
        plan = _Planner(config, bd, sprites, rng)
        for _ in range(MAX_TRIES):
            subject = plan.subject()
            if subject is not None:
                break
        if subject is not None:
            break
    if subject is None:
        raise ConfigError(f"could not place a subject walking {config.num_frames} frames inside "
                          f"{config.width}x{config.height} on any backdrop")
    if scenario == "lookalike":
        actors = [subject, plan.partner(subject, str(rng.choice(["crossing", "side-by-side"])), True)]
    else:
        actors = [subject, plan.partner(subject, scenario, False)]
    actors += [plan.walker() for _ in range(config.walkers)]
    ids = [int(i) for i in rng.permutation(np.arange(1, len(actors) + 1))]
    # a walker that hides the subject in frame 0 would make the clip untrackable: drop it
    for _ in range(config.walkers):
        _, fa0 = _render(config, bd, actors, ids, 0)
        me = fa0.get(ids[0])
        if me is None or me.visibility >= 0.7 or len(actors) <= 2:
            break
        del actors[-1], ids[-1]
    frames, annotations = [], {}
    for t in range(config.num_frames):
        image, ann = _render(config, bd, actors, ids, t)
        frames.append(image)
        annotations[t] = ann
    info = SequenceInfo(f"composite_s{seed}", config.width, config.height, float(config.fps), config.num_frames,
                        None, PART_NAMES)
    people = tuple(
        CompositePerson(ids[i], a.role, None if a.partner is None else ids[a.partner],
                        None if a.copy_of is None else ids[a.copy_of], a.sprite.name, a.mirror, a.recolour_deg)
        for i, a in enumerate(actors))
    return CompositeClip(AnnotatedSequence(info, annotations, subject_id=ids[0]), frames, people)
