"""Sinks of parttrack.outputs: write(frame, result) / close(), atomic, context managers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from parttrack.outputs import JsonlSink, MotSink, PanelSink, VideoSink
from parttrack.tracker.result import PartResult, TrackResult

FRAME = np.full((48, 64, 3), 90, np.uint8)


def result(i: int, lost: bool = False) -> TrackResult:
    if lost:
        return TrackResult(i, None, 0.1, True, {"head": None}, {"head": "subject lost"})
    head = PartResult((20.0 + i, 10.0), None, 0.5)
    return TrackResult(i, (10.0 + i, 5.0, 20.0, 30.0), 0.9, False, {"head": head})


def test_jsonl_sink_writes_lines_on_close_and_nothing_on_error(tmp_path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlSink(path) as sink:
        sink.write(FRAME, result(0))
        sink.write(FRAME, result(1, lost=True))
        assert not path.exists()  # appears only when closed
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["frame"] for x in lines] == [0, 1] and lines[1]["lost"] is True
    bad = tmp_path / "bad.jsonl"
    with pytest.raises(RuntimeError), JsonlSink(bad) as sink:
        sink.write(FRAME, result(0))
        raise RuntimeError("boom")
    assert not bad.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_mot_sink_skips_lost_frames(tmp_path) -> None:
    path = tmp_path / "mot.txt"
    with MotSink(path) as sink:
        for r in (result(0), result(1, lost=True), result(2)):
            sink.write(FRAME, r)
    assert path.read_text().splitlines() == [
        "1,1,10,5,20,30,0.9,-1,-1,-1",
        "3,1,12,5,20,30,0.9,-1,-1,-1",
    ]


def test_panel_sink_frames_and_video_sink(tmp_path) -> None:
    every = PanelSink(tmp_path / "p")
    assert every.wants_maps(3)  # the first frame written is always a panel frame
    every.write(FRAME, result(3))  # no maps: nothing written
    assert [k for k in range(3, 60) if every.wants_maps(k)] == [3, 28, 53] and every.paths == []
    chosen = PanelSink(tmp_path / "q", frames=[4, 9])
    assert [k for k in range(12) if chosen.wants_maps(k)] == [4, 9]
    video = tmp_path / "v.mp4"
    with VideoSink(video, fps=10.0) as sink:
        for i in range(3):
            sink.write(FRAME, result(i))
    assert video.stat().st_size > 0
