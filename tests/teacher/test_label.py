from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from parttrack.data.jsonl import read_sequence
from parttrack.data.video import VideoWriter
from parttrack.errors import ParseError, ParttrackError, UsageError, VideoError
from parttrack.teacher.cli import label_cmd
from parttrack.teacher.label import check_output, label_video, pair_boxes, person_parts
from parttrack.teacher.linking import LinkParams
from parttrack.teacher.movenet import TeacherError
from tests.teacher.fakes import fake_output, standing_person, write_fake_teacher

SIZE = (320, 256)  # multiples of 32: the fake teacher's input is the frame itself


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, 25.0, SIZE) as w:
        for t in range(8):
            w.write(np.full((SIZE[1], SIZE[0], 3), 60 + 10 * t, np.uint8))
    return path


@pytest.fixture
def teacher(tmp_path: Path) -> Path:
    people = [standing_person(80, 40, 160, SIZE), standing_person(200, 50, 160, SIZE, score=0.6)]
    return write_fake_teacher(tmp_path / "fake.onnx", fake_output(people))


def test_person_parts_head_and_eyes():
    kps = np.zeros((17, 3))
    kps[:7] = [(100, 60, 0.9), (103, 58, 0.9), (97, 58, 0.9), (107, 60, 0.9), (93, 60, 0.9), (118, 80, 0.9), (82, 80, 0.9)]
    parts = person_parts(kps, np.array([80.0, 50, 120, 190]))
    assert set(parts) == {"head", "eye"}
    assert parts["head"].confidence == pytest.approx(0.9) and parts["eye"].visible
    assert person_parts(np.zeros((17, 3)), np.array([0.0, 0, 10, 10])) == {}


def test_pair_boxes_hungarian_on_iou():
    given = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [100, 100, 110, 110]], float)
    found = np.array([[21, 0, 31, 10], [1, 0, 11, 10]], float)
    assert sorted(pair_boxes(given, found)) == [(0, 1), (1, 0)]


def test_free_mode_links_and_writes_confidence(clip: Path, teacher: Path, tmp_path: Path):
    out = tmp_path / "labels.jsonl"
    s = label_video(clip, teacher, out, tile="none", progress=False)
    assert (s.frames, s.subjects, s.heads, s.identities) == (8, 16, 16, 2)
    seq = read_sequence(out)
    assert seq.info.part_names == ("head", "eye") and seq.info.source == str(clip)
    first = seq.frames[0].subjects
    assert [x.id for x in first] == [1, 2] and first[0].confidence == pytest.approx(0.9)
    assert first[0].box == pytest.approx((60, 40, 40, 160), abs=0.01)
    head = first[0].parts["head"]
    cx, cy = head.box[0] + head.box[2] / 2, head.box[1] + head.box[3] / 2
    assert 60 < cx < 100 and 40 < cy < 70 and head.confidence == pytest.approx(0.9, abs=1e-4)
    assert all(len(seq.frames[k].subjects) == 2 for k in range(8))


def test_boxes_mode_keeps_given_ids(clip: Path, teacher: Path, tmp_path: Path):
    gt = tmp_path / "gt.txt"
    rows = [f"{f},{i},{x},{y},{w},{h},1,-1,-1,-1" for f in range(1, 9)
            for i, (x, y, w, h) in ((7, (58, 38, 44, 164)), (9, (178, 48, 44, 164)), (3, (315, 20, 60, 210)))]
    gt.write_text("\n".join(rows) + "\n")
    out = tmp_path / "labels.jsonl"
    s = label_video(clip, teacher, out, boxes=gt, tile="none", end=3, progress=False)
    assert (s.frames, s.subjects, s.heads, s.identities) == (4, 12, 8, 3)
    seq = read_sequence(out)
    assert sorted(seq.frames) == [0, 1, 2, 3]
    subs = {x.id: x for x in seq.frames[2].subjects}
    assert subs[7].box == (58, 38, 44, 164) and set(subs[7].parts) == {"head", "eye"}
    # box 3, at the frame edge, fits no teacher person even in its second look: no parts
    assert subs[3].parts == {} and subs[3].confidence is None


def test_bad_video(teacher: Path, tmp_path: Path):
    with pytest.raises(VideoError) as e:
        label_video(tmp_path / "missing.mp4", teacher, tmp_path / "o.jsonl", progress=False)
    assert "missing.mp4" in str(e.value)
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    with pytest.raises(VideoError, match="cut.mp4"):
        label_video(bad, teacher, tmp_path / "o.jsonl", progress=False)
    assert not (tmp_path / "o.jsonl").exists()


def test_bad_teacher(clip: Path, tmp_path: Path):
    model = tmp_path / "weights.pt"
    model.write_bytes(b"PK\x03\x04 not onnx")
    with pytest.raises(TeacherError, match="weights.pt: not a loadable ONNX model"):
        label_video(clip, model, tmp_path / "o.jsonl", progress=False)


def test_bad_boxes_file(clip: Path, teacher: Path, tmp_path: Path):
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20\n")
    with pytest.raises(ParseError, match=r"gt.txt:1: expected 10 columns"):
        label_video(clip, teacher, tmp_path / "o.jsonl", boxes=gt, progress=False)
    with pytest.raises(ParseError, match="nothere.txt: cannot read file"):
        label_video(clip, teacher, tmp_path / "o.jsonl", boxes=tmp_path / "nothere.txt", progress=False)


def test_unwritable_output(clip: Path, teacher: Path, tmp_path: Path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ParttrackError, match="not writable"):
        label_video(clip, teacher, blocker / "labels.jsonl", progress=False)
    with pytest.raises(ParttrackError, match="output is a folder"):
        check_output(tmp_path)


def test_bad_tile_and_step(clip: Path, teacher: Path, tmp_path: Path):
    with pytest.raises(UsageError, match="--tile"):
        label_video(clip, teacher, tmp_path / "o.jsonl", tile="huge", progress=False)
    with pytest.raises(UsageError, match="--step"):
        label_video(clip, teacher, tmp_path / "o.jsonl", step=0, progress=False)


def test_scale_keeps_labels_in_frame_pixels(clip: Path, teacher: Path, tmp_path: Path):
    # the fake teacher answers in normalised coordinates: halving the frame first must give
    # the same labels in original pixels
    boxes = {}
    for scale in (None, 0.5):
        out = tmp_path / f"l{scale}.jsonl"
        label_video(clip, teacher, out, tile="none", scale=scale, progress=False)
        boxes[scale] = [s.box for fa in read_sequence(out) for s in fa.subjects]
    assert len(boxes[None]) == 16 and np.allclose(boxes[None], boxes[0.5], atol=1.0)
    with pytest.raises(UsageError, match="--scale"):
        label_video(clip, teacher, tmp_path / "o.jsonl", tile="none", scale=0.0, progress=False)


def test_cli_label(clip: Path, teacher: Path, tmp_path: Path):
    app = typer.Typer()
    app.command("label")(label_cmd)
    app.command("other")(lambda: None)  # two commands: typer keeps the subcommand name
    out = tmp_path / "l.jsonl"
    r = CliRunner().invoke(app, ["label", str(clip), "--teacher", str(teacher), "--out", str(out), "--tile", "none"])
    assert r.exit_code == 0, r.output
    assert "labelled 8 frames" in r.output and "2 identities" in r.output and out.is_file()


def test_fits_top_and_pairing_prefers_a_fitting_head():
    from parttrack.teacher.label import fits_top

    assert fits_top(np.array([[5, 2], [5, 50], [np.nan, np.nan]]), np.array([[0, 0, 10, 100]])).tolist() == [[True, False, False]]
    given = np.array([[0, 0, 10, 100]], float)
    found = np.array([[0, 0, 10, 30], [-20, -5, 30, 120]], float)  # IoU 0.3 without head; 0.16 with a head on top
    heads = np.array([[np.nan, np.nan], [5, 5]])
    assert pair_boxes(given, found, heads) == [(0, 1)]
    assert pair_boxes(given, found) == [(0, 0)]


def test_cli_bad_min_score(clip: Path, teacher: Path, tmp_path: Path):
    app = typer.Typer()
    app.command("label")(label_cmd)
    app.command("other")(lambda: None)
    r = CliRunner().invoke(app, ["label", str(clip), "--teacher", str(teacher), "--out", str(tmp_path / "l.jsonl"),
                                 "--min-score", "2"])
    assert isinstance(r.exception, UsageError) and "--min-score" in str(r.exception)


def test_step_labels_every_nth_frame(clip: Path, teacher: Path, tmp_path: Path):
    out = tmp_path / "l.jsonl"
    s = label_video(clip, teacher, out, tile="none", step=2, start=1, progress=False,
                    link_params=LinkParams(min_length=2))
    assert s.frames == 4 and sorted(read_sequence(out).frames) == [1, 3, 5, 7]


def test_label_cli_refuses_an_output_that_is_an_input(tmp_path):
    """``--out`` equal to the video, the teacher or ``--boxes`` is refused before any work."""
    from parttrack.cli import main

    video, teacher, boxes = tmp_path / "v.mp4", tmp_path / "t.onnx", tmp_path / "gt.txt"
    for f in (video, teacher, boxes):
        f.write_bytes(b"original")
    for out in (video, teacher, boxes):
        with pytest.raises(SystemExit) as e:
            main(["label", str(video), "--teacher", str(teacher), "--boxes", str(boxes), "--out", str(out)])
        assert e.value.code == 2
    assert all(f.read_bytes() == b"original" for f in (video, teacher, boxes))
    with pytest.raises(SystemExit) as e:
        main(["label", str(video), "--teacher", str(teacher), "--out", str(tmp_path / "o.jsonl"), "--threads", "0"])
    assert e.value.code == 2
