"""Material for real-person composites: people cut from annotated real clips, and backdrops.

From one annotated clip (a Town Centre ``*_gt.csv`` or a MOTChallenge folder, anything
:func:`parttrack.data.load.load_sequence` reads) :func:`load_source` makes

* a **backdrop**: the clip's temporal median over the samples where no annotated person
  covers a pixel (pixels always covered are inpainted), so standing people vanish too;
* **sprites**: 25-44 consecutive frames of one person who stands free of others (body box
  inside the frame, < 15 % of it overlapped by another body box), each frame cut around the
  true body box with a soft mask (background difference against the median, holes filled,
  torso and head kept, bounded by an ellipse around the box). The loop (>= 20 frames) is
  cut between the two most alike silhouettes of the run, so cycling the sprite keeps a
  walk going. People standing still (they are in the median) and people the
  mask cannot tell from the street (< 70 % of the body box's middle solid) are left out.

Head boxes: Town Centre annotates them; they are carried through unchanged. MOT data has body
boxes only, so the head is *estimated* (``Sprite.head_source == "estimated"``): height
``HEAD_RATIO`` x the body height and width 0.93 x that (Town Centre's median ratios), top at
the first row of the body box where the mask is as wide as a third of the head (else the
box top), centred on the mask's column centroid over that head band (kept within +-20 % of
the box width of the box centre). Eyes are not derivable from either data set: composites
leave them *not annotated*.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from parttrack.data.types import AnnotatedSequence, BoxXYWH
from parttrack.errors import ConfigError
from parttrack.synth.composite_backdrop import FOCAL_PER_WIDTH, depth_speed, fit_perspective
from parttrack.synth.composite_render import foreground_mask

HELD_OUT = ("clip_f0249_n149",)  # Town Centre evaluation clip: never a composite source
HEAD_RATIO = 0.118  # Town Centre: head-box height / body-box height (5-95 %: 0.116-0.122)
HEAD_ASPECT = 0.93  # Town Centre: head-box width / height (median)
MIN_RUN, MAX_RUN = 25, 44  # run length bounds, frames
MIN_LOOP = 20  # shortest sprite loop, frames (a gait cycle is ~25-30 at 25 fps)
MAX_OVERLAP = 0.15
MEDIAN_SAMPLES = 25
MAX_SPRITES = 14
MIN_SPEED = 0.005  # body heights per frame (walking is ~0.01-0.04)
MIN_COVER = 0.7  # solid share of the body box's middle (people measure 0.77-0.99, a ghost 0.55)


@dataclass(frozen=True)
class Cut:
    """One frame of a sprite: a real person cut from a video frame.

    Attributes:
        image: ``(h, w, 3)`` uint8 BGR cut (the body box plus a margin).
        alpha: ``(h, w)`` float32 soft mask of the person, in [0, 1].
        body: body box in cut pixels (the true annotated box).
        head: head box in cut pixels (annotated or estimated, see module docstring).
    """

    image: np.ndarray
    alpha: np.ndarray
    body: BoxXYWH
    head: BoxXYWH


@dataclass(frozen=True)
class Sprite:
    """Consecutive cuts of one real person, cycled to make a walk.

    Attributes:
        name: ``<clip>/id<person>/f<first frame>``.
        cuts: the frames, in order.
        velocity: ``(sideways, towards)`` walking speed in body heights per frame: sideways
            in the image (right positive), towards the camera on the ground (see
            :func:`parttrack.synth.composite_backdrop.depth_speed`), so the walk can be replayed under another camera.
        head_source: ``"annotated"`` or ``"estimated"``.
        mean_bgr: mean colour of the source clip's backdrop (for colour matching).
    """

    name: str
    cuts: tuple[Cut, ...]
    velocity: tuple[float, float]
    head_source: str
    mean_bgr: tuple[float, float, float]


@dataclass(frozen=True)
class Source:
    """One annotated clip turned into composite material (native pixels).

    Attributes:
        median: ``(H, W, 3)`` uint8 temporal median of the clip (people removed).
        feet: ``(N, 2)`` float32 annotated ``(foot v, body height)`` pairs (perspective).
        tops: ``(N,)`` body-box tops (for the backdrop crop).
    """

    name: str
    median: np.ndarray
    feet: np.ndarray
    tops: np.ndarray
    sprites: tuple[Sprite, ...]


def default_data_root() -> Path:
    """``../shared/data`` next to the project root (where the licensed clips live)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def check_allowed(path: str | Path) -> None:
    """Raise ConfigError if ``path`` names the held-out evaluation clip."""
    if any(h in str(path) for h in HELD_OUT):
        raise ConfigError("this Town Centre clip is held out of all training (evaluation only)", path)


def _overlap(a: BoxXYWH, b: BoxXYWH) -> float:
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(iw, 0.0) * max(ih, 0.0) / (a[2] * a[3])


def sprite_runs(seq: AnnotatedSequence, min_height: float, max_sprites: int = MAX_SPRITES) -> list[tuple[int, list[int]]]:
    """Pick ``(person id, frames)`` runs of people standing free of others.

    A frame qualifies when the body box lies inside the frame (2 px margin), is at least
    ``min_height`` px tall, is annotated visible, and no other body box covers more than
    ``MAX_OVERLAP`` of it. Runs of >= ``MIN_RUN`` consecutive qualifying frames are cut into
    windows of up to ``MAX_RUN`` frames; the ``max_sprites`` tallest windows are kept.

    Returns:
        ``[(id, [frame, ...]), ...]`` sorted by (first frame, id); deterministic.
    """
    W, H = seq.info.width, seq.info.height
    good: dict[int, list[int]] = {}
    for k in sorted(seq.frames):
        subs = seq.frames[k].subjects
        for s in subs:
            x, y, w, h = s.box
            if x < 2 or y < 2 or x + w > W - 2 or y + h > H - 2 or h < min_height or s.visibility <= 0:
                continue
            if any(o.id != s.id and _overlap(s.box, o.box) > MAX_OVERLAP for o in subs):
                continue
            good.setdefault(s.id, []).append(k)
    windows: list[tuple[float, int, list[int]]] = []
    for pid, ks in good.items():
        runs: list[list[int]] = [[ks[0]]]
        for k in ks[1:]:
            if k == runs[-1][-1] + 1:
                runs[-1].append(k)
            else:
                runs.append([k])
        for run in runs:
            for i in range(0, len(run) - MIN_RUN + 1, MAX_RUN):
                win = run[i : i + MAX_RUN]
                mean_h = float(np.mean([seq.frames[k].get(pid).box[3] for k in win]))  # type: ignore[union-attr]
                windows.append((mean_h, pid, win))
    windows.sort(key=lambda w: (-w[0], w[1], w[2][0]))
    kept = [(pid, win) for _, pid, win in windows[:max_sprites]]
    return sorted(kept, key=lambda r: (r[1][0], r[0]))


def mask_cover(alpha: np.ndarray, body: BoxXYWH) -> float:
    """Share of solid mask pixels (alpha >= 0.5) in the middle of the body box (the central
    half of its width, 12-95 % of its height), where a person should fill nearly all."""
    x, y, w, h = body
    a = alpha[max(int(y + 0.12 * h), 0) : int(y + 0.95 * h), max(int(x + 0.25 * w), 0) : int(x + 0.75 * w)]
    return float((a >= 0.5).mean()) if a.size else 0.0


def estimate_head(alpha: np.ndarray, body: BoxXYWH) -> BoxXYWH:
    """Head box of a person with a body box only (see the module docstring for the rule).

    Args:
        alpha: ``(h, w)`` soft mask of the cut; body: body box in cut pixels.

    Returns:
        ``(x, y, w, h)`` head box in cut pixels.
    """
    x, y, w, h = body
    hh = HEAD_RATIO * h
    hw = HEAD_ASPECT * hh
    solid = alpha >= 0.5
    r0, r1 = max(int(y), 0), min(int(y + 0.25 * h), alpha.shape[0])
    c0, c1 = max(int(x), 0), min(int(np.ceil(x + w)), alpha.shape[1])
    top = y
    rows = solid[r0:r1, c0:c1].sum(axis=1)
    hit = np.nonzero(rows >= max(1.0, hw / 3.0))[0]
    if hit.size:
        top = max(y, float(r0 + hit[0]))
    band = alpha[int(top) : int(top + hh) + 1, c0:c1]
    cx = x + w / 2.0
    if band.size and band.sum() > 0:
        cols = np.arange(c0, c1, dtype=np.float64) + 0.5
        cx = float((band.sum(axis=0) * cols).sum() / band.sum())
        cx = float(np.clip(cx, x + 0.3 * w, x + 0.7 * w))
    return cx - hw / 2.0, top, hw, hh


def masked_median(frames: list[np.ndarray], covered: list[np.ndarray]) -> np.ndarray:
    """Per-pixel temporal median over the samples where no person covers the pixel; pixels
    covered in every sample are inpainted from their surroundings.

    Covered samples are replaced by alternating sentinels below and above the 0-255 range
    (per pixel, in order), which leaves the median rank on the uncovered values.

    Args:
        frames: N ``(H, W, 3)`` uint8 images; covered: N ``(H, W)`` bool masks.

    Returns:
        ``(H, W, 3)`` uint8.
    """
    stack = np.stack(frames).astype(np.int16)
    cov = np.stack(covered)
    parity = (np.cumsum(cov, axis=0) % 2).astype(bool)
    stack[cov & ~parity] = 256
    stack[cov & parity] = -1
    mid = len(frames) // 2
    med = np.partition(stack, mid, axis=0)[mid]
    hole = ((med < 0) | (med > 255)).any(axis=2) | cov.all(axis=0)
    out = np.clip(med, 0, 255).astype(np.uint8)
    if hole.any():
        out = cv2.inpaint(out, hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
    return out


def box_mask(shape: tuple[int, int], boxes: list[BoxXYWH], scale: float, grow: float = 0.06) -> np.ndarray:
    """``(H, W)`` bool: pixels inside any box (frame pixels x ``scale``, each grown by
    ``grow`` of its size on every side)."""
    m = np.zeros(shape, bool)
    for x, y, w, h in boxes:
        x0, y0 = int((x - grow * w) * scale), int((y - grow * h) * scale)
        x1, y1 = int(np.ceil((x + (1 + grow) * w) * scale)), int(np.ceil((y + (1 + grow) * h) * scale))
        m[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
    return m


def loop_window(alphas: list[np.ndarray], min_len: int = MIN_LOOP) -> tuple[int, int]:
    """The frames ``[i, j)`` to cycle: the pair (``j - i >= min_len``) whose silhouettes
    ``i`` and ``j`` are most alike (masks shrunk to 16x32), so frame ``j - 1`` -> frame ``i``
    continues the walk like ``j - 1`` -> ``j`` would. All frames when there are too few."""
    if len(alphas) <= min_len:
        return 0, len(alphas)
    small = np.stack([cv2.resize(a, (16, 32), interpolation=cv2.INTER_AREA) for a in alphas])
    best, best_d = (0, len(alphas)), np.inf
    for i in range(len(alphas) - min_len):
        d = np.abs(small[i + min_len :] - small[i]).mean(axis=(1, 2))
        k = int(np.argmin(d))
        if d[k] < best_d:
            best, best_d = (i, i + min_len + k), float(d[k])
    return best


@functools.lru_cache(maxsize=8)
def load_source(path: str, median_scale: float = 0.5, max_sprites: int = MAX_SPRITES) -> Source:
    """Load one annotated clip as composite material (cached per process).

    Args:
        path: a Town Centre ``*_gt.csv`` or a MOT folder (anything ``load_sequence`` reads
            that has a video).
        median_scale: frames are shrunk by this factor (<= 1) for the median of large
            videos (>= 1000 px wide); smaller ones use full size.
        max_sprites: most sprites kept from this clip.

    Returns:
        A :class:`Source`.

    Raises:
        ConfigError: the held-out evaluation clip.
        ParseError, VideoError: unreadable annotations or video.
    """
    from parttrack.data.load import find_video, load_sequence
    from parttrack.data.video import open_video

    check_allowed(path)
    seq = load_sequence(path)
    check_allowed(seq.info.name)
    video = find_video(seq)
    check_allowed(video)
    W, H = seq.info.width, seq.info.height
    scale = median_scale if W >= 1000 else 1.0
    min_h = 150.0 if W >= 1000 else 100.0
    runs = sprite_runs(seq, min_h, max_sprites)
    need: dict[int, list[tuple[int, int]]] = {}
    for r, (pid, ks) in enumerate(runs):
        for k in ks:
            need.setdefault(k, []).append((r, pid))
    n = seq.info.num_frames
    samples = set(np.linspace(0, n - 1, min(MEDIAN_SAMPLES, n)).round().astype(int).tolist())
    small: list[np.ndarray] = []
    covered: list[np.ndarray] = []
    raw: dict[tuple[int, int], tuple[np.ndarray, tuple[int, int], BoxXYWH, BoxXYWH | None]] = {}
    with open_video(video) as vid:
        for fr in vid:
            k = fr.index
            if k in samples:
                img = fr.image if scale == 1.0 else cv2.resize(fr.image, None, fx=scale, fy=scale,
                                                                interpolation=cv2.INTER_AREA)
                small.append(img)
                fa = seq.frames.get(k)
                covered.append(box_mask(img.shape[:2], [] if fa is None else [p.box for p in fa.subjects], scale))
            for r, pid in need.get(k, ()):
                s = seq.frames[k].get(pid)
                assert s is not None
                x, y, w, h = s.box
                x0, y0 = max(int(x - 0.15 * w), 0), max(int(y - 0.05 * h), 0)
                x1, y1 = min(int(np.ceil(x + 1.15 * w)), W), min(int(np.ceil(y + 1.05 * h)), H)
                head = s.parts.get("head")
                raw[(r, k)] = (fr.image[y0:y1, x0:x1].copy(), (x0, y0), s.box,
                               None if head is None else head.box)
    if not small:
        raise ConfigError("no frames decoded for the median", video)
    median_small = masked_median(small, covered)
    median = median_small if scale == 1.0 else cv2.resize(median_small, (W, H), interpolation=cv2.INTER_LINEAR)
    mean_bgr = tuple(float(v) for v in median.reshape(-1, 3).mean(axis=0))
    head_source = "annotated" if "head" in seq.info.part_names else "estimated"
    feet = np.array([(s.box[1] + s.box[3], s.box[3]) for fa in seq for s in fa.subjects], np.float32).reshape(-1, 2)
    tops = np.array([s.box[1] for fa in seq for s in fa.subjects], np.float32)
    a_src, focal_src = fit_perspective(feet, H)[0], FOCAL_PER_WIDTH * W
    sprites = []
    for r, (pid, ks) in enumerate(runs):
        cuts = []
        for k in ks:
            img, (x0, y0), box, head = raw[(r, k)]
            body = (box[0] - x0, box[1] - y0, box[2], box[3])
            bg = median[y0 : y0 + img.shape[0], x0 : x0 + img.shape[1]]
            if head is None:
                hb = estimate_head(foreground_mask(img, bg, body), body)
            else:
                hb = (head[0] - x0, head[1] - y0, head[2], head[3])
            alpha = foreground_mask(img, bg, body, hb)
            cuts.append(Cut(img, alpha, body, hb))
        i, j = loop_window([c.alpha for c in cuts])
        cuts, ks = cuts[i:j], ks[i:j]
        mean_h = float(np.mean([c.body[3] for c in cuts]))
        # foot motion over the loop: sideways in body heights, towards the camera on the ground
        f0 = seq.frames[ks[0]].get(pid).box  # type: ignore[union-attr]
        f1 = seq.frames[ks[-1]].get(pid).box  # type: ignore[union-attr]
        du = ((f1[0] + f1[2] / 2) - (f0[0] + f0[2] / 2)) / max(len(ks) - 1, 1) / mean_h
        dv = depth_speed(((f1[1] + f1[3]) - (f0[1] + f0[3])) / max(len(ks) - 1, 1), mean_h, a_src, focal_src)
        if math.hypot(du, dv) < MIN_SPEED:  # standing: it would slide, not walk
            continue
        if np.mean([mask_cover(c.alpha, c.body) for c in cuts]) < MIN_COVER:  # not told apart from the street
            continue
        sprites.append(Sprite(f"{seq.info.name}/id{pid}/f{ks[0]}", tuple(cuts), (float(du), float(dv)),
                              head_source, mean_bgr))  # type: ignore[arg-type]
    return Source(seq.info.name, median, feet, tops, tuple(sprites))
