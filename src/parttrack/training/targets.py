"""Training targets of one search crop, in map coordinates ([0037]-[0044], [0047]).

A crop pixel ``u`` is map coordinate ``u / stride`` (the size ratio of [0041] inside the crop is
``stride``). Keys and shapes: see :mod:`parttrack.training.samples`.
"""

from __future__ import annotations

import math

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH, FrameAnnotation, box_center
from parttrack.maps import correct_answer_map, gaussian_map, round_half_up
from parttrack.models.config import ModelConfig
from parttrack.training.config import SampleConfig


class _Points:
    """Image points -> (flipped) crop pixels -> map coordinates."""

    def __init__(self, window: CropWindow, flip: bool, stride: int) -> None:
        self.window, self.flip, self.stride = window, flip, stride

    def map_xy(self, p: tuple[float, float]) -> tuple[float, float]:
        u, v = self.window.to_crop(np.array(p, dtype=np.float64))
        if self.flip:
            u = self.window.size - 1 - u
        return float(u) / self.stride, float(v) / self.stride

    def map_wh(self, box: BoxXYWH) -> tuple[float, float]:
        s = self.window.scale / self.stride
        return box[2] * s, box[3] * s

    def map_rect(self, box: BoxXYWH, n: int) -> tuple[int, int, int, int]:
        """Elements ``(x0, y0, x1, y1)`` (exclusive ends, clipped to the map) covering ``box``."""
        (ax, ay), (bx, by) = self.map_xy((box[0], box[1])), self.map_xy((box[0] + box[2], box[1] + box[3]))
        x0, x1 = sorted((ax, bx))
        y0, y1 = sorted((ay, by))
        clip = lambda v: min(max(v, 0), n)  # noqa: E731
        return clip(math.floor(x0)), clip(math.floor(y0)), clip(math.ceil(x1) + 1), clip(math.ceil(y1) + 1)


def _draw_center(
    heat: np.ndarray, size: np.ndarray, off: np.ndarray, reg: np.ndarray, c: tuple[float, float],
    wh: tuple[float, float], sigma: float,
) -> None:
    """Max-merge a peak-1 Gaussian at ``round(c)`` into ``heat (h, w)``; set size/offset
    ``(2, h, w)`` and ``reg (h, w)`` at the peak when it lies on the map."""
    n = heat.shape[-1]
    mx, my = round_half_up(c[0]), round_half_up(c[1])
    np.maximum(heat, gaussian_map((mx, my), (n, n), sigma, "peak"), out=heat)
    if 0 <= mx < n and 0 <= my < n:
        size[:, my, mx] = wh
        off[:, my, mx] = (c[0] - mx, c[1] - my)
        reg[my, mx] = 1.0


def make_targets(
    fa: FrameAnnotation,
    subject_id: int,
    window: CropWindow,
    flip: bool,
    cfg: ModelConfig,
    sc: SampleConfig,
    annotated: tuple[str, ...],
    present: bool = True,
) -> dict[str, np.ndarray]:
    """All targets of one search crop (see the module docstring for keys and shapes).

    Args:
        fa: the search frame's annotations (pixels of the frame the crop was cut from).
        subject_id: the tracked subject (must be in ``fa``).
        window: the search window; flip: whether the crop was flipped.
        annotated: the parts the data set annotates (``SequenceInfo.part_names``); other
            parts are masked out everywhere ([0028]).
        present: False when the crop does not hold the subject: subject heatmap and S105
            answer map all zero (the part masks stay, so "nowhere" is learned).
    """
    K, n, stride = cfg.num_parts, cfg.map_size, cfg.stride
    pts = _Points(window, flip, stride)
    f32 = np.float32
    out = {
        "part_heatmap": np.zeros((K, n, n), f32),
        "part_heatmap_mask": np.ones((K, n, n), f32),
        "part_size": np.zeros((2 * K, n, n), f32),
        "part_offset": np.zeros((2 * K, n, n), f32),
        "part_reg_mask": np.zeros((K, n, n), f32),
        "subject_heatmap": np.zeros((1, n, n), f32),
        "subject_size": np.zeros((2, n, n), f32),
        "subject_offset": np.zeros((2, n, n), f32),
        "subject_reg_mask": np.zeros((1, n, n), f32),
        "subject_parts_mask": np.zeros((K,), f32),
    }
    half = window.side / 2.0
    near = [
        s for s in fa.subjects
        if s.box[0] < window.cx + half and s.box[0] + s.box[2] > window.cx - half
        and s.box[1] < window.cy + half and s.box[1] + s.box[3] > window.cy - half
    ]
    for k, name in enumerate(cfg.parts):
        if name not in annotated:
            out["part_heatmap_mask"][k] = 0.0
            continue
        for s in near:
            if name not in s.parts:  # not annotated for this person: mask the person out
                x0, y0, x1, y1 = pts.map_rect(s.box, n)
                out["part_heatmap_mask"][k, y0:y1, x0:x1] = 0.0
                continue
            p = s.parts[name]
            if p is None:
                continue
            if not p.visible:  # occluded: neither a positive nor background
                x0, y0, x1, y1 = pts.map_rect(p.box, n)
                out["part_heatmap_mask"][k, y0:y1, x0:x1] = 0.0
                continue
            _draw_center(
                out["part_heatmap"][k], out["part_size"][2 * k : 2 * k + 2], out["part_offset"][2 * k : 2 * k + 2],
                out["part_reg_mask"][k], pts.map_xy(box_center(p.box)), pts.map_wh(p.box), sc.part_sigma,
            )
    subj = fa.get(subject_id)
    if subj is None:
        raise ValueError(f"subject {subject_id} is not annotated in frame {fa.frame}")
    if present:
        _draw_center(
            out["subject_heatmap"][0], out["subject_size"], out["subject_offset"], out["subject_reg_mask"][0],
            pts.map_xy(box_center(subj.box)), pts.map_wh(subj.box), sc.subject_sigma,
        )
    # S105 correct answer: the tracked subject's own parts only, formula (1)
    centers: list[tuple[float, float] | None] = []
    for k, name in enumerate(cfg.parts):
        p = subj.parts.get(name)
        if name in annotated and name in subj.parts:
            out["subject_parts_mask"][k] = 1.0
        if p is None or not p.visible or not present:
            centers.append(None)
        else:
            mx, my = pts.map_xy(box_center(p.box))
            centers.append((mx * stride, my * stride))
    out["subject_parts"] = correct_answer_map(
        centers, (cfg.search_size, cfg.search_size), (n, n), sc.sigma, sc.gaussian
    )
    return out
