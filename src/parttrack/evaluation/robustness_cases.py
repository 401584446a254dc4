"""The real-clip robustness cases of issue 12, built from a decoded clip and one subject.

Each builder returns a :class:`Case`: the start box, the ground truth of every frame in the
perturbed pixels (:class:`~parttrack.evaluation.robustness.FrameTruth`), named frame windows to
score, and ``render(i)`` that makes frame ``i`` on demand from the cached clip (deterministic:
fixed seeds, no global state). Frame 0 of every case is the start frame (``initialize``).

Cases (the ``KINDS`` the script runs): ``baseline`` (unmodified), ``occlusion`` (an opaque
textured board over the subject for 8 / 25 / 50 frames), ``absence`` (the subject blanked by
the clip's median background from frame 20 on), ``passerby`` / ``recolour`` (another person
of the clip, cut with its body box, pasted walking across in front; ``recolour`` re-dresses
it), ``camera`` (45 and 60 px jumps, sigma-10 shake, a 10 x 15 px pan burst), ``loose``
(start box 1.5x and 2x) and ``still`` (40 copies of one frame).

Example::

    clip = Clip(load_sequence(csv), read_frames(video, range(n)))
    case = occlusion(clip, subject_id=6, frames=8)
    tracker.initialize(case.render(0), case.init_box)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np

from parttrack.data import types
from parttrack.data.types import BoxXYWH
from parttrack.evaluation.robustness import (
    FrameTruth,
    board_texture,
    coverage,
    jump_offsets,
    median_background,
    pan_offsets,
    paste_patch,
    paste_region,
    pixel_rect,
    recolour,
    scale_box,
    shake_offsets,
    shift_box,
    shift_image,
    union_box,
)

AnnotatedSequence = getattr(types, "AnnotatedSequence", None) or types.Sequence
START, AFTER, LENGTH = 20, 40, 100  # perturbation start, scored frames after it, case length
HIDDEN_COVER = 0.8  # a passer-by covering this much of the subject's body box hides it
SEED = 12


class Clip:
    """A decoded clip (``images``: clip frame -> ``(H, W, 3)`` uint8 BGR) and its annotations
    (``seq``); the median background is computed once, on first use."""

    def __init__(self, seq: AnnotatedSequence, images: Mapping[int, np.ndarray]) -> None:
        self.seq = seq
        self.images = images
        self.name = seq.info.name
        self.width, self.height = seq.info.width, seq.info.height
        self._background: np.ndarray | None = None

    @property
    def background(self) -> np.ndarray:
        """Temporal median of the clip's frames (people walking through vanish)."""
        if self._background is None:
            self._background = median_background([self.images[k] for k in sorted(self.images)])
        return self._background


@dataclass(frozen=True)
class Case:
    """One perturbed sequence of one subject.

    Attributes:
        name: e.g. ``"occlusion-8"``; ``kind`` its family (``"occlusion"``).
        subject: ``"<clip>#<id>"``.
        init_box: start box ``(x, y, w, h)`` in frame 0.
        truth: per case frame, what it shows.
        windows: name -> case frame indices to score (``"all"`` always; others per kind).
        render: case frame index -> ``(H, W, 3)`` uint8 BGR image.
    """

    name: str
    kind: str
    subject: str
    init_box: BoxXYWH
    truth: tuple[FrameTruth, ...]
    windows: dict[str, tuple[int, ...]]
    render: Callable[[int], np.ndarray] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.truth)


def _inside(box: BoxXYWH, width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= width and box[1] + box[3] <= height


def subject_run(clip: Clip, subject_id: int) -> list[int]:
    """Clip frames of the subject's first contiguous run with its body box wholly inside the
    frame. Raises ValueError when it never is."""
    track = clip.seq.track_of(subject_id)
    run: list[int] = []
    for k in sorted(track):
        if _inside(track[k].box, clip.width, clip.height) and (not run or k == run[-1] + 1):
            run.append(k)
        elif run:
            break
    if not run:
        raise ValueError(f"{clip.name}: subject {subject_id} is never wholly inside the frame")
    return run


def frame_truth(
    clip: Clip,
    k: int,
    subject_id: int,
    offset: tuple[int, int] = (0, 0),
    absent: bool = False,
    covered: BoxXYWH | None = None,
    extra_heads: tuple[BoxXYWH, ...] = (),
) -> FrameTruth:
    """Truth of clip frame ``k`` moved by ``offset``; other people's heads at least half
    under ``covered`` (a board, a blanked region) are dropped, ``extra_heads`` added."""
    dx, dy = offset
    f = clip.seq.frames[k]
    s = f.get(subject_id)
    head = None if s is None or s.part("head") is None else shift_box(s.part("head").box, dx, dy)
    others = []
    for o in f.subjects:
        part = o.part("head")
        if o.id == subject_id or part is None:
            continue
        if covered is not None and coverage(part.box, covered) >= 0.5:
            continue
        others.append(shift_box(part.box, dx, dy))
    box = None if s is None else shift_box(s.box, dx, dy)
    return FrameTruth(box, head, tuple(others) + extra_heads, absent)


def _name(clip: Clip, sid: int) -> str:
    return f"{clip.name}#{sid}"


def baseline(clip: Clip, subject_id: int, length: int = LENGTH) -> Case:
    """The unmodified clip from the subject's first wholly visible frame."""
    ks = subject_run(clip, subject_id)[:length]
    truth = tuple(frame_truth(clip, k, subject_id) for k in ks)
    init = clip.seq.frames[ks[0]].get(subject_id).box
    return Case("baseline", "baseline", _name(clip, subject_id), init, truth,
                {"all": tuple(range(1, len(ks)))}, lambda i: clip.images[ks[i]])


def occlusion(clip: Clip, subject_id: int, frames: int, start: int = START, after: int = AFTER) -> Case:
    """A static opaque board over the union of the subject's body boxes (5 % margin) for
    ``frames`` frames from ``start``; windows ``hidden`` (board frames, expected absent) and
    ``after`` (the ``after`` frames once the board is gone, fewer if the subject leaves)."""
    ks = subject_run(clip, subject_id)[: start + frames + after]
    if len(ks) <= start + frames:
        raise ValueError(f"{_name(clip, subject_id)}: too short for a {frames}-frame occlusion")
    track = clip.seq.track_of(subject_id)
    board = scale_box(union_box(track[k].box for k in ks[start : start + frames]), 1.05)
    r = pixel_rect(board, clip.width, clip.height)
    assert r is not None
    texture = board_texture(r[3] - r[1], r[2] - r[0], SEED)
    hidden = range(start, start + frames)

    def render(i: int) -> np.ndarray:
        img = clip.images[ks[i]]
        if i not in hidden:
            return img
        out = img.copy()
        out[r[1] : r[3], r[0] : r[2]] = texture
        return out

    truth = tuple(frame_truth(clip, k, subject_id, absent=i in hidden, covered=board if i in hidden else None)
                  for i, k in enumerate(ks))
    windows = {"all": tuple(range(1, len(ks))), "hidden": tuple(hidden),
               "after": tuple(range(start + frames, len(ks)))}
    return Case(f"occlusion-{frames}", "occlusion", _name(clip, subject_id), track[ks[0]].box, truth,
                windows, render)


def absence(clip: Clip, subject_id: int, start: int = START, after: int = AFTER) -> Case:
    """The subject leaves: from ``start`` on its body box (+30 % width, +10 % height) is
    painted over with the clip's median background; windows ``before`` and ``absent``."""
    ks = subject_run(clip, subject_id)[: start + after]
    track = clip.seq.track_of(subject_id)
    blank = {i: scale_box(track[k].box, 1.3, 1.1) for i, k in enumerate(ks) if i >= start}

    def render(i: int) -> np.ndarray:
        img = clip.images[ks[i]]
        return paste_region(img, clip.background, blank[i]) if i in blank else img

    truth = tuple(frame_truth(clip, k, subject_id, absent=i in blank, covered=blank.get(i))
                  for i, k in enumerate(ks))
    windows = {"all": tuple(range(1, len(ks))), "before": tuple(range(1, start)),
               "absent": tuple(range(start, len(ks)))}
    return Case("absence", "absence", _name(clip, subject_id), track[ks[0]].box, truth, windows, render)


def pick_donor(clip: Clip, subject_id: int) -> int:
    """The passer-by to paste: the other person with the longest wholly visible run (ties:
    lowest id)."""
    best: tuple[int, int] | None = None
    for pid in clip.seq.subject_ids():
        if pid == subject_id:
            continue
        try:
            n = len(subject_run(clip, pid))
        except ValueError:
            continue
        if best is None or n > best[0]:
            best = (n, pid)
    if best is None:
        raise ValueError(f"{clip.name}: no other person to paste in front of {subject_id}")
    return best[1]


def passer_by(
    clip: Clip,
    subject_id: int,
    recolour_clothes: bool = False,
    start: int = START,
    cross: int = 30,
    after: int = AFTER,
) -> Case:
    """Another person of the clip (:func:`pick_donor`, its body-box patch, walking: its own
    frames in turn), 1.1x the subject's height and standing 5 % lower (nearer the camera),
    crosses in front from left to right over ``cross`` frames from ``start``; its head box
    is another person's head. Windows: ``during`` (overlapping the subject), ``hidden``
    (covering >= HIDDEN_COVER of the body box: expected absent) and ``after``."""
    ks = subject_run(clip, subject_id)[: start + cross + after]
    if len(ks) <= start + cross:
        raise ValueError(f"{_name(clip, subject_id)}: too short for a passer-by")
    donor = pick_donor(clip, subject_id)
    dks = subject_run(clip, donor)
    dtrack, track = clip.seq.track_of(donor), clip.seq.track_of(subject_id)
    placed: dict[int, tuple[int, tuple[int, int, int, int], BoxXYWH]] = {}
    for i in range(start, start + cross):
        sb, dk = track[ks[i]].box, dks[(i - start) % len(dks)]
        db = dtrack[dk].box
        s = 1.1 * sb[3] / db[3]
        pw, ph = max(2, round(db[2] * s)), max(2, round(sb[3] * 1.1))
        span = (sb[2] + pw) / 2.0 + 2.0
        cx = sb[0] + sb[2] / 2.0 + span * (-1.0 + 2.0 * (i - start) / (cross - 1))
        x, y = round(cx - pw / 2.0), round(sb[1] + sb[3] * 1.05 - ph)
        head = dtrack[dk].part("head")
        hb = (x, y, pw, ph) if head is None else (
            x + (head.box[0] - db[0]) * s, y + (head.box[1] - db[1]) * s, head.box[2] * s, head.box[3] * s)
        placed[i] = (dk, (x, y, pw, ph), hb)

    def render(i: int) -> np.ndarray:
        img = clip.images[ks[i]]
        if i not in placed:
            return img
        dk, (x, y, pw, ph), hb = placed[i]
        r = pixel_rect(dtrack[dk].box, clip.width, clip.height)
        assert r is not None
        patch = cv2.resize(clip.images[dk][r[1] : r[3], r[0] : r[2]], (pw, ph), interpolation=cv2.INTER_LINEAR)
        if recolour_clothes:
            patch = recolour(patch, int(round(hb[1] + hb[3] - y)))
        return paste_patch(img, patch, x, y, feather=4)

    truth = []
    during, hidden = [], []
    for i, k in enumerate(ks):
        if i not in placed:
            truth.append(frame_truth(clip, k, subject_id))
            continue
        _, pbox, hb = placed[i]
        cov = coverage(track[k].box, pbox)
        during += [i] if cov > 0 else []
        hidden += [i] if cov >= HIDDEN_COVER else []
        truth.append(frame_truth(clip, k, subject_id, absent=cov >= HIDDEN_COVER, covered=pbox, extra_heads=(hb,)))
    windows = {"all": tuple(range(1, len(ks))), "during": tuple(during), "hidden": tuple(hidden),
               "after": tuple(range(start + cross, len(ks)))}
    name = "recolour" if recolour_clothes else "passerby"
    return Case(name, name, _name(clip, subject_id), track[ks[0]].box, tuple(truth), windows, render)


def camera(clip: Clip, subject_id: int, motion: str, length: int = LENGTH) -> Case:
    """Camera motion, ground truth moved with the picture (border filled black):
    ``"jump45"`` / ``"jump60"`` (one jump at frame 20 of 45 / 60 px along (0.8, 0.6)),
    ``"shake10"`` (Gaussian offsets sd 10 px, seed 12) or ``"pan15"`` (10 frames of 15 px
    each from frame 20). Jumps and pans move the subject towards the frame centre."""
    ks = subject_run(clip, subject_id)[:length]
    n = len(ks)
    track = clip.seq.track_of(subject_id)
    cx, cy = track[ks[0]].box[0] + track[ks[0]].box[2] / 2, track[ks[0]].box[1] + track[ks[0]].box[3] / 2
    sx, sy = (1 if cx < clip.width / 2 else -1), (1 if cy < clip.height / 2 else -1)
    if motion in ("jump45", "jump60"):
        d = int(motion[4:])
        off = jump_offsets(n, START, sx * round(0.8 * d), sy * round(0.6 * d))
    elif motion == "shake10":
        off = shake_offsets(n, 10.0, SEED)
    elif motion == "pan15":
        off = pan_offsets(n, START, 10, sx * 15)
    else:
        raise ValueError(f"motion must be jump45, jump60, shake10 or pan15, got {motion!r}")
    offs = [(int(a), int(b)) for a, b in off]
    truth = tuple(frame_truth(clip, k, subject_id, offset=offs[i]) for i, k in enumerate(ks))
    return Case(motion, "camera", _name(clip, subject_id), track[ks[0]].box, truth,
                {"all": tuple(range(1, n)), "after": tuple(range(START, n))},
                lambda i: shift_image(clip.images[ks[i]], *offs[i]))


def loose(clip: Clip, subject_id: int, factor: float, length: int = LENGTH) -> Case:
    """The unmodified clip started from the true box scaled ``factor`` about its centre."""
    base = baseline(clip, subject_id, length)
    return Case(f"loose{factor:g}", "loose", base.subject, scale_box(base.init_box, factor), base.truth,
                base.windows, base.render)


def still(clip: Clip, subject_id: int, copies: int = 40) -> Case:
    """``copies`` identical copies of the subject's first wholly visible frame."""
    k = subject_run(clip, subject_id)[0]
    t = frame_truth(clip, k, subject_id)
    return Case("still", "still", _name(clip, subject_id), clip.seq.frames[k].get(subject_id).box,
                (t,) * copies, {"all": tuple(range(1, copies))}, lambda i: clip.images[k])


#: kind -> builders of its cases (``clip, subject_id -> Case``), in report order.
KINDS: dict[str, tuple[Callable[[Clip, int], Case], ...]] = {
    "baseline": (baseline,),
    "occlusion": tuple((lambda c, s, n=n: occlusion(c, s, n)) for n in (8, 25, 50)),
    "absence": (absence,),
    "passerby": (passer_by,),
    "recolour": (lambda c, s: passer_by(c, s, recolour_clothes=True),),
    "camera": tuple((lambda c, s, m=m: camera(c, s, m)) for m in ("jump45", "jump60", "shake10", "pan15")),
    "loose": tuple((lambda c, s, f=f: loose(c, s, f)) for f in (1.5, 2.0)),
    "still": (still,),
}
