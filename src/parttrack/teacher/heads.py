"""Head box, head point and eye points from one person's 17 COCO keypoints (pure functions).

The head point is the mean of the confident head keypoints (nose, eyes, ears) lifted by a
fixed fraction of the head height (face keypoints sit below the centre of a head box that
includes the hair). The head height comes from the widest cue available: ear-to-ear
distance, shoulder width, or the body box height; all three shrink (never grow) when a person
turns sideways or is cut by the frame, so the largest estimate is the most reliable. The
ratios were fitted on Town Centre clip ``clip_fm004_n126`` (see docs/teacher.md).

The ``eye`` part follows parttrack's convention (synthetic generator, [0028]): one box around
the visible eyes, ``None`` (annotated absent) when the person faces away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parttrack.data.types import BoxXYWH

NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER = range(7)
HEAD_KEYPOINTS = (NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR)

Point = tuple[float, float]


@dataclass(frozen=True)
class HeadParams:
    """Knobs of the head geometry (ratios fitted on Town Centre ``clip_fm004_n126``).

    Attributes:
        min_keypoint: a keypoint counts when its score is at least this.
        min_head_keypoints: fewest confident head keypoints for a head.
        eye_visible: an eye is visible when its score is at least this.
        per_ear: head height / ear-to-ear distance.
        per_shoulder: head height / shoulder width.
        per_body: head height / body box height.
        aspect: head box width / height.
        lift: head centre above the mean head keypoint, in head heights.
    """

    min_keypoint: float = 0.25
    min_head_keypoints: int = 1
    eye_visible: float = 0.35
    per_ear: float = 1.45
    per_shoulder: float = 0.6
    per_body: float = 0.12
    aspect: float = 0.92
    lift: float = 0.04


@dataclass(frozen=True)
class Eye:
    """One eye: ``point`` (x, y) pixels, teacher ``score``, ``visible`` (score >= eye_visible)."""

    point: Point
    score: float
    visible: bool


@dataclass(frozen=True)
class Head:
    """One person's head.

    Attributes:
        point: head centre (x, y) pixels.
        box: head box (x, y, w, h) pixels.
        score: mean score of the head keypoints used, in [0, 1].
        size_from: which cue gave the head height: ``ears``, ``shoulders`` or ``body``.
        eyes: (left, right) eye, each an :class:`Eye` or None when not located.
    """

    point: Point
    box: BoxXYWH
    score: float
    size_from: str
    eyes: tuple[Eye | None, Eye | None]


def head_height(keypoints: np.ndarray, body_box: np.ndarray, params: HeadParams = HeadParams()) -> tuple[float, str]:
    """Head height in pixels from the widest available cue.

    Args:
        keypoints: ``(17, 3)`` ``(x, y, score)`` pixels.
        body_box: ``(4,)`` person box ``(x0, y0, x1, y1)`` pixels.

    Returns:
        ``(height, cue)``: the largest of ``per_ear * ear distance`` (both ears confident),
        ``per_shoulder * shoulder width`` (both shoulders confident) and
        ``per_body * box height``, and which it was.
    """
    kp = np.asarray(keypoints, np.float64)
    ok = kp[:, 2] >= params.min_keypoint
    cues = [(params.per_body * float(body_box[3] - body_box[1]), "body")]
    if ok[LEFT_EAR] and ok[RIGHT_EAR]:
        cues.append((params.per_ear * float(np.hypot(*(kp[LEFT_EAR, :2] - kp[RIGHT_EAR, :2]))), "ears"))
    if ok[LEFT_SHOULDER] and ok[RIGHT_SHOULDER]:
        d = float(np.hypot(*(kp[LEFT_SHOULDER, :2] - kp[RIGHT_SHOULDER, :2])))
        cues.append((params.per_shoulder * d, "shoulders"))
    return max(cues, key=lambda c: c[0])


def head_from_keypoints(
    keypoints: np.ndarray, body_box: np.ndarray, params: HeadParams = HeadParams()
) -> Head | None:
    """The head of one person, or None when too few head keypoints are confident.

    Args:
        keypoints: ``(17, 3)`` ``(x, y, score)`` pixels (COCO order).
        body_box: ``(4,)`` person box ``(x0, y0, x1, y1)`` pixels.

    Returns:
        A :class:`Head`: centre = mean of the confident head keypoints, raised by
        ``lift * height``; box ``aspect * height`` wide and ``height`` tall around it.
    """
    kp = np.asarray(keypoints, np.float64)
    idx = [i for i in HEAD_KEYPOINTS if kp[i, 2] >= params.min_keypoint]
    if len(idx) < max(1, params.min_head_keypoints):
        return None
    h, cue = head_height(kp, np.asarray(body_box, np.float64), params)
    if not h > 0:
        return None
    cx = float(kp[idx, 0].mean())
    cy = float(kp[idx, 1].mean()) - params.lift * h
    w = params.aspect * h
    eyes = tuple(
        Eye((float(kp[i, 0]), float(kp[i, 1])), float(kp[i, 2]), bool(kp[i, 2] >= params.eye_visible))
        if kp[i, 2] >= params.min_keypoint else None
        for i in (LEFT_EYE, RIGHT_EYE)
    )
    return Head((cx, cy), (cx - w / 2, cy - h / 2, w, h), float(kp[idx, 2].mean()), cue, eyes)  # type: ignore[arg-type]


def eye_part(head: Head) -> tuple[BoxXYWH, bool, float] | None:
    """parttrack's ``eye`` part for a head: one box around the located eyes.

    Width = eye span + 0.32 head widths, height = 0.24 head heights (as the synthetic
    generator draws it), centred on the eyes.

    Returns:
        ``(box, visible, score)`` (visible when any eye is; score = best eye score), or None
        when no eye is located (facing away, or unsure).
    """
    eyes = [e for e in head.eyes if e is not None]
    if not eyes:
        return None
    hw, hh = head.box[2], head.box[3]
    xs = [e.point[0] for e in eyes]
    ys = [e.point[1] for e in eyes]
    ew, eh = max(xs) - min(xs) + 0.32 * hw, 0.24 * hh
    cx, cy = (max(xs) + min(xs)) / 2, sum(ys) / len(ys)
    return (cx - ew / 2, cy - eh / 2, ew, eh), any(e.visible for e in eyes), max(e.score for e in eyes)


def faces_away(keypoints: np.ndarray, params: HeadParams = HeadParams()) -> bool:
    """True when the ears are seen but the nose and both eyes are not (the back of the head):
    the eyes are then annotated absent rather than left unannotated."""
    s = np.asarray(keypoints, np.float64)[:, 2]
    seen = s >= params.min_keypoint
    unseen = s < 0.5 * params.min_keypoint
    return bool((seen[LEFT_EAR] or seen[RIGHT_EAR]) and unseen[NOSE] and unseen[LEFT_EYE] and unseen[RIGHT_EYE])
