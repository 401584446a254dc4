"""Oxford Town Centre clip ground truth (``clip_*_gt.csv``): body box + head box per person.

Columns (header row required): ``clip_frame0`` (0-based video index), ``towncentre_frame``,
``person_id``, ``headValid``, ``bodyValid``, ``headLeft``, ``headTop``, ``headRight``,
``headBottom``, ``bodyLeft``, ``bodyTop``, ``bodyRight``, ``bodyBottom`` (left/top/right/bottom
pixels). The body box becomes the subject box, the head box the part ``"head"``.

Choices (see docs/formats.md):

* ``headValid == 0``: the head is located but not reliably seen -> ``PartBox(visible=False)``;
  if its box is also degenerate (non-positive size) the head is *not annotated* (key missing).
* ``bodyValid == 0``: the subject is kept with ``visibility = 0.0`` (occluded).
  (In the three shipped clips every row has ``headValid == bodyValid == 1``.)
* boxes partly outside the frame are kept; a box entirely outside it, or a valid box with
  non-positive size, is a ParseError.
* ``clip_frame0 - towncentre_frame`` must be the same on every row (one alignment per clip);
  a name ``clip_f0249_n149`` / ``clip_fm004_n126`` fixes it to ``-249`` / ``+4`` and the
  clip length to 149 / 126 frames.
* the annotated frames are ``min..max`` of ``clip_frame0`` (a frame inside that range with
  no rows is annotated-empty); frames outside it are not annotated.
"""

from __future__ import annotations

import re
from pathlib import Path

from parttrack.data.mot import (
    MAX_FRAMES,
    check_in_frame,
    field_float,
    field_int,
    read_lines,
    sequence_info_from_video,
)
from parttrack.data.types import (
    AnnotatedSequence,
    BoxXYWH,
    FrameAnnotation,
    PartBox,
    SequenceInfo,
    Subject,
)
from parttrack.errors import ParseError

COLUMNS = (
    "clip_frame0",
    "towncentre_frame",
    "person_id",
    "headValid",
    "bodyValid",
    "headLeft",
    "headTop",
    "headRight",
    "headBottom",
    "bodyLeft",
    "bodyTop",
    "bodyRight",
    "bodyBottom",
)
WIDTH, HEIGHT, FPS = 1920, 1080, 25.0  # the Town Centre video, used when no video is given
_NAME = re.compile(r"clip_f(m?)(\d+)_n(\d+)")


def clip_alignment(stem: str) -> tuple[int, int] | None:
    """``(offset, num_frames)`` encoded in a clip name, ``offset = clip_frame0 -
    towncentre_frame``: ``clip_f0249_n149`` -> ``(-249, 149)``, ``clip_fm004_n126`` -> ``(4, 126)``;
    None for other names."""
    m = _NAME.fullmatch(stem)
    if m is None:
        return None
    start = int(m.group(2)) * (-1 if m.group(1) else 1)
    return -start, int(m.group(3))


def _ltrb(vals: list[float]) -> BoxXYWH:
    left, top, right, bottom = vals
    return left, top, right - left, bottom - top


def _flag(value: str, what: str, path: Path, line: int) -> bool:
    v = field_int(value, what, path, line)
    if v not in (0, 1):
        raise ParseError(f"{what} must be 0 or 1, got {value.strip()!r}", path, line)
    return v == 1


def read_towncentre(csv_path: str | Path, video: str | Path | None = None) -> AnnotatedSequence:
    """Read a Town Centre clip ground-truth CSV into a :class:`AnnotatedSequence` (parts: ``head``).

    Args:
        csv_path: ``clip_*_gt.csv``.
        video: the clip's video (sets ``info.source`` and the geometry, and its frame count
            bounds ``clip_frame0``); without it 1920x1080 at 25 fps and the length from the
            clip name (else the last annotated frame + 1) are assumed.

    Returns:
        AnnotatedSequence keyed by 0-based clip video index; ``info.part_names == ("head",)``.

    Raises:
        ParseError: (file and 1-based line) a missing/wrong header, wrong column count,
            non-numbers, NaN/inf, flags other than 0/1, non-positive sizes, boxes entirely
            outside the frame, duplicate ids in a frame, frames out of range, or an
            alignment that differs between rows or from the clip name.
        VideoError: ``video`` cannot be opened.
    """
    path = Path(csv_path)
    stem = path.stem[:-3] if path.stem.endswith("_gt") else path.stem
    named = clip_alignment(stem)
    if video is not None:
        info = sequence_info_from_video(video, stem)
    else:
        info = SequenceInfo(stem, WIDTH, HEIGHT, FPS, named[1] if named else 0, None)
    info = SequenceInfo(info.name, info.width, info.height, info.fps, info.num_frames, info.source, ("head",))

    lines = read_lines(path)
    header = [c.strip() for c in lines[0].split(",")]
    if tuple(header) != COLUMNS:
        raise ParseError(f"missing or wrong header row: expected {','.join(COLUMNS)}", path, 1)
    offset = None if named is None else (named[0], "the clip name")
    rows: dict[int, dict[int, Subject]] = {}
    for no, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        cols = text.split(",")
        if len(cols) != len(COLUMNS):
            raise ParseError(f"expected {len(COLUMNS)} columns, got {len(cols)}", path, no)
        k = field_int(cols[0], "clip_frame0", path, no)
        gt_frame = field_int(cols[1], "towncentre_frame", path, no)
        pid = field_int(cols[2], "person_id", path, no)
        head_valid = _flag(cols[3], "headValid", path, no)
        body_valid = _flag(cols[4], "bodyValid", path, no)
        nums = [field_float(c, n, path, no) for c, n in zip(cols[5:], COLUMNS[5:], strict=True)]
        if k < 0 or k >= (info.num_frames or MAX_FRAMES):
            raise ParseError(f"clip_frame0 {k} is out of range 0..{(info.num_frames or MAX_FRAMES) - 1}", path, no)
        if offset is None:
            offset = (k - gt_frame, f"line {no}")
        elif k - gt_frame != offset[0]:
            raise ParseError(
                f"clip_frame0 - towncentre_frame = {k - gt_frame}, but {offset[0]} from {offset[1]}", path, no
            )
        body = _ltrb(nums[4:])
        check_in_frame(body, info.width, info.height, f"body box of person {pid}", path, no)
        head_box = _ltrb(nums[:4])
        head: PartBox | None = None
        if head_valid or (head_box[2] > 0 and head_box[3] > 0):
            check_in_frame(head_box, info.width, info.height, f"head box of person {pid}", path, no)
            head = PartBox(head_box, visible=head_valid)
        frame_rows = rows.setdefault(k, {})
        if pid in frame_rows:
            raise ParseError(f"person {pid} appears twice in clip frame {k}", path, no)
        parts = {} if head is None else {"head": head}
        frame_rows[pid] = Subject(pid, body, 1.0 if body_valid else 0.0, parts)
    if info.num_frames <= 0:  # no video, no name: as long as the annotations
        if not rows:
            raise ParseError("no annotation rows and no video to give the clip length", path)
        n = max(rows) + 1
        info = SequenceInfo(info.name, info.width, info.height, info.fps, n, info.source, info.part_names)
    frames = {}
    if rows:
        for k in range(min(rows), max(rows) + 1):
            subs = rows.get(k, {})
            frames[k] = FrameAnnotation(k, tuple(subs[i] for i in sorted(subs)))
    return AnnotatedSequence(info, frames)
