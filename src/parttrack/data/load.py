"""Open any supported annotation set from one path, and find the video it annotates.

``load_sequence(path)`` accepts:

* ``*.jsonl`` -- parttrack's own format (its header names the video);
* a MOTChallenge folder holding ``gt.txt`` or ``gt/gt.txt`` (+ ``seqinfo.ini``), or such a
  ``gt.txt`` itself; the video is ``<name>.mp4`` in the folder (name from seqinfo.ini or the
  folder), else its ``img1/`` image folder;
* a Town Centre ``*_gt.csv``; the video is ``<stem>.mp4`` beside it;
* a video file whose annotations sit beside it: ``<stem>_gt.csv`` (Town Centre) or
  ``<stem>.jsonl``.

Example::

    seq = load_sequence("../shared/data/tud-campus")
    frames = read_frames(find_video(seq), [0, 10])
"""

from __future__ import annotations

from pathlib import Path

from parttrack.data.jsonl import read_sequence
from parttrack.data.mot import read_mot, read_seqinfo
from parttrack.data.towncentre import read_towncentre
from parttrack.data.types import AnnotatedSequence
from parttrack.data.video import IMAGE_SUFFIXES
from parttrack.errors import ParseError, VideoError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg")


def _mot_video(folder: Path, name: str) -> Path | None:
    for suffix in VIDEO_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    img = folder / "img1"
    if img.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in img.iterdir()):
        return img
    return None


def _load_mot(gt: Path) -> AnnotatedSequence:
    folder = gt.parent.parent if gt.parent.name == "gt" else gt.parent
    seqinfo = folder / "seqinfo.ini"
    if seqinfo.is_file():
        name = read_seqinfo(seqinfo).name
        return read_mot(gt, seqinfo, _mot_video(folder, name))
    video = _mot_video(folder, folder.name)
    if video is None:
        raise ParseError(f"no seqinfo.ini and no {folder.name}.mp4 / img1/ in {folder}", gt)
    return read_mot(gt, None, video)


def load_sequence(path: str | Path) -> AnnotatedSequence:
    """Load annotations from a .jsonl, a MOT folder or gt.txt, a Town Centre ``*_gt.csv``,
    or a video with its annotations beside it; ``info.source`` is set to the video when
    one is found (see the module docstring for the rules).

    Raises:
        ParseError: the path is missing, of no known kind, or its annotations are malformed.
        VideoError: the video found beside the annotations cannot be opened.
    """
    p = Path(path)
    if not p.exists():
        raise ParseError("annotation path not found", p)
    if p.is_dir():
        for gt in (p / "gt.txt", p / "gt" / "gt.txt"):
            if gt.is_file():
                return _load_mot(gt)
        raise ParseError("folder has no gt.txt or gt/gt.txt (MOTChallenge layout)", p)
    name = p.name.lower()
    if name.endswith(".jsonl"):
        return read_sequence(p)
    if name.endswith("_gt.csv"):
        video = p.with_name(p.name[: -len("_gt.csv")] + ".mp4")
        return read_towncentre(p, video if video.is_file() else None)
    if name.endswith(".txt"):
        return _load_mot(p)
    if p.suffix.lower() in VIDEO_SUFFIXES:
        csv = p.with_name(p.stem + "_gt.csv")
        if csv.is_file():
            return read_towncentre(csv, p)
        jsonl = p.with_suffix(".jsonl")
        if jsonl.is_file():
            seq = read_sequence(jsonl)
            if seq.info.source is None or Path(seq.info.source).resolve() != p.resolve():
                raise ParseError(f"{jsonl.name} annotates {seq.info.source}, not this video", jsonl, 1)
            return seq
        raise ParseError(f"no annotations beside the video (looked for {csv.name}, {jsonl.name})", p)
    raise ParseError("unknown annotation file type (want .jsonl, gt.txt, *_gt.csv or a video)", p)


def find_video(seq: AnnotatedSequence) -> Path:
    """The video file or image folder ``seq`` annotates (``seq.info.source``).

    Raises:
        VideoError: the sequence has no source, or it does not exist.
    """
    if seq.info.source is None:
        raise VideoError("sequence has no video source (annotations only)", seq.info.name)
    src = Path(seq.info.source)
    if not src.exists():
        raise VideoError("video of the sequence not found", src)
    return src
