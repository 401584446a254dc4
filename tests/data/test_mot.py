"""MOTChallenge gt.txt / seqinfo.ini reader and the result writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from parttrack.data.mot import read_mot, read_seqinfo, write_mot_results
from parttrack.data.types import SequenceInfo, Subject
from parttrack.data.video import VideoWriter
from parttrack.errors import ParseError

SEQINFO = "[Sequence]\nname=Toy\nimDir=img1\nframeRate=25\nseqLength=5\nimWidth=100\nimHeight=80\nimExt=.jpg\n"


@pytest.fixture
def seqinfo(tmp_path: Path) -> Path:
    p = tmp_path / "seqinfo.ini"
    p.write_text(SEQINFO)
    return p


def write_gt(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "gt.txt"
    p.write_text(text)
    return p


def test_seqinfo(seqinfo: Path) -> None:
    assert read_seqinfo(seqinfo) == SequenceInfo("Toy", 100, 80, 25.0, 5)


def test_rows_to_zero_based_frames(tmp_path: Path, seqinfo: Path) -> None:
    gt = write_gt(
        tmp_path,
        "1,2,10,20,30,40,1,-1,-1,-1\n"
        "1,1,-5,0,10.5,20,1,-1,-1,-1\n"  # partly outside the frame: kept
        "3,2,11,21,30,40,1,-1,-1,-1\n"
        "3,9,50,50,5,5,0,-1,-1,-1\n"  # conf 0: ignored
        "5,2,12,22,30,40,1,4.5,5.5,0\n\n",
    )
    seq = read_mot(gt, seqinfo)
    assert seq.info.part_names == () and seq.info.num_frames == 5
    assert sorted(seq.frames) == [0, 1, 2, 3, 4]  # exhaustive: empty frames are annotated
    assert seq.frames[0].subjects == (Subject(1, (-5.0, 0.0, 10.5, 20.0)), Subject(2, (10.0, 20.0, 30.0, 40.0)))
    assert seq.frames[1].subjects == ()
    assert [s.id for s in seq.frames[2].subjects] == [2]
    assert seq.track_of(2)[4].box == (12.0, 22.0, 30.0, 40.0)
    assert all(s.parts == {} for f in seq for s in f.subjects)  # parts not annotated


def test_mot17_nine_columns_visibility(tmp_path: Path, seqinfo: Path) -> None:
    gt = write_gt(tmp_path, "2,4,10,20,30,40,1,1,0.25\n2,5,10,20,30,40,1,1,1.2\n")
    seq = read_mot(gt, seqinfo)
    assert [(s.id, s.visibility) for s in seq.frames[1].subjects] == [(4, 0.25), (5, 1.0)]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("1,1,10,20,30,40,1,1,x", "column is not a number"),  # MOT16+ row, bad visibility
        ("1,1,10,20,30,40,1", "expected 10 columns"),
        ("1,1,10,20,30,40,1,-1,-1,-1,7", "expected 10 columns"),
        ("1,1,ten,20,30,40,1,-1,-1,-1", "left is not a number"),
        ("1,1,10,20,nan,40,1,-1,-1,-1", "width must be finite"),
        ("1,1,10,20,30,inf,1,-1,-1,-1", "height must be finite"),
        ("1,1,10,20,0,40,1,-1,-1,-1", "positive width and height"),
        ("1,1,10,20,30,-4,1,-1,-1,-1", "positive width and height"),
        ("1,1,100,20,30,40,1,-1,-1,-1", "entirely outside"),
        ("1,1,-30,20,30,40,1,-1,-1,-1", "entirely outside"),
        ("0,1,10,20,30,40,1,-1,-1,-1", "frame 0 is out of range 1..5"),
        ("6,1,10,20,30,40,1,-1,-1,-1", "frame 6 is out of range 1..5"),
        ("1.5,1,10,20,30,40,1,-1,-1,-1", "frame must be an integer"),
        ("1,x,10,20,30,40,1,-1,-1,-1", "id is not a number"),
        ("1,1,10,20,30,40,yes,-1,-1,-1", "conf is not a number"),
    ],
)
def test_malformed_rows(tmp_path: Path, seqinfo: Path, row: str, match: str) -> None:
    gt = write_gt(tmp_path, "2,1,10,20,30,40,1,-1,-1,-1\n" + row + "\n")
    with pytest.raises(ParseError, match=match) as e:
        read_mot(gt, seqinfo)
    assert (e.value.path, e.value.line) == (str(gt), 2)


def test_duplicate_id_in_frame(tmp_path: Path, seqinfo: Path) -> None:
    gt = write_gt(tmp_path, "2,1,10,20,30,40,1,-1,-1,-1\n2,3,10,20,30,40,1,-1,-1,-1\n\n2,1,11,20,30,40,1,-1,-1,-1\n")
    with pytest.raises(ParseError, match="id 1 appears twice in frame 2") as e:
        read_mot(gt, seqinfo)
    assert e.value.line == 4


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        (SEQINFO.replace("seqLength=5\n", ""), None, r"missing key\(s\) \['seqLength'\]"),
        (SEQINFO.replace("imWidth=100", "imWidth=0"), 6, "imWidth must be > 0"),
        (SEQINFO.replace("frameRate=25", "frameRate=fast"), 4, "frameRate is not a number"),
        (SEQINFO.replace("imExt=.jpg", "just words"), 8, "key=value"),
        ("name=Toy\n" + SEQINFO, 1, "outside the \\[Sequence\\]"),
    ],
)
def test_malformed_seqinfo(tmp_path: Path, text: str, line: int | None, match: str) -> None:
    p = tmp_path / "seqinfo.ini"
    p.write_text(text)
    with pytest.raises(ParseError, match=match) as e:
        read_seqinfo(p)
    assert (e.value.path, e.value.line) == (str(p), line)


def test_no_geometry_is_an_error(tmp_path: Path) -> None:
    gt = write_gt(tmp_path, "1,1,10,20,30,40,1,-1,-1,-1\n")
    with pytest.raises(ParseError, match="give seqinfo.ini or the video"):
        read_mot(gt)


def test_geometry_from_video_and_mismatch(tmp_path: Path, seqinfo: Path) -> None:
    video = tmp_path / "Toy.mp4"
    with VideoWriter(video, 25.0, (100, 80)) as w:
        for _ in range(4):
            w.write(np.zeros((80, 100, 3), np.uint8))
    gt = write_gt(tmp_path, "4,1,10,20,30,40,1,-1,-1,-1\n")
    seq = read_mot(gt, video=video)
    assert (seq.info.width, seq.info.height, seq.info.num_frames, seq.info.source) == (100, 80, 4, str(video))
    with pytest.raises(ParseError, match="4 frames but seqinfo says 100x80, 5 frames"):
        read_mot(gt, seqinfo, video)


def test_write_results_exact_text_and_round_trip(tmp_path: Path, seqinfo: Path) -> None:
    out = tmp_path / "res" / "Toy.txt"
    rows = [(2, 7, (10.0, 20.5, 30.25, 40.0), 0.9), (0, 7, (1.0, 2.0, 3.0, 4.0), 1.0), (0, 3, (5.12345, -6.0, 7.0, 8.0), 0.5)]
    write_mot_results(rows, out)
    assert out.read_text() == (
        "1,3,5.123,-6,7,8,0.5,-1,-1,-1\n1,7,1,2,3,4,1,-1,-1,-1\n3,7,10,20.5,30.25,40,0.9,-1,-1,-1\n"
    )
    assert [p.name for p in out.parent.iterdir()] == ["Toy.txt"]  # no temp file left
    seq = read_mot(out, seqinfo)
    assert seq.frames[2].get(7).box == (10.0, 20.5, 30.25, 40.0)  # type: ignore[union-attr]
    assert [s.id for s in seq.frames[0].subjects] == [3, 7]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ((-1, 1, (0, 0, 1, 1), 1.0), "frame must be >= 0"),
        ((0, 1, (0, 0, 0, 1), 1.0), "positive size"),
        ((0, 1, (0, 0, 1, 1), float("nan")), "finite"),
        ((0, 1, (0, 0, 1), 1.0), "4 finite values"),
    ],
)
def test_write_results_rejects(tmp_path: Path, row: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        write_mot_results([row], tmp_path / "r.txt")
    assert not (tmp_path / "r.txt").exists()


@pytest.mark.parametrize(
    ("folder", "name", "frames", "ids", "boxes"),
    [("tud-campus", "TUD-Campus", 71, 8, 359), ("tud-stadtmitte", "TUD-Stadtmitte", 179, 10, 1156)],
)
def test_real_tud(shared_data: Path, folder: str, name: str, frames: int, ids: int, boxes: int) -> None:
    d = shared_data / folder
    seq = read_mot(d / "gt.txt", d / "seqinfo.ini", d / f"{name}.mp4")
    assert seq.info == SequenceInfo(name, 640, 480, 25.0, frames, str(d / f"{name}.mp4"), ())
    assert sorted(seq.frames) == list(range(frames))
    assert len(seq.subject_ids()) == ids
    assert sum(len(f.subjects) for f in seq) == boxes
    first = (d / "gt.txt").read_text().splitlines()[0].split(",")  # MOT frame 1 -> index 0
    assert first[0] == "1"
    got = seq.frames[0].get(int(first[1]))
    assert got is not None and got.box == tuple(float(v) for v in first[2:6])
