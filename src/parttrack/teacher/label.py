"""Teacher labelling of a video: ``parttrack label`` (run teacher -> heads/eyes -> identities -> JSONL).

Two modes:

* **free** (no ground truth): every person the teacher finds gets a body box, a ``head`` part
  and an ``eye`` part; people are linked into identities (:mod:`parttrack.teacher.linking`)
  and only confident, unambiguous segments are written.
* **boxes** (``boxes=gt.txt``, MOTChallenge): the given body boxes and identities are kept and
  the teacher's people are paired to them (Hungarian on IoU); a given box no teacher person
  fits is looked at again in a crop around it. Boxes left unpaired keep no part (not
  annotated).

Every label carries the teacher's confidence (subject: person score; head: mean head
keypoint score; eye: best eye score). Eyes of someone seen from behind are annotated absent
(``null``), unsure eyes are left unannotated ([0028]: unannotated parts are masked out).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from parttrack.data.jsonl import write_sequence
from parttrack.data.types import (
    AnnotatedSequence,
    BoxXYWH,
    FrameAnnotation,
    PartBox,
    SequenceInfo,
    Subject,
)
from parttrack.data.video import open_video
from parttrack.errors import ParttrackError, UsageError
from parttrack.teacher.heads import HeadParams, eye_part, faces_away, head_from_keypoints
from parttrack.teacher.linking import LinkParams, link
from parttrack.teacher.movenet import (
    MoveNet,
    People,
    TileSpec,
    box_iou,
    detect_region,
    focus_rect,
    parse_tile,
)

PART_NAMES = ("head", "eye")
MIN_SIDE = 2.0  # px: teacher boxes thinner than this are dropped (degenerate)


@dataclass(frozen=True)
class LabelSummary:
    """What :func:`label_video` did: frames run, subjects and head labels written, identities,
    wall seconds, and the output path."""

    frames: int
    subjects: int
    heads: int
    identities: int
    seconds: float
    out: Path


def xyxy_to_xywh(b: np.ndarray) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` -> ``(x, y, w, h)`` floats rounded to 0.01 px."""
    return (round(float(b[0]), 2), round(float(b[1]), 2), round(float(b[2] - b[0]), 2), round(float(b[3] - b[1]), 2))


def person_parts(keypoints: np.ndarray, box: np.ndarray, params: HeadParams = HeadParams()) -> dict[str, PartBox | None]:
    """The ``head`` and ``eye`` parts of one teacher person (missing key = not annotated).

    Args:
        keypoints: ``(17, 3)`` ``(x, y, score)`` pixels.
        box: ``(4,)`` xyxy body box pixels.
    """
    head = head_from_keypoints(keypoints, box, params)
    if head is None:
        return {}
    parts: dict[str, PartBox | None] = {"head": PartBox(_round(head.box), True, round(head.score, 4))}
    eye = eye_part(head)
    if eye is not None:
        parts["eye"] = PartBox(_round(eye[0]), eye[1], round(eye[2], 4))
    elif faces_away(keypoints, params):
        parts["eye"] = None
    return parts


def _round(box: Iterable[float]) -> tuple[float, float, float, float]:
    return tuple(round(float(v), 2) for v in box)  # type: ignore[return-value]


def _valid(people: People) -> People:
    wh = people.boxes[:, 2:] - people.boxes[:, :2]
    return people.take(np.flatnonzero((wh >= MIN_SIDE).all(axis=1)))


def free_labels(
    dets: dict[int, People], info: SequenceInfo, link_params: LinkParams = LinkParams(),
    head_params: HeadParams = HeadParams(),
) -> AnnotatedSequence:
    """Labels from the teacher alone: link people into identities, keep the safe segments.

    Args:
        dets: frame index -> the teacher's people in that frame.
        info: the sequence geometry (``part_names`` is set to ``("head", "eye")``).

    Returns:
        An AnnotatedSequence whose every linked frame is annotated (people outside kept segments are
        left out, so a frame lists only the identities kept there).
    """
    ks = sorted(dets)
    people = {k: _valid(dets[k]) for k in ks}
    segments = link(ks, [people[k].boxes for k in ks], [people[k].scores for k in ks], link_params)
    subjects: dict[int, list[Subject]] = {k: [] for k in ks}
    for seg in segments:
        for k, i in seg.frames.items():
            p = people[k]
            parts = person_parts(p.keypoints[i], p.boxes[i], head_params)
            subjects[k].append(Subject(seg.id, xyxy_to_xywh(p.boxes[i]), 1.0, parts, round(float(p.scores[i]), 4)))
    frames = {k: FrameAnnotation(k, tuple(sorted(s, key=lambda x: x.id))) for k, s in subjects.items()}
    return AnnotatedSequence(_with_parts(info), frames)


def head_points(people: People, params: HeadParams = HeadParams()) -> np.ndarray:
    """``(N, 2)`` head point of each person (NaN where the keypoints give no head)."""
    out = np.full((len(people), 2), np.nan)
    for i in range(len(people)):
        head = head_from_keypoints(people.keypoints[i], people.boxes[i], params)
        if head is not None:
            out[i] = head.point
    return out


def fits_top(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``(G, N)`` bool: point ``n`` ``(N, 2)`` lies in the top of body box ``g`` ``(G, 4)`` xyxy
    (inside it horizontally, between 10 % of its height above it and 30 % below its top)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)[:, None, :]
    p = np.asarray(points, np.float64).reshape(-1, 2)[None, :, :]
    h = b[..., 3] - b[..., 1]
    with np.errstate(invalid="ignore"):
        return ((p[..., 0] >= b[..., 0]) & (p[..., 0] <= b[..., 2])
                & (p[..., 1] >= b[..., 1] - 0.1 * h) & (p[..., 1] <= b[..., 1] + 0.3 * h))


def pair_boxes(
    given: np.ndarray, found: np.ndarray, heads: np.ndarray | None = None, min_iou: float = 0.3
) -> list[tuple[int, int]]:
    """Pair given body boxes ``(G, 4)`` with teacher people (boxes ``(N, 4)``, xyxy; head points
    ``(N, 2)`` or None): Hungarian on IoU + 0.5 when the head sits at the top of the given box
    (:func:`fits_top`). A pair needs IoU >= ``min_iou``, or IoU >= 0.1 and a fitting head.

    Returns:
        ``(given index, teacher index)`` pairs.
    """
    iou = box_iou(given, found)
    if iou.size == 0:
        return []
    fit = np.zeros(iou.shape, bool) if heads is None else fits_top(heads, given)
    ok = (iou >= min_iou) | (fit & (iou >= 0.1))
    affinity = np.where(ok, iou + 0.5 * fit, -1e3)
    rows, cols = linear_sum_assignment(-affinity)
    return [(int(g), int(n)) for g, n in zip(rows, cols, strict=True) if ok[g, n]]


def box_labels(
    dets: dict[int, People], gt: AnnotatedSequence, head_params: HeadParams = HeadParams(), min_iou: float = 0.3
) -> AnnotatedSequence:
    """Labels on given body boxes: each given subject keeps its id and box and gets the head
    and eye of the teacher person paired with it (:func:`pair_boxes`) when that head fits the
    box (:func:`head_fits`); others get no parts (not annotated). Frames the teacher did not
    run on are left out."""
    frames: dict[int, FrameAnnotation] = {}
    for k in sorted(dets):
        fa = gt.frames.get(k)
        if fa is None:
            continue
        p = _valid(dets[k])
        given = np.array([[s.box[0], s.box[1], s.box[0] + s.box[2], s.box[1] + s.box[3]] for s in fa.subjects]).reshape(-1, 4)
        match = dict(pair_boxes(given, p.boxes, head_points(p, head_params), min_iou))
        subs = []
        for g, s in enumerate(fa.subjects):
            parts = {} if g not in match else person_parts(p.keypoints[match[g]], p.boxes[match[g]], head_params)
            if parts and not head_fits(parts["head"].box, s.box):  # not this person's head
                parts = {}
            if parts:
                subs.append(Subject(s.id, s.box, s.visibility, parts, round(float(p.scores[match[g]]), 4)))
            else:
                subs.append(Subject(s.id, s.box, s.visibility, {}))
        frames[k] = FrameAnnotation(k, tuple(subs))
    return AnnotatedSequence(_with_parts(gt.info), frames, gt.subject_id)


def head_fits(head: BoxXYWH, body: BoxXYWH) -> bool:
    """Whether a head box's centre lies inside the given body box, in its top 30 % (boxes
    mode sanity check: a head taken from an occluder is dropped)."""
    cx, cy = head[0] + head[2] / 2, head[1] + head[3] / 2
    return body[0] <= cx <= body[0] + body[2] and body[1] - 0.1 * body[3] <= cy <= body[1] + 0.3 * body[3]


def _with_parts(info: SequenceInfo) -> SequenceInfo:
    return SequenceInfo(info.name, info.width, info.height, info.fps, info.num_frames, info.source, PART_NAMES)


def refine(net: MoveNet, image: np.ndarray, people: People, given: np.ndarray, min_iou: float = 0.3) -> People:
    """Second looks for given boxes ``(G, 4)`` xyxy: each one left unpaired by
    :func:`pair_boxes` (often a person half hidden behind another) gets a teacher call on a
    crop around it (:func:`detect_region`); the crop's person that pairs best with it, and is
    not someone the full pass already has (IoU >= 0.5), is added."""
    extra: list[People] = []
    h, w = image.shape[:2]
    paired = {g for g, _ in pair_boxes(given, people.boxes, head_points(people), min_iou)}
    for g in range(len(given)):
        rect = None if g in paired else focus_rect(given[g], w, h)
        if rect is None:
            continue
        found = detect_region(net, image, rect)
        if len(found) and len(people):
            found = found.take(np.flatnonzero(box_iou(found.boxes, people.boxes).max(axis=1) < 0.5))
        best = pair_boxes(given[g : g + 1], found.boxes, head_points(found), min_iou) if len(found) else []
        if best:
            extra.append(found.take([best[0][1]]))
    if not extra:
        return people
    return People(
        np.concatenate([people.keypoints] + [e.keypoints for e in extra]),
        np.concatenate([people.boxes] + [e.boxes for e in extra]),
        np.concatenate([people.scores] + [e.scores for e in extra]),
    )


def detect_video(
    video: str | Path, net: MoveNet, start: int = 0, end: int | None = None, step: int = 1,
    tile: str | TileSpec = "auto", given: AnnotatedSequence | None = None,
    progress: Callable[[int, int], None] | None = None, scale: float | None = None,
) -> tuple[SequenceInfo, dict[int, People]]:
    """Run the teacher on frames ``start, start + step, ... <= end`` of a video.

    Args:
        given: body boxes to look again at (boxes mode), or None.
        progress: called as ``progress(done, total)`` after each frame.
        scale: resize factor before the teacher (None: the tiling's own; with a ``tile`` string).

    Returns:
        The video geometry and frame index -> People (original-frame pixels).

    Raises:
        VideoError: missing, corrupt or unreadable video. UsageError: bad ``tile``/``step``/``scale``.
    """
    if step < 1:
        raise UsageError(f"--step must be >= 1, got {step}")
    dets: dict[int, People] = {}
    with open_video(video, start=start, end=end) as src:
        vi = src.info
        try:
            spec = parse_tile(tile, vi.width, vi.height, scale) if isinstance(tile, str) else tile
        except ValueError as e:
            raise UsageError(str(e)) from None
        last = (vi.num_frames or start + 1) - 1 if end is None else min(end, (vi.num_frames or end + 1) - 1)
        total = len(range(start, last + 1, step))
        for fr in src.frames(lambda k: (k - start) % step == 0):
            people = net.detect(fr.image, spec)
            if given is not None and (fa := given.frames.get(fr.index)) is not None and fa.subjects:
                boxes = np.array([[s.box[0], s.box[1], s.box[0] + s.box[2], s.box[1] + s.box[3]] for s in fa.subjects])
                people = refine(net, fr.image, people, boxes)
            dets[fr.index] = people
            if progress is not None:
                progress(len(dets), total)
    info = SequenceInfo(Path(str(video)).stem, vi.width, vi.height, vi.fps, vi.num_frames or (max(dets, default=0) + 1), str(video))
    return info, dets


def check_output(out: str | Path) -> Path:
    """Refuse an output path we cannot write (before any work): a folder, or a parent folder
    that is not writable. Raises ParttrackError naming the path."""
    out = Path(out)
    if out.is_dir():
        raise ParttrackError("output is a folder, not a file", out)
    parent = out.parent if str(out.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ParttrackError(f"output folder {probe} is not writable", out)
    return out


def label_video(
    video: str | Path, teacher: str | Path | MoveNet, out: str | Path, boxes: str | Path | None = None,
    start: int = 0, end: int | None = None, step: int = 1, tile: str | TileSpec = "auto",
    threads: int | None = None, link_params: LinkParams = LinkParams(), head_params: HeadParams = HeadParams(),
    progress: bool = True, scale: float | None = None,
) -> LabelSummary:
    """Label a video with the teacher and write parttrack JSONL (atomically).

    Args:
        video: video file or image folder.
        teacher: the MoveNet MultiPose ``.onnx`` file (or a loaded :class:`MoveNet`).
        out: the ``.jsonl`` to write (``source`` points at ``video``).
        boxes: a MOTChallenge ``gt.txt`` whose body boxes and ids to keep (its
            ``seqinfo.ini`` is read when it sits beside it), or None for free mode.
        start, end: 0-based frame range (end inclusive, None = last). step: every n-th frame.
        tile: ``auto``, ``none``, ``WxH`` or a :class:`TileSpec`.
        scale: resize factor of frames before the teacher (None: ``auto``'s choice, else 1;
            :func:`~parttrack.teacher.movenet.parse_tile`); labels stay in original pixels.
        threads: onnxruntime intra-op threads (None: default).
        progress: show a progress bar on stderr.

    Raises:
        TeacherError: bad teacher file. VideoError: bad video. ParseError: bad boxes file.
        ParttrackError: output not writable. UsageError: bad range/tile/step/scale.
    """
    from parttrack.data.mot import read_mot

    t0 = time.perf_counter()
    out = check_output(out)
    net = teacher if isinstance(teacher, MoveNet) else MoveNet(teacher, threads=threads)
    gt = None
    if boxes is not None:
        seqinfo = Path(boxes).parent / "seqinfo.ini"
        gt = read_mot(boxes, seqinfo if seqinfo.is_file() else None, video=video)
    if progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("labelling"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False) as bar:
            task = bar.add_task("label", total=None)
            info, dets = detect_video(video, net, start, end, step, tile, gt,
                                      lambda done, total: bar.update(task, completed=done, total=total), scale)
    else:
        info, dets = detect_video(video, net, start, end, step, tile, gt, scale=scale)
    seq = free_labels(dets, info, link_params, head_params) if gt is None else box_labels(dets, gt, head_params)
    write_sequence(seq, out)
    subjects = [s for fa in seq.frames.values() for s in fa.subjects]
    return LabelSummary(
        frames=len(dets), subjects=len(subjects), heads=sum(1 for s in subjects if s.parts.get("head")),
        identities=len({s.id for s in subjects}), seconds=time.perf_counter() - t0, out=out,
    )
