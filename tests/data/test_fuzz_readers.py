"""Property tests: whatever bytes the annotation readers get, they return an AnnotatedSequence or raise
ParseError (one line, naming the file, and the 1-based line when a line is at fault) --
never another exception."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parttrack.data.jsonl import read_sequence, write_sequence
from parttrack.data.load import load_sequence
from parttrack.data.mot import read_mot, read_seqinfo
from parttrack.data.towncentre import COLUMNS, read_towncentre
from parttrack.data.types import AnnotatedSequence, FrameAnnotation, PartBox, SequenceInfo, Subject
from parttrack.errors import ParseError

# derandomize: the same examples on every machine (a failure reproduces from the test name);
# print_blob: a failure also prints the @reproduce_failure blob that replays it exactly.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

SEQINFO = "[Sequence]\nname=Toy\nframeRate=25\nseqLength=6\nimWidth=100\nimHeight=80\n"
MOT_GT = "1,1,10,20,30,40,1,-1,-1,-1\n1,2,50,20,30,40,1,-1,-1,-1\n2,1,11,21,30,40,1,-1,-1,-1\n4,2,52,22,30,40,0,-1,-1,-1\n6,1,12,22,30,40,1,-1,-1,-1\n"
TC_CSV = ",".join(COLUMNS) + "\n" + "".join(
    f"{k},{k + 10},{pid},1,1,{100 + k},50,{120 + k},75,{90 + pid},40,{140 + pid},200\n" for k in range(3) for pid in (1, 2)
)


def jsonl_text() -> str:
    info = SequenceInfo("toy", 100, 80, 25.0, 6, None, ("head", "eye"))
    s1 = Subject(1, (10, 20, 30, 40), 0.5, {"head": PartBox((12, 20, 8, 8), False), "eye": None})
    s2 = Subject(2, (50, 20, 30, 40))
    seq = AnnotatedSequence(info, {0: FrameAnnotation(0, (s1, s2)), 3: FrameAnnotation(3, (s1,))}, 1)
    with tempfile.TemporaryDirectory() as d:
        write_sequence(seq, Path(d) / "a.jsonl")
        return (Path(d) / "a.jsonl").read_text()


JSONL = jsonl_text()


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "seqinfo.ini").write_text(SEQINFO)
        yield Path(d)


# name -> (file name, valid text, reader)
READERS: dict[str, tuple[str, str, Callable[[Path], Any]]] = {
    "jsonl": ("a.jsonl", JSONL, read_sequence),
    "mot": ("gt.txt", MOT_GT, lambda p: read_mot(p, p.parent / "seqinfo.ini")),
    "towncentre": ("clip_f0010_n6_gt.csv", TC_CSV, read_towncentre),
    "seqinfo": ("seq2.ini", SEQINFO, read_seqinfo),
    "load-jsonl": ("b.jsonl", JSONL, load_sequence),
}


def run(workdir: Path, kind: str, data: bytes) -> ParseError | None:
    """Feed ``data`` to a reader; return its ParseError (checked) or None if it parsed."""
    name, _, reader = READERS[kind]
    path = workdir / name
    path.write_bytes(data)
    try:
        result = reader(path)
    except ParseError as e:
        assert e.path == str(path), e
        assert "\n" not in str(e)
        assert e.line is None or 1 <= e.line <= data.count(b"\n") + 1, e
        return e
    assert isinstance(result, AnnotatedSequence | SequenceInfo)
    return None


# -- arbitrary bytes -------------------------------------------------------------------------
@FUZZ
@given(kind=st.sampled_from(sorted(READERS)), data=st.binary(max_size=300))
def test_arbitrary_bytes(workdir: Path, kind: str, data: bytes) -> None:
    run(workdir, kind, data)


@FUZZ
@given(kind=st.sampled_from(sorted(READERS)), text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text(workdir: Path, kind: str, text: str) -> None:
    run(workdir, kind, text.encode("utf-8"))


# -- mutated valid files ---------------------------------------------------------------------
FIELD_VALUES = st.one_of(
    st.sampled_from(["", "nan", "inf", "-inf", "-1", "0", "1e999", "1.5", "x", '"', "[]", "{}", "null", "true", "9" * 30]),
    st.text(max_size=6),
)


@st.composite
def mutated(draw: st.DrawFn, text: str, sep: str) -> bytes:
    """A valid file with one line mutated (a field dropped, repeated or altered; a junk line
    inserted; the line repeated or dropped)."""
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    op = draw(st.sampled_from(["drop_field", "dup_field", "alter_field", "junk_line", "dup_line", "drop_line"]))
    fields = lines[i].split(sep)
    j = draw(st.integers(0, len(fields) - 1))
    if op == "drop_field":
        del fields[j]
    elif op == "dup_field":
        fields.insert(j, fields[j])
    elif op == "alter_field":
        fields[j] = draw(FIELD_VALUES)
    if op.endswith("field"):
        lines[i] = sep.join(fields)
    elif op == "junk_line":
        lines.insert(i, draw(st.text(max_size=20)))
    elif op == "dup_line":
        lines.insert(i, lines[i])
    else:
        del lines[i]
    return ("\n".join(lines) + "\n").encode()


@FUZZ
@given(case=mutated(MOT_GT, ","))
def test_mutated_mot(workdir: Path, case: bytes) -> None:
    err = run(workdir, "mot", case)
    assert err is None or err.line is not None, err  # every gt.txt error is a line's fault


@FUZZ
@given(case=mutated(TC_CSV, ","))
def test_mutated_towncentre(workdir: Path, case: bytes) -> None:
    err = run(workdir, "towncentre", case)
    assert err is None or err.line is not None, err


@FUZZ
@given(case=mutated(JSONL, ", "))
def test_mutated_jsonl_text(workdir: Path, case: bytes) -> None:
    err = run(workdir, "jsonl", case)
    assert err is None or err.line is not None, err


@FUZZ
@given(case=mutated(SEQINFO, "="))
def test_mutated_seqinfo(workdir: Path, case: bytes) -> None:
    run(workdir, "seqinfo", case)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            out += _paths(v, prefix + (k,))
    return out


@FUZZ
@given(data=st.data())
def test_mutated_jsonl_structure(workdir: Path, data: st.DataObject) -> None:
    """Replace or delete any value anywhere in one record (header included)."""
    lines = JSONL.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    obj = json.loads(lines[i])
    path = data.draw(st.sampled_from(_paths(obj)[1:]))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(JSON_VALUES)
    else:
        del parent[path[-1]]
    lines[i] = json.dumps(obj)  # NaN/Infinity may appear: the reader must refuse them
    err = run(workdir, "jsonl", ("\n".join(lines) + "\n").encode())
    assert err is None or err.line is not None, err
