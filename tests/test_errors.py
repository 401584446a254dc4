"""The one-line error family of parttrack.errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from parttrack.errors import (
    CheckpointError,
    ConfigError,
    ParseError,
    ParttrackError,
    TrainingError,
    UsageError,
    VideoError,
)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "bad thing"),
        ({"path": "a/b.txt"}, "a/b.txt: bad thing"),
        ({"path": Path("a/b.txt"), "line": 7}, "a/b.txt:7: bad thing"),
        ({"path": "v.mp4", "frame": 12}, "v.mp4 (frame 12): bad thing"),
        ({"path": "v.jsonl", "line": 3, "frame": 2}, "v.jsonl:3 (frame 2): bad thing"),
        ({"frame": 0}, "frame 0: bad thing"),
        ({"line": 5}, "bad thing"),  # a line without a file says nothing useful: dropped
    ],
)
def test_rendering(kwargs: dict, text: str) -> None:
    assert str(ParttrackError("bad thing", **kwargs)) == text


def test_one_line_and_attributes() -> None:
    e = ParseError("two\nlines", Path("x.csv"), line=4)
    assert str(e) == "x.csv:4: two lines"
    assert (e.message, e.path, e.line, e.frame) == ("two\nlines", "x.csv", 4, None)
    assert e.args == ("x.csv:4: two lines",)


@pytest.mark.parametrize("cls", [ParseError, VideoError, ConfigError, CheckpointError, TrainingError, UsageError])
def test_family(cls: type[ParttrackError]) -> None:
    e = cls("m", "f")
    assert isinstance(e, ParttrackError) and isinstance(e, Exception)
    assert e.exit_code == 2
    with pytest.raises(ParttrackError, match="^f: m$"):
        raise e


def test_run_script_turns_bad_input_into_one_line_and_exit_2(capsys):
    import pytest

    from parttrack.errors import UsageError, run_script

    def bad() -> int:
        raise UsageError("--every must be >= 1, got 0")

    with pytest.raises(SystemExit) as e:
        run_script(bad)
    assert e.value.code == 2 and capsys.readouterr().err == "error: --every must be >= 1, got 0\n"
    for ret, code in ((None, 0), (3, 3)):
        with pytest.raises(SystemExit) as e:
            run_script(lambda r=ret: r)
        assert e.value.code == code
