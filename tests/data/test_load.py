"""load_sequence dispatch and find_video."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from parttrack.data.jsonl import write_sequence
from parttrack.data.load import find_video, load_sequence
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, SequenceInfo, Subject
from parttrack.data.video import VideoWriter
from parttrack.errors import ParseError, VideoError

SEQINFO = "[Sequence]\nname=Toy\nframeRate=25\nseqLength=3\nimWidth=32\nimHeight=24\n"
GT = "1,1,2,2,10,10,1,-1,-1,-1\n3,2,4,4,10,10,1,-1,-1,-1\n"


def make_video(path: Path, n: int = 3, size: tuple[int, int] = (32, 24)) -> Path:
    with VideoWriter(path, 25.0, size) as w:
        for _ in range(n):
            w.write(np.zeros((size[1], size[0], 3), np.uint8))
    return path


def test_mot_folder_with_video(tmp_path: Path) -> None:
    (tmp_path / "gt.txt").write_text(GT)
    (tmp_path / "seqinfo.ini").write_text(SEQINFO)
    video = make_video(tmp_path / "Toy.mp4")
    for path in (tmp_path, tmp_path / "gt.txt"):
        seq = load_sequence(path)
        assert seq.info.source == str(video) and find_video(seq) == video
        assert [s.id for s in seq.frames[2].subjects] == [2]


def test_mot_standard_layout_with_image_folder(tmp_path: Path) -> None:
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "gt.txt").write_text(GT)
    (tmp_path / "seqinfo.ini").write_text(SEQINFO)
    (tmp_path / "img1").mkdir()
    for i in range(1, 4):
        cv2.imwrite(str(tmp_path / "img1" / f"{i:06d}.jpg"), np.zeros((24, 32, 3), np.uint8))
    seq = load_sequence(tmp_path)
    assert find_video(seq) == tmp_path / "img1"


def test_mot_without_video_has_no_source(tmp_path: Path) -> None:
    (tmp_path / "gt.txt").write_text(GT)
    (tmp_path / "seqinfo.ini").write_text(SEQINFO)
    seq = load_sequence(tmp_path)
    assert seq.info.source is None
    with pytest.raises(VideoError, match="Toy: sequence has no video source"):
        find_video(seq)


def test_mot_without_seqinfo_uses_folder_named_video(tmp_path: Path) -> None:
    d = tmp_path / "Cam"
    d.mkdir()
    (d / "gt.txt").write_text(GT)
    with pytest.raises(ParseError, match="no seqinfo.ini and no Cam.mp4"):
        load_sequence(d)
    make_video(d / "Cam.mp4")
    assert load_sequence(d).info == SequenceInfo("Cam", 32, 24, 25.0, 3, str(d / "Cam.mp4"))


def test_towncentre_csv_and_video(tmp_path: Path) -> None:
    csv = tmp_path / "clip_f0000_n3_gt.csv"
    csv.write_text(
        "clip_frame0,towncentre_frame,person_id,headValid,bodyValid,headLeft,headTop,headRight,headBottom,"
        "bodyLeft,bodyTop,bodyRight,bodyBottom\n1,1,4,1,1,2,2,4,4,1,1,10,20\n"
    )
    assert load_sequence(csv).info.source is None  # no video beside it yet
    video = make_video(tmp_path / "clip_f0000_n3.mp4")
    for path in (csv, video):
        seq = load_sequence(path)
        assert seq.info.source == str(video) and seq.info.width == 32
        assert seq.info.part_names == ("head",)


def test_jsonl_and_video_beside_it(tmp_path: Path) -> None:
    video = make_video(tmp_path / "walk.mp4")
    seq = AnnotatedSequence(
        SequenceInfo("walk", 32, 24, 25.0, 3, str(video), ()), {0: FrameAnnotation(0, (Subject(1, (0, 0, 5, 5)),))}
    )
    write_sequence(seq, tmp_path / "walk.jsonl")
    assert load_sequence(tmp_path / "walk.jsonl") == seq
    assert load_sequence(video) == seq
    assert find_video(seq) == video


def test_jsonl_beside_video_for_another_video(tmp_path: Path) -> None:
    video = make_video(tmp_path / "walk.mp4")
    other = SequenceInfo("o", 32, 24, 25.0, 3, str(tmp_path / "other.mp4"), ())
    write_sequence(AnnotatedSequence(other, {}), tmp_path / "walk.jsonl")
    with pytest.raises(ParseError, match="annotates .*other.mp4, not this video"):
        load_sequence(video)


@pytest.mark.parametrize(
    ("name", "match"),
    [("nothing-here", "not found"), ("notes.md", "unknown annotation file type"), ("lonely.mp4", "no annotations beside")],
)
def test_unknown_or_missing(tmp_path: Path, name: str, match: str) -> None:
    if name != "nothing-here":
        (tmp_path / name).write_text("x")
    with pytest.raises(ParseError, match=match) as e:
        load_sequence(tmp_path / name)
    assert e.value.path == str(tmp_path / name)


def test_folder_without_gt(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no gt.txt"):
        load_sequence(tmp_path)


def test_find_video_missing(tmp_path: Path) -> None:
    seq = AnnotatedSequence(SequenceInfo("s", 10, 10, 25.0, 1, str(tmp_path / "gone.mp4")), {})
    with pytest.raises(VideoError, match="gone.mp4: video of the sequence not found"):
        find_video(seq)


@pytest.mark.parametrize(
    ("rel", "name", "num_frames", "video"),
    [
        ("tud-campus", "TUD-Campus", 71, "tud-campus/TUD-Campus.mp4"),
        ("tud-stadtmitte/gt.txt", "TUD-Stadtmitte", 179, "tud-stadtmitte/TUD-Stadtmitte.mp4"),
        ("towncentre/clip_fm004_n126_gt.csv", "clip_fm004_n126", 126, "towncentre/clip_fm004_n126.mp4"),
        ("towncentre/clip_f0435_n96.mp4", "clip_f0435_n96", 96, "towncentre/clip_f0435_n96.mp4"),
    ],
)
def test_real_data(shared_data: Path, rel: str, name: str, num_frames: int, video: str) -> None:
    seq = load_sequence(shared_data / rel)
    assert (seq.info.name, seq.info.num_frames) == (name, num_frames)
    assert find_video(seq) == shared_data / video
