"""Sinks of parttrack.outputs: write(frame, result) / close(), atomic, context managers."""

from __future__ import annotations

import json
from pathlib import Path

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


# -- issue 16: outputs vetted before work, errors naming the user's path ---------------------
def test_check_outputs_refuses_inputs_twins_folders_and_file_parents(tmp_path, monkeypatch) -> None:
    from parttrack.errors import OutputError
    from parttrack.outputs import check_outputs

    monkeypatch.chdir(tmp_path)
    Path("clip.mp4").write_bytes(b"video")
    Path("link.mp4").symlink_to("clip.mp4")
    Path("hard.mp4").hardlink_to("clip.mp4")
    Path("folder").mkdir()
    Path("frames").mkdir()
    cases = [
        ({"--out": "clip.mp4"}, "clip.mp4: --out names the input clip.mp4"),
        ({"--jsonl": "folder/../clip.mp4"}, "folder/../clip.mp4: --jsonl names the input clip.mp4"),
        ({"--jsonl": "link.mp4"}, "link.mp4: --jsonl names the input clip.mp4"),
        ({"--jsonl": "hard.mp4"}, "hard.mp4: --jsonl names the input clip.mp4"),  # same inode
        ({"--jsonl": str(tmp_path / "clip.mp4")}, "--jsonl names the input clip.mp4"),  # absolute
        ({"--jsonl": "a.txt", "--mot": "./a.txt"}, "./a.txt: --mot and --jsonl both name a.txt"),
        ({"--mot": "folder"}, "folder: --mot must be a file, but this is a folder"),
        ({"--panels": "clip.mp4/p"}, "clip.mp4/p: cannot create --panels: clip.mp4 is a file, not a folder"),
        ({"--out": "x.webm"}, "x.webm: --out: unknown video extension '.webm'"),
        ({"--jsonl": " "}, "--jsonl needs a path, got an empty one"),
        ({"--mot": "frames/f9.png"}, "frames/f9.png: --mot would add a frame to the input image folder frames"),
    ]
    for outputs, message in cases:
        with pytest.raises(OutputError) as e:
            check_outputs(outputs, ["clip.mp4", "frames", 0, None], folders=["--panels"], videos=["--out"])
        assert message in str(e.value), (outputs, str(e.value))
    check_outputs({"--jsonl": "new/r.jsonl", "--out": "new/r.mp4", "--panels": "new/p", "--mot": None},
                  ["clip.mp4"], folders=["--panels"], videos=["--out"])  # all fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "folder", "frames", "hard.mp4", "link.mp4"]


def test_atomic_errors_name_the_target_not_the_temporary(tmp_path) -> None:
    from parttrack.atomic import atomic_path, write_text
    from parttrack.errors import OutputError

    target = tmp_path / "r.json"
    with pytest.raises(FileNotFoundError) as e, atomic_path(target) as tmp:
        raise FileNotFoundError(2, "No such file or directory", str(tmp))
    assert e.value.filename == str(target)  # not the hidden .r.json.XXXX.json
    (tmp_path / "f").write_text("a file")
    with pytest.raises(OutputError, match=r"f/g/r.json: cannot create it: .*f is a file, not a folder$"):
        write_text(tmp_path / "f" / "g" / "r.json", "x")
    with pytest.raises(OutputError, match=r": is a folder, not a file$"):
        write_text(tmp_path, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_track_video_refuses_its_own_input_before_reading(tmp_path, monkeypatch) -> None:
    from parttrack.data import video as video_module
    from parttrack.errors import OutputError
    from parttrack.pipeline import track_video

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"old bytes")
    monkeypatch.setattr(video_module, "open_video", lambda *a, **k: pytest.fail("read before the check"))
    for outputs in ({"jsonl": clip}, {"video": clip}, {"mot": tmp_path / "r.txt", "jsonl": tmp_path / "r.txt"}):
        with pytest.raises(OutputError):
            track_video(None, clip, (0, 0, 1, 1), **outputs)  # type: ignore[arg-type]
    assert clip.read_bytes() == b"old bytes" and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_panel_sink_is_all_or_nothing(tmp_path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "frame_000000.png").write_bytes(b"old panel")
    sink = PanelSink(folder, frames=[0])
    sink._staged.append((folder / ".frame_000000.partial.png", folder / "frame_000000.png"))
    (folder / ".frame_000000.partial.png").write_bytes(b"new panel")
    sink.abort()  # a failed run: the new panel goes, the old one stays
    assert [(p.name, p.read_bytes()) for p in folder.iterdir()] == [("frame_000000.png", b"old panel")]


def test_sinks_take_every_subject_of_a_frame(tmp_path) -> None:
    import dataclasses

    from parttrack.data.video import open_video

    frames = [[dataclasses.replace(result(i), subject=k) for k in range(3)] for i in range(2)]
    frames[1][1] = dataclasses.replace(result(1, lost=True), subject=1)
    with JsonlSink(tmp_path / "r.jsonl") as j, MotSink(tmp_path / "m.txt") as m, \
            VideoSink(tmp_path / "v.mp4", fps=10.0) as v, PanelSink(tmp_path / "p") as p:
        for results in frames:
            for sink in (j, m, v, p):
                sink.write_many(FRAME, results)
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [(x["frame"], x["subject"]) for x in lines] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    rows = [r.split(",")[:2] for r in (tmp_path / "m.txt").read_text().splitlines()]
    assert rows == [["1", "1"], ["1", "2"], ["1", "3"], ["2", "1"], ["2", "3"]]  # id = subject + 1; lost: no row
    with open_video(tmp_path / "v.mp4") as video:
        assert sum(1 for _ in video) == 2  # one video frame per frame, all subjects drawn on it
    with_maps = PanelSink(tmp_path / "q")
    with_maps.write(FRAME, dataclasses.replace(result(0), subject=1))
    assert with_maps._first is None  # panels are of subject 0 only: another subject is ignored


def test_a_folder_that_refuses_files_is_caught_before_any_work():
    # /proc passes the permission-bit check as root but creates no files: the probe finds out
    from parttrack.errors import OutputError
    from parttrack.outputs import check_outputs

    if not Path("/proc").is_dir():
        pytest.skip("needs Linux /proc")
    with pytest.raises(OutputError, match="refuses new files|not writable"):
        check_outputs({"--out": "/proc/x.mp4"}, [], videos=["--out"])
