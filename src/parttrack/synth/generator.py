"""Seeded generator of short annotated crowd videos (the [0005] case, under control).

Real annotated video is scarce, and the failure the patent fixes -- a nearby person's part
taken for the subject's own ([0005]) -- needs many controlled cases. :func:`generate` draws
``num_people`` walking people on a paved street seen by an elevated camera, with look-alikes,
crossings, side-by-side pairs, occlusions, stops and turns, and annotates every frame as the
patent's correct answer data ([0028]-[0029]): each person's id, body box, visibility, and
``head`` / ``eye`` part boxes (``eye`` is None when facing away).

Example::

    from parttrack.synth.generator import SceneConfig, generate

    clip = generate(SceneConfig(num_people=4, num_frames=50), seed=7)
    clip.frames[0].shape                    # (288, 384, 3) uint8 BGR
    clip.sequence.frames[0].get(clip.sequence.subject_id).parts["head"]

Seed ranges (so training never sees a benchmark clip): suites (``parttrack.synth.suites``)
use seeds in ``[1_000_000, 2_000_000)``; :func:`training_clips` uses seeds
``>= TRAIN_SEED_BASE`` (2**32); :func:`generate` itself accepts any seed >= 0.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.synth.cast import plan_cast
from parttrack.synth.config import SceneConfig
from parttrack.synth.motion import Actor, Camera, body_boxes, yaw_deg
from parttrack.synth.people import (
    Appearance,
    PersonRender,
    Pose,
    random_appearance,
    render_person,
)
from parttrack.synth.scene import Effects, Prop, View, make_background, make_props

__all__ = ["SceneConfig", "SyntheticClip", "generate", "random_scene_config", "training_clips"]

PART_NAMES = ("head", "eye")
PART_VISIBLE = 0.5  # a part is flagged visible=False when less than this fraction shows
TRAIN_SEED_BASE = 2**32
SUITE_SEED_RANGE = (1_000_000, 2_000_000)


@dataclass(frozen=True)
class PersonInfo:
    """Ground truth behind one person's annotations (for tests, analysis and benchmarks).

    Attributes:
        id: the person's annotation id.
        role: subject, companion, crosser, occluder or walker.
        partner_id: id of the person it walks beside / crosses / walks in front of, or None.
        lookalike_of: id of the person whose clothes and hair it copies, or None.
        yaw: ``(T,)`` facing in degrees (0 = towards the camera, 180 = away).
        appearance: clothes, skin and hair colours (BGR) it is drawn with.
    """

    id: int
    role: str
    partner_id: int | None
    lookalike_of: int | None
    yaw: np.ndarray
    appearance: Appearance


@dataclass
class SyntheticClip:
    """A generated clip: annotations (``info.part_names == ("head", "eye")``,
    ``subject_id`` = the chosen subject) and frames, each ``(H, W, 3)`` uint8 BGR.
    ``people`` holds the ground truth behind the annotations."""

    sequence: AnnotatedSequence
    frames: list[np.ndarray]
    people: tuple[PersonInfo, ...] = ()


def _cast_looks(
    cfg: SceneConfig, actors: list[Actor], rng: np.random.Generator
) -> tuple[list[Appearance], list[int | None]]:
    """Appearance per actor and, for look-alikes, the index of the person copied."""
    looks = [random_appearance(rng) for _ in actors]
    n = len(actors)
    count = 0 if cfg.lookalike_share <= 0 or n < 2 else max(1, round(cfg.lookalike_share * (n - 1)))
    near = [i for i in range(1, n) if actors[i].partner == 0 and actors[i].role in ("companion", "crosser")]
    rest = [i for i in rng.permutation(n) if i != 0 and i not in near]
    copy_of: list[int | None] = [None] * n
    for i in (near + [int(i) for i in rest])[:count]:
        src = 0 if i in near else int(rng.choice([j for j in range(n) if j != i and copy_of[j] is None]))
        looks[i] = dataclasses.replace(looks[src], bag_side=looks[i].bag_side)
        copy_of[i] = src
    return looks, copy_of


def paint_ids(ids: np.ndarray, r: PersonRender, label: int) -> None:
    """Mark the drawn person's pixels with ``label`` in the ``(H, W)`` uint8 id buffer
    (nearer people are painted later, so they overwrite whom they hide)."""
    H, W = ids.shape
    x0, y0 = max(r.x0, 0), max(r.y0, 0)
    x1, y1 = min(r.x0 + r.mask.shape[1], W), min(r.y0 + r.mask.shape[0], H)
    if x1 > x0 and y1 > y0:
        ids[y0:y1, x0:x1][r.mask[y0 - r.y0 : y1 - r.y0, x0 - r.x0 : x1 - r.x0] > 0] = label


def visible_fractions(ids: np.ndarray, r: PersonRender, label: int, rect: tuple[int, int, int, int],
                      eye: tuple[int, int, int, int] | None = None) -> tuple[float, float, float]:
    """Visible fractions of a drawn person's body, head and eye region.

    Args:
        ids: ``(H, W)`` uint8 id buffer of the scene after every person and prop was painted
            in depth order (each pixel holds the label of what is seen there).
        r: the person's render (mask patch 1 = body, 2 = head).
        label: the person's value in ``ids``.
        rect: the camera's view ``x0, y0, x1, y1`` (scene px); pixels outside count as hidden.
        eye: the eye box in patch coordinates ``x0, y0, x1, y1``, or None.

    Returns:
        ``(body, head, eye)`` fractions in [0, 1]: pixels of the part still showing over
        all its pixels (the eye region is the head mask inside the eye box; without one,
        the head fraction).
    """
    x0, y0 = max(r.x0, rect[0]), max(r.y0, rect[1])
    x1, y1 = min(r.x0 + r.mask.shape[1], rect[2]), min(r.y0 + r.mask.shape[0], rect[3])
    full = np.count_nonzero(r.mask)
    head = r.mask == 2
    n_head = np.count_nonzero(head)
    n_eye = 0
    if eye is not None:
        n_eye = np.count_nonzero(head[eye[1] : eye[3], eye[0] : eye[2]])
    if x1 <= x0 or y1 <= y0:
        return 0.0, 0.0, 0.0
    mine = ids[y0:y1, x0:x1] == label
    m = r.mask[y0 - r.y0 : y1 - r.y0, x0 - r.x0 : x1 - r.x0]
    body = np.count_nonzero(mine & (m > 0)) / max(full, 1)
    head_vis = mine & (m == 2)
    fh = np.count_nonzero(head_vis) / max(n_head, 1)
    fe = fh
    if eye is not None and n_eye:
        ex0, ey0 = max(eye[0] + r.x0, x0), max(eye[1] + r.y0, y0)
        ex1, ey1 = min(eye[2] + r.x0, x1), min(eye[3] + r.y0, y1)
        vis = head_vis[ey0 - y0 : ey1 - y0, ex0 - x0 : ex1 - x0] if ex1 > ex0 and ey1 > ey0 else head_vis[:0]
        fe = np.count_nonzero(vis) / n_eye
    return min(float(body), 1.0), min(float(fh), 1.0), min(float(fe), 1.0)


def _local_rect(box: tuple[float, float, float, float], r: PersonRender) -> tuple[int, int, int, int]:
    return (int(math.floor(box[0])) - r.x0, int(math.floor(box[1])) - r.y0,
            int(math.ceil(box[0] + box[2])) - r.x0, int(math.ceil(box[1] + box[3])) - r.y0)


def _shadow(canvas: np.ndarray, u: float, v: float, h: float) -> None:
    """Darken an ellipse on the ground under the feet (by 25 %)."""
    ax, ay = max(2, int(0.2 * h)), max(1, int(0.045 * h))
    x0, y0 = int(u) - ax, int(v) - ay
    x1, y1 = int(u) + ax + 1, int(v) + ay + 1
    H, W = canvas.shape[:2]
    if x1 <= 0 or y1 <= 0 or x0 >= W or y0 >= H:
        return
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.ellipse(m, (ax, ay), (ax, ay), 0, 0, 360, 1, -1)
    cx0, cy0 = max(x0, 0), max(y0, 0)
    roi = canvas[cy0 : min(y1, H), cx0 : min(x1, W)]
    sel = m[cy0 - y0 : cy0 - y0 + roi.shape[0], cx0 - x0 : cx0 - x0 + roi.shape[1]] > 0
    roi[sel] -= roi[sel] >> 2


class _Renderer:
    """Per-frame drawing and annotation of a cast on a prepared scene."""

    def __init__(self, cfg: SceneConfig, cam: Camera, view: View, actors: list[Actor],
                 looks: list[Appearance], ids: list[int], props: list[Prop], background: np.ndarray,
                 effects: Effects) -> None:
        self.cfg, self.cam, self.view, self.actors, self.looks = cfg, cam, view, actors, looks
        self.ids, self.props, self.background, self.effects = ids, props, background, effects
        self.yaw = [yaw_deg(a.path) for a in actors]
        self.label_buf = np.zeros(background.shape[:2], np.uint8)
        self.canvas = np.empty_like(background)

    def pose(self, i: int, t: int) -> Pose:
        a = self.actors[i]
        u, v = self.cam.project(a.path.x[t], a.path.z[t])
        height = float(self.cam.px_per_m(a.path.z[t]) * a.body_m)
        swing = float(min(1.0, a.path.speed[t] / 0.6))
        return Pose(float(u), float(v), height, float(self.yaw[i][t]), float(a.path.phase[t]), swing)

    def frame(self, t: int) -> tuple[np.ndarray, FrameAnnotation]:
        canvas = self.canvas
        np.copyto(canvas, self.background)
        ids = self.label_buf
        ids.fill(0)
        poses = [self.pose(i, t) for i in range(len(self.actors))]
        rect = self.view.rects[t]
        r = (int(rect[0]), int(rect[1]), int(rect[2]), int(rect[3]))
        shown = [i for i, p in enumerate(poses) if p.v + 0.1 * p.height > r[1] and p.v - p.height < r[3]
                 and abs(p.u - 0.5 * (r[0] + r[2])) < 0.5 * (r[2] - r[0]) + 0.5 * p.height]
        for i in shown:
            _shadow(canvas, poses[i].u + 0.08 * poses[i].height, poses[i].v, poses[i].height)
        order = sorted([(poses[i].v, 0, i) for i in shown]
                       + [(p.foot_v, 1, k) for k, p in enumerate(self.props)])
        renders: dict[int, PersonRender] = {}
        for _, kind, k in order:
            if kind == 1:
                self.props[k].draw(canvas, ids)
                continue
            renders[k] = render_person(canvas, poses[k], self.looks[k])
            paint_ids(ids, renders[k], k + 1)
        subjects = [s for k, rend in renders.items() if (s := self._annotate(k, rend, r, t)) is not None]
        frame = self.effects.apply(self.view.render(canvas, t), t)
        return frame, FrameAnnotation(t, tuple(sorted(subjects, key=lambda s: s.id)))

    def _annotate(self, k: int, rend: PersonRender, rect: tuple[int, int, int, int],
                  t: int) -> Subject | None:
        W, H = self.cfg.width, self.cfg.height
        box = self.view.to_frame(rend.body_box, t)
        if box[0] >= W or box[1] >= H or box[0] + box[2] <= 0 or box[1] + box[3] <= 0:
            return None
        eye_rect = None if rend.eye_box is None else _local_rect(rend.eye_box, rend)
        f_body, f_head, f_eye = visible_fractions(self.label_buf, rend, k + 1, rect, eye_rect)
        parts: dict[str, PartBox | None] = {
            "head": PartBox(self.view.to_frame(rend.head_box, t), bool(f_head >= PART_VISIBLE)),
            "eye": None if rend.eye_box is None
            else PartBox(self.view.to_frame(rend.eye_box, t), bool(f_eye >= PART_VISIBLE)),
        }
        return Subject(self.ids[k], box, round(float(f_body), 4), parts)


def generate(cfg: SceneConfig, seed: int) -> SyntheticClip:
    """Generate one annotated clip, deterministic in ``(cfg, seed)``.

    Args:
        cfg: the scene's difficulty knobs.
        seed: any integer >= 0.

    Returns:
        A :class:`SyntheticClip`: ``cfg.num_frames`` frames ``(height, width, 3)`` uint8 BGR and
        a :class:`AnnotatedSequence` named ``synth_s<seed>`` with every frame annotated (people fully
        outside the frame left out), ``subject_id`` = the subject's id.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    T = cfg.num_frames
    view = View.make(cfg.width, cfg.height, T, cfg.camera_motion, rng)
    mx, my = view.margin
    scene_w, scene_h = cfg.width + 2 * mx, cfg.height + 2 * my
    cam = Camera.street(cfg.width, cfg.height, view.margin)
    actors = plan_cast(cfg, cam, view.rects, rng)
    looks, copy_of = _cast_looks(cfg, actors, rng)
    ids = [int(i) for i in rng.permutation(np.arange(1, len(actors) + 1))]
    top_row = float(cam.project(0.0, cam.z_far)[1]) - 0.02 * cfg.height
    background = make_background(scene_w, scene_h, cam, top_row, rng)
    start = body_boxes(cam, actors[0])[0]
    props = make_props(cfg.props, cam, view.rects, rng, (scene_w, scene_h), avoid=start)
    effects = Effects.make(cfg.width, cfg.height, T, cfg.blur, cfg.noise, cfg.lighting, rng)
    renderer = _Renderer(cfg, cam, view, actors, looks, ids, props, background, effects)
    frames, annotations = [], {}
    for t in range(T):
        image, ann = renderer.frame(t)
        frames.append(image)
        annotations[t] = ann
    info = SequenceInfo(f"synth_s{seed}", cfg.width, cfg.height, float(cfg.fps), T, None, PART_NAMES)
    people = tuple(
        PersonInfo(ids[i], a.role, None if a.partner is None else ids[a.partner],
                   None if copy_of[i] is None else ids[copy_of[i]], renderer.yaw[i], looks[i])
        for i, a in enumerate(actors)
    )
    return SyntheticClip(AnnotatedSequence(info, annotations, subject_id=ids[0]), frames, people)


def random_scene_config(rng: np.random.Generator, **overrides: object) -> SceneConfig:
    """A varied :class:`SceneConfig` for training; ``overrides`` fix chosen fields.

    Raises:
        ValueError: an override that is not a SceneConfig field (or an invalid value).
    """
    names = {f.name for f in dataclasses.fields(SceneConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown SceneConfig field(s) {unknown}")

    def maybe(p: float, low: float, high: float) -> float:
        return float(rng.uniform(low, high)) if rng.random() < p else 0.0

    values: dict[str, object] = {
        "num_people": int(rng.integers(1, 15)),
        "min_head_distance": maybe(0.15, 1.0, 3.0),
        "crossing_rate": maybe(0.8, 0.1, 0.6),
        "lookalike_share": maybe(0.8, 0.1, 0.6),
        "occlusion_share": maybe(0.8, 0.1, 0.6),
        "camera_motion": maybe(0.4, 0.1, 1.0),
        "blur": maybe(0.4, 0.05, 0.7),
        "noise": maybe(0.6, 0.05, 0.6),
        "lighting": maybe(0.5, 0.1, 1.0),
        "side_by_side_rate": maybe(0.5, 0.1, 0.6),
        "stop_turn_rate": float(rng.uniform(0.0, 0.4)),
        "props": int(rng.integers(0, 6)),
    }
    values.update(overrides)
    return SceneConfig(**values)  # type: ignore[arg-type]


def train_seed(seed: int, index: int) -> int:
    """Generator seed of training clip ``index`` of stream ``seed`` (>= TRAIN_SEED_BASE,
    so disjoint from every suite's seeds)."""
    if seed < 0 or not (0 <= index < TRAIN_SEED_BASE):
        raise ValueError(f"seed must be >= 0 and index in [0, 2**32), got {seed}, {index}")
    return TRAIN_SEED_BASE * (1 + seed) + index


def training_clips(count: int, seed: int = 0, **overrides: object) -> Iterator[SyntheticClip]:
    """Yield ``count`` varied clips for training (each from :func:`random_scene_config`
    with ``overrides``), named ``train_<seed>_<index>``; seeds from :func:`train_seed`."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for k in range(count):
        s = train_seed(seed, k)
        cfg = random_scene_config(np.random.default_rng([s, 1]), **overrides)
        clip = generate(cfg, s)
        info = dataclasses.replace(clip.sequence.info, name=f"train_{seed}_{k}")
        seq = AnnotatedSequence(info, clip.sequence.frames, clip.sequence.subject_id)
        yield SyntheticClip(seq, clip.frames, clip.people)
