"""parttrack .jsonl annotations: round trip and every malformed-input error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parttrack.data.jsonl import read_sequence, write_sequence
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import ParseError


def make_sequence(source: str | None) -> AnnotatedSequence:
    info = SequenceInfo("walk", 640, 480, 29.97, 10, source, ("head", "eye"))
    a = Subject(3, (10.25, -4.0, 30.5, 80.0), 0.75, {"head": PartBox((20.0, 0.0, 8.0, 9.5), visible=False), "eye": None})
    b = Subject(7, (600.0, 400.0, 60.0, 90.0))  # parts not annotated
    c = Subject(3, (11.0, -3.0, 30.0, 80.0), 1.0, {"head": PartBox((21.0, 1.0, 8.0, 9.0))})
    frames = {0: FrameAnnotation(0, (a, b)), 4: FrameAnnotation(4, ()), 9: FrameAnnotation(9, (c,))}
    return AnnotatedSequence(info, frames, subject_id=3)


def test_round_trip(tmp_path: Path) -> None:
    video = tmp_path / "videos" / "walk.mp4"
    seq = make_sequence(str(video))
    path = tmp_path / "ann" / "walk.jsonl"
    write_sequence(seq, path)
    back = read_sequence(path)
    assert back == seq
    assert back.frames[0].subjects[0].parts["head"] == PartBox((20.0, 0.0, 8.0, 9.5), visible=False)
    assert "eye" not in back.frames[9].subjects[0].parts  # missing stays missing
    assert back.frames[0].subjects[0].parts["eye"] is None  # null stays null


def test_header_and_records_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "walk.jsonl"
    write_sequence(make_sequence(str(tmp_path / "v" / "walk.mp4")), path)
    lines = path.read_text().splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0]) == {
        "format": "parttrack-annotations",
        "version": 1,
        "name": "walk",
        "width": 640,
        "height": 480,
        "fps": 29.97,
        "num_frames": 10,
        "source": "v/walk.mp4",
        "part_names": ["head", "eye"],
        "subject_id": 3,
    }
    assert json.loads(lines[2]) == {"frame": 4, "subjects": []}
    assert json.loads(lines[1])["subjects"][0] == {
        "id": 3,
        "box": [10.25, -4.0, 30.5, 80.0],
        "visibility": 0.75,
        "parts": {"head": {"box": [20.0, 0.0, 8.0, 9.5], "visible": False}, "eye": None},
    }


def test_no_source_round_trip(tmp_path: Path) -> None:
    seq = make_sequence(None)
    write_sequence(seq, tmp_path / "a.jsonl")
    assert read_sequence(tmp_path / "a.jsonl") == seq


def test_optional_fields_default(tmp_path: Path) -> None:
    p = tmp_path / "min.jsonl"
    header = {"format": "parttrack-annotations", "version": 1, "name": "m", "width": 4, "height": 3, "fps": 25, "num_frames": 2}
    p.write_text(json.dumps(header) + "\n\n" + json.dumps({"frame": 1, "subjects": [{"id": 0, "box": [0, 0, 1, 1]}]}) + "\n")
    seq = read_sequence(p)
    assert seq.info == SequenceInfo("m", 4, 3, 25.0, 2, None, ())
    assert seq.subject_id is None
    assert seq.frames[1].subjects == (Subject(0, (0.0, 0.0, 1.0, 1.0), 1.0, {}),)


def test_writer_rejects_undeclared_part(tmp_path: Path) -> None:
    info = SequenceInfo("x", 10, 10, 25.0, 2, None, ("head",))
    seq = AnnotatedSequence(info, {0: FrameAnnotation(0, (Subject(1, (0, 0, 1, 1), 1.0, {"eye": None}),))})
    with pytest.raises(ValueError, match="'eye' not in part_names"):
        write_sequence(seq, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


HEADER = '{"format": "parttrack-annotations", "version": 1, "name": "s", "width": 100, "height": 80, "fps": 25.0, "num_frames": 5, "source": null, "part_names": ["head"], "subject_id": null}'
GOOD = '{"frame": 0, "subjects": [{"id": 1, "box": [1, 2, 3, 4], "visibility": 1.0, "parts": {"head": {"box": [1, 2, 1, 1], "visible": true}}}]}'


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", 1, "missing header"),
        ("\n\n", 1, "missing header"),
        (GOOD, 1, "missing header"),
        (HEADER.replace('"fps": 25.0, ', ""), 1, "missing key"),
        (HEADER.replace("parttrack-annotations", "other"), 1, "missing header"),
        (HEADER.replace('"version": 1', '"version": 2'), 1, "unsupported version"),
        (HEADER.replace('"width": 100', '"width": 0'), 1, "width must be >= 1"),
        (HEADER.replace('"fps": 25.0', '"fps": NaN'), 1, "invalid JSON"),
        (HEADER.replace('"fps": 25.0', '"fps": -1'), 1, "fps must be > 0"),
        (HEADER.replace('"name": "s"', '"name": "s", "colour": 1'), 1, "unknown key"),
        (HEADER.replace('["head"]', '["head", "head"]'), 1, "duplicates"),
        ("[1, 2]", 1, "missing header"),
        (HEADER + "\n{not json", 2, "invalid JSON"),
        (HEADER + "\n" + GOOD.replace('"frame": 0', '"frame": 5'), 2, "out of range"),
        (HEADER + "\n" + GOOD.replace('"frame": 0', '"frame": -1'), 2, "frame must be >= 0"),
        (HEADER + "\n" + GOOD.replace('"frame": 0', '"frame": 1.5'), 2, "frame must be an integer"),
        (HEADER + "\n" + GOOD + "\n" + GOOD, 3, "appears twice"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", "[1, 2, 0, 4]"), 2, "positive width and height"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", "[1, 2, 3]"), 2, r"list \[x, y, w, h\]"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", '[1, "2", 3, 4]'), 2, "must be a number"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", "[1, 2, Infinity, 4]"), 2, "invalid JSON"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", "[1, 2, 1e999, 4]"), 2, "must be finite"),
        (HEADER + "\n" + GOOD.replace("[1, 2, 3, 4]", "[true, 2, 3, 4]"), 2, "must be a number"),
        (HEADER + "\n" + GOOD.replace('"visibility": 1.0', '"visibility": 1.5'), 2, "visibility must be in"),
        (HEADER + "\n" + GOOD.replace('"id": 1', '"id": "1"'), 2, "id must be an integer"),
        (HEADER + "\n" + GOOD.replace('"head"', '"tail"'), 2, "not in the header's part_names"),
        (HEADER + "\n" + GOOD.replace('"visible": true', '"visible": 1'), 2, "true or false"),
        (HEADER + "\n" + GOOD.replace('"visible": true', '"seen": true'), 2, "unknown key"),
        (HEADER + "\n" + GOOD.replace('"subjects"', '"people"'), 2, "unknown key"),
        (HEADER + "\n" + '{"frame": 1, "subjects": {}}', 2, "subjects must be a list"),
        (HEADER + "\n\n\n" + GOOD.replace("}]}", '}, {"id": 1, "box": [0, 0, 1, 1]}]}'), 4, "duplicate subject id"),
    ],
)
def test_malformed(tmp_path: Path, text: str, line: int, match: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(text)
    with pytest.raises(ParseError, match=match) as e:
        read_sequence(p)
    assert (e.value.path, e.value.line) == (str(p), line)
    assert str(e.value).startswith(f"{p}:{line}: ")


def test_not_utf8_names_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_bytes(HEADER.encode() + b"\n" + GOOD.encode() + b"\n\xff\xfe\n")
    with pytest.raises(ParseError, match="not UTF-8") as e:
        read_sequence(p)
    assert e.value.line == 3


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read") as e:
        read_sequence(tmp_path / "none.jsonl")
    assert e.value.path == str(tmp_path / "none.jsonl")


def test_crlf_and_trailing_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "dos.jsonl"
    p.write_bytes((HEADER + "\r\n" + GOOD + "\r\n\r\n").encode())
    seq = read_sequence(p)
    assert list(seq.frames) == [0]
    assert seq.frames[0].subjects[0].parts["head"] == PartBox((1.0, 2.0, 1.0, 1.0), True)
