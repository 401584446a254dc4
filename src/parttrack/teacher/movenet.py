"""The teacher: MoveNet MultiPose (ONNX) run with onnxruntime, tiled for large frames.

MoveNet, Copyright Google LLC, Apache License 2.0 (weights are a user-supplied file, never
shipped or downloaded by parttrack).

Model I/O (checked when loaded): input int32 ``[1, H, W, 3]`` RGB 0-255 with H, W multiples
of 32; output float32 ``[1, 6, 56]``: up to 6 people, each 17 COCO keypoints as
``(y, x, score)`` normalised to the input, then the box ``(ymin, xmin, ymax, xmax)``
normalised, then the person score. At most 6 people per call, so large frames are cut into
overlapping tiles and the people of all tiles are merged with NMS (:func:`nms_merge`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from parttrack.errors import ParttrackError

NUM_KEYPOINTS = 17
KEYPOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
_OUT_WIDTH = NUM_KEYPOINTS * 3 + 5  # 56


class TeacherError(ParttrackError):
    """A teacher model file that is missing, not ONNX, or has the wrong inputs/outputs."""


@dataclass(frozen=True)
class People:
    """People found in one frame (N of them), in pixels of the original frame.

    Attributes:
        keypoints: ``(N, 17, 3)`` float32 ``(x, y, score)`` per COCO keypoint.
        boxes: ``(N, 4)`` float32 person boxes ``(x0, y0, x1, y1)``.
        scores: ``(N,)`` float32 person scores in [0, 1].
    """

    keypoints: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @staticmethod
    def empty() -> People:
        """No people."""
        return People(
            np.zeros((0, NUM_KEYPOINTS, 3), np.float32), np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        )

    def take(self, index: np.ndarray | list[int]) -> People:
        """The people at ``index`` (in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        return People(self.keypoints[idx], self.boxes[idx], self.scores[idx])


@dataclass(frozen=True)
class TileSpec:
    """How a frame is fed to the teacher.

    Attributes:
        scale: resize factor applied to the frame first (e.g. 0.75 for 1080p).
        tile: ``(width, height)`` of a tile in scaled pixels, or None for one pass over the
            whole (scaled) frame.
        overlap: overlap of neighbouring tiles in scaled pixels.
    """

    scale: float = 1.0
    tile: tuple[int, int] | None = None
    overlap: int = 128

    def __post_init__(self) -> None:
        if not (0.05 <= self.scale <= 4.0):
            raise ValueError(f"scale must be in [0.05, 4], got {self.scale}")
        if self.tile is not None:
            w, h = self.tile
            if w < 64 or h < 64:
                raise ValueError(f"tile must be at least 64x64, got {w}x{h}")
            if not 0 <= self.overlap < min(w, h):
                raise ValueError(f"overlap must be in [0, {min(w, h)}), got {self.overlap}")


def auto_tiles(width: int, height: int) -> TileSpec:
    """The default tiling for a ``width x height`` frame.

    Up to 640x480 (and portrait 480x640): two overlapping halves of the frame (each call finds
    at most 6 people, and TUD-Stadtmitte has up to 8); larger frames: scaled so the short side
    is at most 810 px (0.75 for 1080p) and cut into 512x384 tiles with 128 px overlap (12 tiles
    for 1080p). The models README suggests 768x576 tiles, but a crowded Town Centre tile then
    holds more than 6 people: head recall on 3 frames of ``clip_f0435_n96`` rose from 65 % to
    81 % with the smaller tiles.
    """
    if width * height <= 640 * 480:
        if width >= height:
            return TileSpec(1.0, (min(width, max(64, width // 2 + 96)), height), 192)
        return TileSpec(1.0, (width, min(height, max(64, height // 2 + 96))), 192)
    scale = min(1.0, 810.0 / min(width, height))
    return TileSpec(scale, (512, 384), 128)


def parse_tile(text: str, width: int, height: int, scale: float | None = None) -> TileSpec:
    """``auto`` | ``none`` | ``WxH`` (tile size at scale 1) -> TileSpec for this frame size.

    ``scale`` (None: auto's choice, else 1) resizes the frame before the teacher; a tile size
    is then in scaled pixels. People much taller than ~200 px want a scale below 1: on the
    768x432 office clip (people ~350 px tall) MoveNet finds split, low-score (0.15-0.35)
    boxes at scale 1 and whole people scoring ~0.6 at 0.5.

    Raises:
        ValueError: anything else, or a scale outside [0.05, 4].
    """
    t = text.strip().lower()
    if scale is not None and not 0.05 <= scale <= 4.0:  # NaN fails too
        raise ValueError(f"--scale must be in [0.05, 4], got {scale}")
    if t == "auto":
        spec = auto_tiles(width, height)
    elif t == "none":
        spec = TileSpec(1.0, None)
    else:
        parts = t.split("x")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"--tile must be auto, none or WxH (e.g. 768x576), got {text!r}")
        spec = TileSpec(1.0, (int(parts[0]), int(parts[1])), 128)
    return spec if scale is None else replace(spec, scale=float(scale))


def tile_grid(width: int, height: int, tile: tuple[int, int], overlap: int) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles covering a ``width x height`` image.

    Tiles are ``tile`` sized (clipped to the image), neighbours overlap by at least
    ``overlap`` px, the last row/column is flush with the image edge.

    Returns:
        ``(x0, y0, x1, y1)`` pixel rectangles, row by row.
    """

    def starts(size: int, t: int) -> list[int]:
        if t >= size:
            return [0]
        step = t - overlap
        n = int(np.ceil((size - t) / step)) + 1
        return [round(i * (size - t) / (n - 1)) for i in range(n)]

    tw, th = min(tile[0], width), min(tile[1], height)
    return [(x, y, x + tw, y + th) for y in starts(height, th) for x in starts(width, tw)]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` ``(N, 4)`` with every box in ``b`` ``(M, 4)``, xyxy -> ``(N, M)``."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def box_ios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box's area, ``(N, M)``, xyxy boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    small = np.minimum(area_a[:, None], area_b[None, :])
    return np.where(small > 0, ix * iy / np.maximum(small, 1e-12), 0.0)


def nms_merge(
    boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray | None = None, iou: float = 0.5, ios: float = 0.7
) -> list[int]:
    """Merge the people of overlapping tiles: greedy non-maximum suppression.

    People whose box touches an inner tile edge (``cut``: seen only in part) rank after whole
    ones, then by score. A person is dropped when its box overlaps a kept one by IoU >= ``iou``,
    or, when it is cut, covers it by intersection-over-smaller >= ``ios`` (the partial copy of
    someone a neighbouring tile saw whole).

    Args:
        boxes: ``(N, 4)`` xyxy pixels.
        scores: ``(N,)``.
        cut: ``(N,)`` bool, True where the box touches an inner tile edge (None: all False).

    Returns:
        Indices of the kept people, best first.
    """
    n = len(scores)
    cut = np.zeros(n, bool) if cut is None else np.asarray(cut, bool)
    order = sorted(range(n), key=lambda i: (bool(cut[i]), -float(scores[i]), i))
    iou_m, ios_m = box_iou(boxes, boxes), box_ios(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if any(iou_m[i, k] >= iou or (cut[i] and ios_m[i, k] >= ios) for k in keep):
            continue
        keep.append(i)
    return keep


def decode_output(
    out: np.ndarray, rect: tuple[int, int, int, int], in_size: tuple[int, int], scale: float, min_score: float
) -> People:
    """Turn one raw output ``(1, 6, 56)`` of a tile into People in original-frame pixels.

    Args:
        out: the model output for an input of ``in_size = (W, H)`` pixels (padded tile).
        rect: the tile ``(x0, y0, x1, y1)`` in scaled-frame pixels (padding lies beyond x1/y1).
        scale: scaled-frame pixels per original pixel.
        min_score: people below this person score are dropped.

    Returns:
        The people, in the model's order.
    """
    raw = np.asarray(out, np.float32).reshape(-1, _OUT_WIDTH)
    raw = raw[raw[:, -1] >= min_score]
    w_in, h_in = in_size
    x0, y0 = rect[0], rect[1]
    kp = raw[:, : NUM_KEYPOINTS * 3].reshape(-1, NUM_KEYPOINTS, 3)
    keypoints = np.stack(
        [(kp[:, :, 1] * w_in + x0) / scale, (kp[:, :, 0] * h_in + y0) / scale, kp[:, :, 2]], axis=-1
    )
    b = raw[:, NUM_KEYPOINTS * 3 : NUM_KEYPOINTS * 3 + 4]
    boxes = np.stack([b[:, 1] * w_in + x0, b[:, 0] * h_in + y0, b[:, 3] * w_in + x0, b[:, 2] * h_in + y0], axis=-1)
    return People(keypoints.astype(np.float32), (boxes / scale).astype(np.float32), raw[:, -1].copy())


class MoveNet:
    """MoveNet MultiPose as an onnxruntime session.

    Args:
        path: the ``.onnx`` file (e.g. ``../shared/models/movenet_multipose.onnx``).
        threads: intra-op CPU threads (None: onnxruntime's default).
        min_score: people with a lower person score are dropped.

    Raises:
        TeacherError: missing/unreadable file, not an ONNX model, or inputs/outputs other
            than int32 ``[1, H, W, 3]`` -> float ``[1, 6, 56]`` (names the file).
    """

    def __init__(self, path: str | Path, threads: int | None = None, min_score: float = 0.15) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.min_score = float(min_score)
        if not self.path.is_file():
            raise TeacherError("teacher model not found" if not self.path.exists() else "not a file", self.path)
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        if threads is not None:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own (non-public) exception types
            first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise TeacherError(f"not a loadable ONNX model ({first})", self.path) from None
        self._check_io()

    def _check_io(self) -> None:
        ins, outs = self.session.get_inputs(), self.session.get_outputs()
        if len(ins) != 1 or ins[0].type != "tensor(int32)" or len(ins[0].shape) != 4 or ins[0].shape[3] != 3:
            got = [(i.name, i.type, i.shape) for i in ins]
            raise TeacherError(f"not a MoveNet MultiPose model: want one int32 input [1, H, W, 3], got {got}", self.path)
        shape = outs[0].shape if len(outs) == 1 else None
        if shape is None or outs[0].type != "tensor(float)" or len(shape) != 3 or shape[2] != _OUT_WIDTH:
            got = [(o.name, o.type, o.shape) for o in outs]
            raise TeacherError(f"not a MoveNet MultiPose model: want one float output [1, 6, 56], got {got}", self.path)
        self.input_name = ins[0].name

    def run_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Raw model output ``(1, 6, 56)`` for an RGB uint8 ``(H, W, 3)`` image whose sides
        are multiples of 32."""
        x = np.ascontiguousarray(rgb, dtype=np.int32)[None]
        return self.session.run(None, {self.input_name: x})[0]

    def detect(self, image: np.ndarray, tiles: TileSpec | None = None) -> People:
        """All people in a BGR frame ``(H, W, 3)`` uint8, tiled per ``tiles``, merged by NMS.

        Returns:
            People in original-frame pixels, best first.
        """
        h, w = image.shape[:2]
        spec = tiles if tiles is not None else auto_tiles(w, h)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if spec.scale != 1.0:
            size = (max(32, round(w * spec.scale)), max(32, round(h * spec.scale)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if spec.scale < 1 else cv2.INTER_LINEAR)
        sh, sw = rgb.shape[:2]
        rects = [(0, 0, sw, sh)] if spec.tile is None else tile_grid(sw, sh, spec.tile, spec.overlap)
        found: list[People] = []
        cuts: list[np.ndarray] = []
        for rect in rects:
            x0, y0, x1, y1 = rect
            crop = rgb[y0:y1, x0:x1]
            ph, pw = -(-(y1 - y0) // 32) * 32, -(-(x1 - x0) // 32) * 32
            if (ph, pw) != crop.shape[:2]:
                crop = cv2.copyMakeBorder(crop, 0, ph - crop.shape[0], 0, pw - crop.shape[1], cv2.BORDER_CONSTANT)
            people = decode_output(self.run_rgb(crop), rect, (pw, ph), spec.scale, self.min_score)
            found.append(people)
            cuts.append(_touches_inner_edge(people.boxes * spec.scale, rect, (sw, sh)))
        merged = People(
            np.concatenate([p.keypoints for p in found]),
            np.concatenate([p.boxes for p in found]),
            np.concatenate([p.scores for p in found]),
        )
        if len(rects) == 1:
            return merged.take(np.argsort(-merged.scores, kind="stable"))
        return merged.take(nms_merge(merged.boxes, merged.scores, np.concatenate(cuts)))


def _touches_inner_edge(boxes: np.ndarray, rect: tuple[int, int, int, int], size: tuple[int, int], margin: float = 4.0) -> np.ndarray:
    """``(N,)`` bool: xyxy box (scaled px) within ``margin`` of a tile edge that is not the frame's."""
    x0, y0, x1, y1 = rect
    w, h = size
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = np.zeros(len(b), bool)
    if x0 > 0:
        out |= b[:, 0] <= x0 + margin
    if y0 > 0:
        out |= b[:, 1] <= y0 + margin
    if x1 < w:
        out |= b[:, 2] >= x1 - margin
    if y1 < h:
        out |= b[:, 3] >= y1 - margin
    return out


def focus_rect(box: np.ndarray, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The crop to look again at one given body box ``(x0, y0, x1, y1)``: 30 % wider on each
    side, 10 % taller at top and bottom, clipped to the frame; None if nothing is left."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    r = (max(0, int(x0 - 0.3 * w)), max(0, int(y0 - 0.1 * h)), min(width, int(np.ceil(x1 + 0.3 * w))),
         min(height, int(np.ceil(y1 + 0.1 * h))))
    return r if r[2] - r[0] >= 8 and r[3] - r[1] >= 8 else None


def detect_region(
    net: MoveNet, image: np.ndarray, rect: tuple[int, int, int, int], height: int = 384, min_score: float = 0.05
) -> People:
    """People in one region ``(x0, y0, x1, y1)`` of a BGR frame, resized to ``height`` px tall
    (one teacher call; a second look at a given box the full-frame pass missed, e.g. a person
    half hidden: being aimed at a known person, it accepts person scores down to ``min_score``).
    On 30 TUD-Stadtmitte frames, 384 px and 0.05 gave heads to 168 of 193 given boxes against
    162 with 256 px and 0.15."""
    x0, y0, x1, y1 = rect
    scale = height / (y1 - y0)
    rgb = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
    w = max(32, round((x1 - x0) * scale))
    rgb = cv2.resize(rgb, (w, height), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    pw, ph = -(-w // 32) * 32, -(-height // 32) * 32
    rgb = cv2.copyMakeBorder(rgb, 0, ph - height, 0, pw - w, cv2.BORDER_CONSTANT)
    p = decode_output(net.run_rgb(rgb), (0, 0, w, height), (pw, ph), scale, min_score)
    shift = np.array([x0, y0, 0.0], np.float32)
    return People(p.keypoints + shift, p.boxes + np.array([x0, y0, x0, y0], np.float32), p.scores)
