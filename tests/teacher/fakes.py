"""A tiny stand-in teacher: an ONNX model with MoveNet MultiPose's I/O that always answers
the same planted output (so label tests run without the real model, fast and exact)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def fake_output(people: list[tuple[list[tuple[float, float, float]], tuple[float, float, float, float], float]]) -> np.ndarray:
    """Raw ``(1, 6, 56)`` output: per person 17 ``(y, x, score)`` normalised keypoints, the box
    ``(ymin, xmin, ymax, xmax)`` normalised and the person score; other rows zero."""
    out = np.zeros((1, 6, 56), np.float32)
    for n, (kps, box, score) in enumerate(people):
        out[0, n, :51] = np.asarray(kps, np.float32).reshape(-1)
        out[0, n, 51:55] = box
        out[0, n, 55] = score
    return out


def write_fake_teacher(path: Path, output: np.ndarray, input_type: int = TensorProto.INT32, out_width: int = 56) -> Path:
    """Write an ONNX model: ``input`` ``[1, H, W, 3]`` -> ``output`` (constant) + 0 * sum(input)."""
    const = numpy_helper.from_array(output.astype(np.float32)[..., :out_width], "const")
    nodes = [
        helper.make_node("Cast", ["input"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["f"], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["const", "z"], ["Identity"]),
    ]
    graph = helper.make_graph(
        nodes, "fake_movenet",
        [helper.make_tensor_value_info("input", input_type, [1, "H", "W", 3])],
        [helper.make_tensor_value_info("Identity", TensorProto.FLOAT, [1, 6, out_width])],
        [const, numpy_helper.from_array(np.zeros((), np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def standing_person(cx: float, top: float, height: float, size: tuple[int, int], score: float = 0.9):
    """A frontal person (pixel geometry) as normalised MoveNet output for a ``size = (W, H)`` input."""
    w_img, h_img = size
    head = height / 8
    pts = {  # (x, y) pixels
        0: (cx, top + 0.6 * head), 1: (cx + 0.15 * head, top + 0.45 * head), 2: (cx - 0.15 * head, top + 0.45 * head),
        3: (cx + 0.35 * head, top + 0.5 * head), 4: (cx - 0.35 * head, top + 0.5 * head),
        5: (cx + 0.9 * head, top + 1.4 * head), 6: (cx - 0.9 * head, top + 1.4 * head),
    }
    kps = [(pts[i][1] / h_img, pts[i][0] / w_img, 0.9) if i in pts else (0.5, 0.5, 0.0) for i in range(17)]
    half = 1.0 * head
    box = (top / h_img, (cx - half) / w_img, (top + height) / h_img, (cx + half) / w_img)
    return kps, box, score
