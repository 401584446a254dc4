"""Town Centre clip ground truth: body box -> subject, head box -> part "head"."""

from __future__ import annotations

from pathlib import Path

import pytest

from parttrack.data.towncentre import COLUMNS, clip_alignment, read_towncentre
from parttrack.data.types import PartBox, SequenceInfo
from parttrack.data.video import open_video
from parttrack.errors import ParseError

HEADER = ",".join(COLUMNS)


def write_csv(tmp_path: Path, rows: list[str], name: str = "clip_f0010_n6_gt.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + "\n" + "".join(r + "\n" for r in rows))
    return p


def row(k: int, pid: int, hv: int = 1, bv: int = 1, head: str = "100,50,120,75", body: str = "90,40,140,200", gt: int | None = None) -> str:
    return f"{k},{k + 10 if gt is None else gt},{pid},{hv},{bv},{head},{body}"


@pytest.mark.parametrize(
    ("stem", "expected"),
    [("clip_f0249_n149", (-249, 149)), ("clip_fm004_n126", (4, 126)), ("clip_f0435_n96", (-435, 96)), ("walk", None)],
)
def test_clip_alignment(stem: str, expected: tuple[int, int] | None) -> None:
    assert clip_alignment(stem) == expected


def test_boxes_flags_and_frames(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        [
            row(1, 5),
            row(1, 2, hv=0),  # head located but not valid -> occluded part
            row(1, 3, hv=0, head="0,0,0,0"),  # no head box at all -> not annotated
            row(3, 5, bv=0, body="-30,40,20,200"),  # body not valid; partly outside: kept
        ],
    )
    seq = read_towncentre(p)
    assert seq.info == SequenceInfo("clip_f0010_n6", 1920, 1080, 25.0, 6, None, ("head",))
    assert sorted(seq.frames) == [1, 2, 3]  # annotated range; frame 2 annotated-empty
    assert seq.frames[2].subjects == ()
    s5 = seq.frames[1].get(5)
    assert s5 is not None and s5.box == (90.0, 40.0, 50.0, 160.0) and s5.visibility == 1.0
    assert s5.parts == {"head": PartBox((100.0, 50.0, 20.0, 25.0), visible=True)}
    assert seq.frames[1].get(2).parts == {"head": PartBox((100.0, 50.0, 20.0, 25.0), visible=False)}  # type: ignore[union-attr]
    assert seq.frames[1].get(3).parts == {}  # type: ignore[union-attr]
    late = seq.frames[3].get(5)
    assert late is not None and late.visibility == 0.0 and late.box == (-30.0, 40.0, 50.0, 160.0)
    assert [s.id for s in seq.frames[1].subjects] == [2, 3, 5]


def test_length_without_name_or_video(tmp_path: Path) -> None:
    p = write_csv(tmp_path, [row(4, 1, gt=0), row(7, 1, gt=3)], name="street_gt.csv")
    seq = read_towncentre(p)
    assert (seq.info.name, seq.info.num_frames) == ("street", 8)
    assert sorted(seq.frames) == [4, 5, 6, 7]


@pytest.mark.parametrize(
    ("rows", "line", "match"),
    [
        ([row(0, 1) + ",7"], 2, "expected 13 columns, got 14"),
        ([row(0, 1).replace("100,50", "abc,50")], 2, "headLeft is not a number"),
        ([row(0, 1).replace("100,50", "nan,50")], 2, "headLeft must be finite"),
        ([row(0, 1, hv=2)], 2, "headValid must be 0 or 1"),
        ([row(0, 1, body="90,40,90,200")], 2, "body box of person 1 must have positive"),
        ([row(0, 1, head="100,50,120,50")], 2, "head box of person 1 must have positive"),
        ([row(0, 1, body="2000,40,2100,200")], 2, "entirely outside the 1920x1080 frame"),
        ([row(0, 1, head="-50,-50,-10,-10")], 2, "head box of person 1 .* entirely outside"),
        ([row(0, 1), row(0, 1)], 3, "person 1 appears twice in clip frame 0"),
        ([row(0, 1), row(6, 1)], 3, "clip_frame0 6 is out of range 0..5"),
        ([row(-1, 1)], 2, "out of range"),
        ([row(0, 1), row(1, 1, gt=12)], 3, "= -11, but -10 from the clip name"),
        ([row(0, 1, gt=7)], 2, "= -7, but -10 from the clip name"),
        ([row(0, 1), "1,11,1.5,1,1,100,50,120,75,90,40,140,200"], 3, "person_id must be an integer"),
    ],
)
def test_malformed(tmp_path: Path, rows: list[str], line: int, match: str) -> None:
    p = write_csv(tmp_path, rows)
    with pytest.raises(ParseError, match=match) as e:
        read_towncentre(p)
    assert (e.value.path, e.value.line) == (str(p), line)


def test_offset_must_be_constant_without_a_name(tmp_path: Path) -> None:
    p = write_csv(tmp_path, [row(0, 1, gt=5), row(1, 1, gt=5)], name="x_gt.csv")
    with pytest.raises(ParseError, match="= -4, but -5 from line 2") as e:
        read_towncentre(p)
    assert e.value.line == 3


@pytest.mark.parametrize("header", ["", "clip_frame0,person_id", HEADER.replace("headValid", "head_valid")])
def test_missing_or_wrong_header(tmp_path: Path, header: str) -> None:
    p = tmp_path / "clip_f0010_n6_gt.csv"
    p.write_text(header + ("\n" if header else "") + row(0, 1) + "\n")
    with pytest.raises(ParseError, match="header") as e:
        read_towncentre(p)
    assert e.value.line == 1


@pytest.mark.parametrize(
    ("clip", "frames", "first", "last", "ids", "boxes"),
    [
        ("clip_fm004_n126", 126, 4, 125, 19, 1325),  # t - 4: the first 4 video frames have no gt
        ("clip_f0249_n149", 149, 0, 148, 20, 2014),  # held out of training (evaluation only)
        ("clip_f0435_n96", 96, 0, 95, 23, 1950),
    ],
)
def test_real_clips(shared_data: Path, clip: str, frames: int, first: int, last: int, ids: int, boxes: int) -> None:
    d = shared_data / "towncentre"
    video = d / f"{clip}.mp4"
    assert open_video(video).info.num_frames == frames
    seq = read_towncentre(d / f"{clip}_gt.csv", video)
    assert seq.info.num_frames == frames and seq.info.source == str(video)
    assert (seq.info.width, seq.info.height, seq.info.part_names) == (1920, 1080, ("head",))
    assert (min(seq.frames), max(seq.frames), len(seq.frames)) == (first, last, last - first + 1)
    assert len(seq.subject_ids()) == ids
    assert sum(len(f.subjects) for f in seq) == boxes
    assert all(s.part("head") is not None for f in seq for s in f.subjects)  # every head annotated
    # the README alignment, row by row: clip frame t <-> gt frame t + offset
    offset = {"clip_fm004_n126": -4, "clip_f0249_n149": 249, "clip_f0435_n96": 435}[clip]
    lines = (d / f"{clip}_gt.csv").read_text().splitlines()[1:]
    assert all(int(c[1]) == int(c[0]) + offset for c in (ln.split(",") for ln in lines))


def test_real_first_row_converted(shared_data: Path) -> None:
    p = shared_data / "towncentre" / "clip_fm004_n126_gt.csv"
    first = p.read_text().splitlines()[1].split(",")
    seq = read_towncentre(p)
    s = seq.frames[int(first[0])].get(int(first[2]))
    assert s is not None
    hl, ht, hr, hb, bl, bt, br, bb = (float(v) for v in first[5:])
    assert s.box == pytest.approx((bl, bt, br - bl, bb - bt))
    assert s.parts["head"] == PartBox((hl, ht, hr - hl, hb - ht), visible=True)
