from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from parttrack.teacher.movenet import (
    MoveNet,
    TeacherError,
    TileSpec,
    auto_tiles,
    box_ios,
    box_iou,
    decode_output,
    nms_merge,
    parse_tile,
    tile_grid,
)
from tests.teacher.fakes import fake_output, write_fake_teacher


def test_tile_grid_1080p_recipe():
    # 1920x1080 scaled 0.75 = 1440x810; 768x576 tiles, >= 128 px overlap, flush with the edges
    assert tile_grid(1440, 810, (768, 576), 128) == [
        (0, 0, 768, 576), (336, 0, 1104, 576), (672, 0, 1440, 576),
        (0, 234, 768, 810), (336, 234, 1104, 810), (672, 234, 1440, 810),
    ]


def test_tile_grid_small_and_halves():
    assert tile_grid(300, 200, (768, 576), 128) == [(0, 0, 300, 200)]
    assert tile_grid(640, 480, (416, 480), 192) == [(0, 0, 416, 480), (224, 0, 640, 480)]


def test_auto_tiles():
    assert auto_tiles(1920, 1080) == TileSpec(0.75, (512, 384), 128)
    assert auto_tiles(640, 480) == TileSpec(1.0, (416, 480), 192)
    assert auto_tiles(360, 640) == TileSpec(1.0, (360, 416), 192)


def test_parse_tile():
    assert parse_tile("none", 640, 480) == TileSpec(1.0, None)
    assert parse_tile("512x384", 640, 480) == TileSpec(1.0, (512, 384), 128)
    with pytest.raises(ValueError, match="--tile"):
        parse_tile("big", 640, 480)


def test_parse_tile_scale():
    assert parse_tile("none", 768, 432, 0.5) == TileSpec(0.5, None)
    assert parse_tile("auto", 1920, 1080, 0.5) == TileSpec(0.5, (512, 384), 128)  # auto's tiles, scaled px
    assert parse_tile("auto", 1920, 1080, None) == TileSpec(0.75, (512, 384), 128)
    for bad in (0.0, 5.0, float("nan")):
        with pytest.raises(ValueError, match="--scale must be in"):
            parse_tile("none", 640, 480, bad)


def test_box_iou_and_ios_exact():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [0, 0, 5, 5], [20, 20, 30, 30]])
    assert box_iou(a, b)[0] == pytest.approx([50 / 150, 25 / 100, 0.0])
    assert box_ios(a, b)[0] == pytest.approx([0.5, 1.0, 0.0])


def test_nms_merge_prefers_whole_people_and_drops_partial_copies():
    boxes = np.array([[0, 0, 10, 20], [1, 0, 11, 20], [0, 0, 10, 10], [50, 50, 60, 70]], float)
    scores = np.array([0.9, 0.8, 0.95, 0.3])
    cut = np.array([False, False, True, False])
    # 1 overlaps 0 at IoU 0.82; 2 is a cut copy inside 0 (IoS 1) although it scores best
    assert nms_merge(boxes, scores, cut) == [0, 3]
    # without the cut flag the partial copy ranks first and 0 (IoU 0.5 with it) stays too
    assert nms_merge(boxes, scores, None, iou=0.6) == [2, 0, 3]


def test_decode_output_maps_tile_to_frame_pixels():
    kps = [(0.5, 0.25, 0.8)] * 17
    raw = fake_output([(kps, (0.1, 0.2, 0.9, 0.6), 0.7), (kps, (0, 0, 1, 1), 0.1)])
    # tile at (64, 32) of a frame scaled by 0.5, model input 128x96 (W, H)
    p = decode_output(raw, (64, 32, 192, 128), (128, 96), 0.5, min_score=0.15)
    assert len(p) == 1 and p.scores[0] == pytest.approx(0.7)
    assert p.keypoints[0, 0] == pytest.approx([(0.25 * 128 + 64) / 0.5, (0.5 * 96 + 32) / 0.5, 0.8])
    assert p.boxes[0] == pytest.approx([(0.2 * 128 + 64) / 0.5, (0.1 * 96 + 32) / 0.5, (0.6 * 128 + 64) / 0.5, (0.9 * 96 + 32) / 0.5])


def test_teacher_missing_file(tmp_path: Path):
    with pytest.raises(TeacherError, match="not found") as e:
        MoveNet(tmp_path / "nope.onnx")
    assert "nope.onnx" in str(e.value)


def test_teacher_not_onnx(tmp_path: Path):
    bad = tmp_path / "model.onnx"
    bad.write_text("this is not a model")
    with pytest.raises(TeacherError, match="not a loadable ONNX model") as e:
        MoveNet(bad)
    assert str(bad) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(("kwargs", "what"), [({"input_type": TensorProto.FLOAT}, "input"), ({"out_width": 50}, "output")])
def test_teacher_wrong_io(tmp_path: Path, kwargs, what):
    path = write_fake_teacher(tmp_path / "other.onnx", np.zeros((1, 6, 56), np.float32), **kwargs)
    with pytest.raises(TeacherError, match=f"not a MoveNet MultiPose model: want one .* {what}"):
        MoveNet(path)


def test_fake_teacher_detects_planted_person(tmp_path: Path):
    kps = [(0.5, 0.25, 0.8)] * 17
    path = write_fake_teacher(tmp_path / "t.onnx", fake_output([(kps, (0.1, 0.2, 0.9, 0.6), 0.7)]))
    people = MoveNet(path, threads=1).detect(np.zeros((64, 96, 3), np.uint8), TileSpec(1.0, None))
    assert len(people) == 1
    assert people.boxes[0] == pytest.approx([0.2 * 96, 0.1 * 64, 0.6 * 96, 0.9 * 64])
