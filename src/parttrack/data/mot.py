"""MOTChallenge ground truth (``gt.txt`` + ``seqinfo.ini``) and tracking-result files.

``gt.txt`` rows are ``frame,id,left,top,width,height,conf,x,y,z`` (MOT15, 10 columns) or
``frame,id,left,top,width,height,conf,class,visibility`` (MOT16/17/20, 9 columns), with
1-based frames: MOT frame ``f`` is 0-based video frame ``k = f - 1``. Choices (see
docs/formats.md):

* rows with ``conf == 0`` are dropped (MOTChallenge's "ignore" flag); every other value is
  kept. The TUD-Campus and TUD-Stadtmitte files have ``conf == 1`` on every row.
* MOT data has no part boxes: ``part_names == ()`` and every subject's ``parts`` is empty
  (not annotated, so part losses are masked out, [0028]).
* the ground truth is exhaustive: every frame of the sequence is annotated (a frame without
  rows is an annotated frame with nobody in it).
* ``visibility`` is 1.0 for MOT15 and the 9th column (clipped to [0, 1]) for MOT16+.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from parttrack.atomic import write_text
from parttrack.data.types import AnnotatedSequence, BoxXYWH, FrameAnnotation, SequenceInfo, Subject
from parttrack.errors import ParseError

MAX_FRAMES = 1_000_000  # longest sequence a reader accepts (11 h at 25 fps): guards memory


# -- helpers shared with the Town Centre reader ---------------------------------------------
def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file (BOM and ``\\r`` stripped); ParseError on failure."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ParseError(f"cannot read file: {e.strerror or e}", path) from None
    lines = []
    for no, raw in enumerate(data.split(b"\n"), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ParseError(f"not UTF-8 text ({e.reason})", path, no) from None
        if "\x00" in text:
            raise ParseError("binary data (NUL byte) in a text file", path, no)
        lines.append(text.lstrip("\ufeff") if no == 1 else text.rstrip("\r"))
    lines[0] = lines[0].rstrip("\r")
    return lines


def field_float(value: str, what: str, path: Path, line: int) -> float:
    """Parse a finite float; ParseError naming ``what``, the file and the line otherwise."""
    try:
        v = float(value)
    except ValueError:
        raise ParseError(f"{what} is not a number: {value.strip()[:40]!r}", path, line) from None
    if not math.isfinite(v):
        raise ParseError(f"{what} must be finite, got {value.strip()!r}", path, line)
    return v


def field_int(value: str, what: str, path: Path, line: int) -> int:
    """Parse an integer (``"3"`` or ``"3.0"``); ParseError otherwise."""
    v = field_float(value, what, path, line)
    if v != int(v):
        raise ParseError(f"{what} must be an integer, got {value.strip()!r}", path, line)
    return int(v)


def check_in_frame(box: BoxXYWH, width: int, height: int, what: str, path: Path, line: int) -> None:
    """ParseError if ``box`` has non-positive size or lies entirely outside the frame
    (boxes partly outside are kept: people walk in and out)."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise ParseError(f"{what} must have positive width and height, got {w:g}x{h:g}", path, line)
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ParseError(f"{what} ({x:g}, {y:g}, {w:g}, {h:g}) lies entirely outside the {width}x{height} frame", path, line)


# -- seqinfo.ini ---------------------------------------------------------------------------
def read_seqinfo(path: str | Path) -> SequenceInfo:
    """Read a MOTChallenge ``seqinfo.ini`` (``[Sequence]`` with ``seqLength``, ``imWidth``,
    ``imHeight``, ``frameRate``; ``name`` defaults to the folder name).

    Returns:
        SequenceInfo with ``source=None`` and ``part_names=()``.

    Raises:
        ParseError: unreadable file, a malformed line, a missing key or a bad value.
    """
    path = Path(path)
    values: dict[str, tuple[str, int]] = {}
    section = None
    for no, text in enumerate(read_lines(path), start=1):
        s = text.strip()
        if not s or s[0] in ";#":
            continue
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
            continue
        if "=" not in s:
            raise ParseError(f"expected 'key=value' or '[Section]', got {s[:40]!r}", path, no)
        if section != "Sequence":
            raise ParseError("key outside the [Sequence] section", path, no)
        key, value = (t.strip() for t in s.split("=", 1))
        values[key] = (value, no)
    missing = [k for k in ("seqLength", "imWidth", "imHeight", "frameRate") if k not in values]
    if missing:
        raise ParseError(f"missing key(s) {missing} in [Sequence]", path)

    def positive(key: str, integer: bool) -> Any:
        value, no = values[key]
        v = field_int(value, key, path, no) if integer else field_float(value, key, path, no)
        if v <= 0:
            raise ParseError(f"{key} must be > 0, got {value!r}", path, no)
        return v

    name = values["name"][0] if "name" in values else path.parent.name
    if positive("seqLength", True) > MAX_FRAMES:
        raise ParseError(f"seqLength must be <= {MAX_FRAMES}", path, values["seqLength"][1])
    return SequenceInfo(
        name=name,
        width=positive("imWidth", True),
        height=positive("imHeight", True),
        fps=float(positive("frameRate", False)),
        num_frames=positive("seqLength", True),
    )


# -- gt.txt ----------------------------------------------------------------------------------
def sequence_info_from_video(video: str | Path, name: str) -> SequenceInfo:
    """Geometry of a video file or image folder as a SequenceInfo (``source`` = ``video``)."""
    from parttrack.data.video import open_video

    with open_video(video) as v:
        vi = v.info
    if vi.num_frames is None:
        raise ParseError("annotations need a video file or image folder, not a camera", str(video))
    return SequenceInfo(name, vi.width, vi.height, vi.fps, vi.num_frames, str(video))


def read_mot(
    gt_path: str | Path, seqinfo_path: str | Path | None = None, video: str | Path | None = None
) -> AnnotatedSequence:
    """Read a MOTChallenge ``gt.txt`` into a :class:`AnnotatedSequence` (body boxes, no parts).

    Args:
        gt_path: the ``gt.txt`` file (1-based frames).
        seqinfo_path: its ``seqinfo.ini`` (frame size, length, frame rate).
        video: the sequence's video file or image folder (sets ``info.source``; gives the
            geometry when there is no seqinfo.ini; must agree with it when there is).

    Returns:
        AnnotatedSequence with frames ``0 .. seqLength-1`` (video index = MOT frame - 1), all annotated.

    Raises:
        ParseError: (file and 1-based line) wrong column count, a non-number, NaN/inf, a
            non-integer frame or id, a non-positive size, a box entirely outside the frame,
            a duplicate id in a frame, a frame < 1 or > seqLength; or no geometry at all.
        VideoError: ``video`` cannot be opened.
    """
    gt_path = Path(gt_path)
    if seqinfo_path is not None:
        info = read_seqinfo(seqinfo_path)
        if video is not None:
            vinfo = sequence_info_from_video(video, info.name)
            if (vinfo.width, vinfo.height, vinfo.num_frames) != (info.width, info.height, info.num_frames):
                raise ParseError(
                    f"video {video} is {vinfo.width}x{vinfo.height}, {vinfo.num_frames} frames but "
                    f"seqinfo says {info.width}x{info.height}, {info.num_frames} frames",
                    seqinfo_path,
                )
            info = SequenceInfo(info.name, info.width, info.height, info.fps, info.num_frames, str(video))
    elif video is not None:
        info = sequence_info_from_video(video, gt_path.parent.name)
    else:
        raise ParseError("frame size and length unknown: give seqinfo.ini or the video", gt_path)

    rows: dict[int, dict[int, Subject]] = {k: {} for k in range(info.num_frames)}
    for no, text in enumerate(read_lines(gt_path), start=1):
        if not text.strip():
            continue
        cols = text.split(",")
        if len(cols) not in (9, 10):
            raise ParseError(
                f"expected 10 columns (frame,id,left,top,width,height,conf,x,y,z) or 9 (MOT16+), got {len(cols)}",
                gt_path,
                no,
            )
        frame = field_int(cols[0], "frame", gt_path, no)
        sid = field_int(cols[1], "id", gt_path, no)
        box = tuple(field_float(c, n, gt_path, no) for c, n in zip(cols[2:6], ("left", "top", "width", "height"), strict=True))
        conf = field_float(cols[6], "conf", gt_path, no)
        rest = [field_float(c, "column", gt_path, no) for c in cols[7:]]
        if not 1 <= frame <= info.num_frames:
            raise ParseError(f"frame {frame} is out of range 1..{info.num_frames}", gt_path, no)
        if conf == 0:  # MOTChallenge "ignore" row
            continue
        check_in_frame(box, info.width, info.height, f"box of id {sid}", gt_path, no)  # type: ignore[arg-type]
        visibility = 1.0 if len(cols) == 10 else min(1.0, max(0.0, rest[1]))
        k = frame - 1
        if sid in rows[k]:
            raise ParseError(f"id {sid} appears twice in frame {frame}", gt_path, no)
        rows[k][sid] = Subject(sid, box, visibility)  # type: ignore[arg-type]
    frames = {k: FrameAnnotation(k, tuple(subs[i] for i in sorted(subs))) for k, subs in rows.items()}
    return AnnotatedSequence(info, frames)


# -- results ---------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def write_mot_results(rows: Iterable[tuple[int, int, BoxXYWH, float]], path: str | Path) -> None:
    """Write tracking output as a MOTChallenge result file, atomically.

    Args:
        rows: ``(frame, id, (x, y, w, h), score)`` with ``frame`` the 0-based video index
            and the box in pixels; written sorted by (frame, id) as
            ``frame+1,id,x,y,w,h,score,-1,-1,-1`` (3 decimals).
        path: target ``.txt`` file.

    Raises:
        ValueError: a negative frame, a non-finite value or a non-positive box size.
    """
    out = []
    for frame, sid, box, score in rows:
        if int(frame) < 0:
            raise ValueError(f"frame must be >= 0 (0-based), got {frame}")
        vals = [float(v) for v in box] + [float(score)]
        if len(vals) != 5 or not all(math.isfinite(v) for v in vals):
            raise ValueError(f"frame {frame} id {sid}: box must be 4 finite values and score finite")
        if vals[2] <= 0 or vals[3] <= 0:
            raise ValueError(f"frame {frame} id {sid}: box must have positive size, got {box}")
        out.append((int(frame), int(sid), vals))
    out.sort(key=lambda r: (r[0], r[1]))
    text = "".join(f"{f + 1},{i}," + ",".join(_fmt(v) for v in vals) + ",-1,-1,-1\n" for f, i, vals in out)
    write_text(path, text)
