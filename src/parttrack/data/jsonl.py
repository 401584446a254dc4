"""parttrack's own annotation format: JSON Lines, one header then one record per frame.

Line 1 (header)::

    {"format": "parttrack-annotations", "version": 1, "name": "walk", "width": 1920,
     "height": 1080, "fps": 25.0, "num_frames": 126, "source": "walk.mp4",
     "part_names": ["head"], "subject_id": 3}

then one line per annotated frame (0-based video frame index)::

    {"frame": 4, "subjects": [{"id": 3, "box": [x, y, w, h], "visibility": 1.0,
     "parts": {"head": {"box": [x, y, w, h], "visible": true}}}]}

A part mapped to ``null`` is annotated absent; a part key missing is not annotated. ``source``
is the video path relative to the .jsonl file (or null). See docs/formats.md.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from parttrack.atomic import write_text
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import ParseError

FORMAT = "parttrack-annotations"
VERSION = 1

_HEADER_REQUIRED = ("format", "version", "name", "width", "height", "fps", "num_frames")
_HEADER_OPTIONAL = ("source", "part_names", "subject_id")
_SUBJECT_KEYS = ("id", "box", "visibility", "parts")
_PART_KEYS = ("box", "visible")


# -- writing -------------------------------------------------------------------------------
def _source_relative(source: str | None, path: Path) -> str | None:
    if source is None:
        return None
    try:
        rel = os.path.relpath(os.path.abspath(source), os.path.abspath(path.parent))
    except ValueError:  # another drive (Windows): keep it absolute
        return os.path.abspath(source)
    return Path(rel).as_posix()


def _subject_record(s: Subject, part_names: tuple[str, ...], frame: int) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for name, part in s.parts.items():
        if name not in part_names:
            raise ValueError(f"frame {frame} subject {s.id}: part {name!r} not in part_names {part_names}")
        parts[name] = None if part is None else {"box": list(part.box), "visible": bool(part.visible)}
        if part is not None and part.confidence is not None:
            parts[name]["confidence"] = float(part.confidence)
    rec = {"id": int(s.id), "box": list(s.box), "visibility": float(s.visibility), "parts": parts}
    if s.confidence is not None:
        rec["confidence"] = float(s.confidence)
    return rec


def write_sequence(seq: AnnotatedSequence, path: str | Path) -> None:
    """Write ``seq`` as a parttrack .jsonl file, atomically.

    Args:
        seq: the sequence; ``info.source`` (if set) is stored relative to ``path``'s folder.
        path: target ``.jsonl`` file.

    Raises:
        ValueError: a part name not in ``info.part_names``, a frame outside
            ``[0, num_frames)`` or a non-finite value (the file would not read back).
    """
    path = Path(path)
    info = seq.info
    header = {
        "format": FORMAT,
        "version": VERSION,
        "name": info.name,
        "width": int(info.width),
        "height": int(info.height),
        "fps": float(info.fps),
        "num_frames": int(info.num_frames),
        "source": _source_relative(info.source, path),
        "part_names": list(info.part_names),
        "subject_id": seq.subject_id,
    }
    lines = [json.dumps(header, allow_nan=False)]
    for k in sorted(seq.frames):
        fa = seq.frames[k]
        if not (0 <= k < info.num_frames) or fa.frame != k:
            raise ValueError(f"frame key {k} (record frame {fa.frame}) outside [0, {info.num_frames})")
        rec = {"frame": k, "subjects": [_subject_record(s, info.part_names, k) for s in fa.subjects]}
        lines.append(json.dumps(rec, allow_nan=False))
    write_text(path, "\n".join(lines) + "\n")


# -- reading -------------------------------------------------------------------------------
class _Line:
    """Validation helpers that raise ParseError naming the file and 1-based line."""

    def __init__(self, path: Path, line: int) -> None:
        self.path = path
        self.line = line

    def error(self, message: str) -> ParseError:
        return ParseError(message, self.path, self.line)

    def obj(self, value: Any, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.error(f"{what} must be a JSON object, got {type(value).__name__}")
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            raise self.error(f"{what} has unknown key(s) {unknown}")
        missing = [k for k in required if k not in value]
        if missing:
            raise self.error(f"{what} is missing key(s) {missing}")
        return value

    def integer(self, value: Any, what: str, low: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{what} must be an integer, got {value!r}")
        if low is not None and value < low:
            raise self.error(f"{what} must be >= {low}, got {value}")
        return value

    def number(self, value: Any, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{what} must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise self.error(f"{what} must be finite, got {value!r}")
        return v

    def box(self, value: Any, what: str) -> tuple[float, float, float, float]:
        if not isinstance(value, list) or len(value) != 4:
            raise self.error(f"{what} must be a list [x, y, w, h], got {value!r}")
        x, y, w, h = (self.number(v, what) for v in value)
        if w <= 0 or h <= 0:
            raise self.error(f"{what} must have positive width and height, got {value!r}")
        return x, y, w, h

    def text(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise self.error(f"{what} must be a string, got {value!r}")
        return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _load(raw: bytes, at: _Line) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise at.error(f"not UTF-8 text ({e.reason})") from None
    except (ValueError, RecursionError) as e:
        raise at.error(f"invalid JSON: {str(e).splitlines()[0]}") from None


def _header(obj: Any, at: _Line, path: Path) -> tuple[SequenceInfo, int | None]:
    if not isinstance(obj, dict) or "format" not in obj:
        raise at.error(f"missing header: line 1 must be an object with \"format\": \"{FORMAT}\"")
    h = at.obj(obj, "header (line 1)", _HEADER_REQUIRED, _HEADER_OPTIONAL)
    if h["format"] != FORMAT:
        raise at.error(f"missing header: 'format' must be {FORMAT!r}, got {h['format']!r}")
    if at.integer(h["version"], "version") != VERSION:
        raise at.error(f"unsupported version {h['version']} (this parttrack reads {VERSION})")
    fps = at.number(h["fps"], "fps")
    if fps <= 0:
        raise at.error(f"fps must be > 0, got {fps}")
    source = h.get("source")
    if source is not None:
        source = os.path.normpath(path.parent / at.text(source, "source"))
    names = h.get("part_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise at.error(f"part_names must be a list of non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise at.error(f"part_names has duplicates: {names!r}")
    sid = h.get("subject_id")
    info = SequenceInfo(
        name=at.text(h["name"], "name"),
        width=at.integer(h["width"], "width", 1),
        height=at.integer(h["height"], "height", 1),
        fps=fps,
        num_frames=at.integer(h["num_frames"], "num_frames", 1),
        source=source,
        part_names=tuple(names),
    )
    return info, None if sid is None else at.integer(sid, "subject_id")


def _subject(obj: Any, at: _Line, part_names: tuple[str, ...]) -> Subject:
    s = at.obj(obj, "subject", ("id", "box"), ("visibility", "parts", "confidence"))
    sid = at.integer(s["id"], "subject id")
    box = at.box(s["box"], f"subject {sid} box")
    vis = at.number(s.get("visibility", 1.0), f"subject {sid} visibility")
    if not 0.0 <= vis <= 1.0:
        raise at.error(f"subject {sid} visibility must be in [0, 1], got {vis}")
    raw_parts = s.get("parts", {})
    if not isinstance(raw_parts, dict):
        raise at.error(f"subject {sid} parts must be an object, got {raw_parts!r}")
    parts: dict[str, PartBox | None] = {}
    for name, p in raw_parts.items():
        if name not in part_names:
            raise at.error(f"subject {sid}: part {name!r} is not in the header's part_names {list(part_names)}")
        if p is None:
            parts[name] = None
            continue
        p = at.obj(p, f"subject {sid} part {name!r}", ("box",), ("visible", "confidence"))
        visible = p.get("visible", True)
        if not isinstance(visible, bool):
            raise at.error(f"subject {sid} part {name!r} 'visible' must be true or false, got {visible!r}")
        conf = _confidence(p, at, f"subject {sid} part {name!r}")
        parts[name] = PartBox(at.box(p["box"], f"subject {sid} part {name!r} box"), visible, conf)
    return Subject(sid, box, vis, parts, _confidence(s, at, f"subject {sid}"))


def _confidence(obj: dict, at: _Line, what: str) -> float | None:
    """The optional ``confidence`` of a machine label, in [0, 1]."""
    if obj.get("confidence") is None:
        return None
    c = at.number(obj["confidence"], f"{what} confidence")
    if not 0.0 <= c <= 1.0:
        raise at.error(f"{what} confidence must be in [0, 1], got {c}")
    return c


def read_sequence(path: str | Path) -> AnnotatedSequence:
    """Read a parttrack .jsonl annotation file.

    Args:
        path: the ``.jsonl`` file; a relative ``source`` in its header is resolved against
            the file's folder.

    Returns:
        The :class:`AnnotatedSequence` (frames keyed by 0-based video frame index).

    Raises:
        ParseError: unreadable file, missing/invalid header, or a bad record (names the file
            and the 1-based line): invalid JSON, unknown/missing keys, wrong types, NaN/inf,
            non-positive sizes, duplicate ids in a frame, a repeated frame, or a frame
            outside ``[0, num_frames)``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ParseError(f"cannot read annotation file: {e.strerror or e}", path) from None
    lines = data.split(b"\n")
    if not data.strip():
        raise ParseError("empty file: missing header line", path, 1)
    info, subject_id = _header(_load(lines[0], _Line(path, 1)), _Line(path, 1), path)
    frames: dict[int, FrameAnnotation] = {}
    for no, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        at = _Line(path, no)
        rec = at.obj(_load(raw, at), "frame record", ("frame", "subjects"))
        k = at.integer(rec["frame"], "frame", 0)
        if k >= info.num_frames:
            raise at.error(f"frame {k} is out of range (num_frames {info.num_frames})")
        if k in frames:
            raise at.error(f"frame {k} appears twice")
        if not isinstance(rec["subjects"], list):
            raise at.error(f"subjects must be a list, got {rec['subjects']!r}")
        subjects = tuple(_subject(s, at, info.part_names) for s in rec["subjects"])
        ids = [s.id for s in subjects]
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise at.error(f"frame {k} has duplicate subject id(s) {dup}")
        frames[k] = FrameAnnotation(k, subjects)
    return AnnotatedSequence(info, frames, subject_id)
