"""External peer: OpenCV CSRT tracking the body, with heads by a box prior or by the part
detector (top-down) on a search crop around the CSRT box.

The peer shares nothing with the patent's tracker except the part detector (first model,
[0031]-[0032]) for ``csrt+top-down``, so it shows what a classic correlation-filter tracker
plus a part detector achieves without the element product ([0059]).

Example::

    peer = CsrtPeer()
    peer.initialize(frame0, (100, 50, 30, 80))
    box = peer.track(frame1)                      # (x, y, w, h) or None when CSRT fails
    heads = TopDownParts(weights).detect(frame1, [box], ("head",))[0]["head"]
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH
from parttrack.device import torch_device
from parttrack.models import Weights
from parttrack.tracker.decoders import decode_top_down, prior_point

Point = tuple[float, float]


def clip_box(box: BoxXYWH, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The part of ``box`` inside a ``width`` x ``height`` frame as integer ``(x, y, w, h)``
    (what OpenCV trackers accept), or None when less than 2x2 pixels remain."""
    x0, y0 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x1 = min(width, int(round(box[0] + box[2])))
    y1 = min(height, int(round(box[1] + box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1 - x0, y1 - y0


class CsrtPeer:
    """OpenCV CSRT (discriminative correlation filter with channel and spatial reliability)
    following one subject's body box; ``initialize(frame, box)`` / ``track(frame)``."""

    def __init__(self) -> None:
        self._tracker: cv2.Tracker | None = None

    def initialize(self, frame: np.ndarray, box: BoxXYWH) -> None:
        """Start on ``box`` ``(x, y, w, h)`` image pixels of ``frame`` ``(H, W, 3)`` uint8 BGR
        (clipped to the frame; a box with no area inside leaves the peer lost)."""
        H, W = frame.shape[:2]
        roi = clip_box(box, W, H)
        self._tracker = None
        if roi is None:
            return
        tracker = cv2.TrackerCSRT_create()
        try:
            tracker.init(frame, roi)
        except cv2.error:
            return
        self._tracker = tracker

    def track(self, frame: np.ndarray) -> BoxXYWH | None:
        """Body box ``(x, y, w, h)`` image pixels in ``frame``, or None when CSRT reports a
        failure (it keeps its model and may recover on later frames)."""
        if self._tracker is None:
            return None
        try:
            ok, b = self._tracker.update(frame)
        except cv2.error:
            return None
        if not ok or b[2] <= 0 or b[3] <= 0:
            return None
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def box_prior_parts(box: BoxXYWH, parts: Sequence[str]) -> dict[str, Point]:
    """Part points at the fixed relative positions of ``parttrack.tracker.decoders.PART_PRIORS`` inside
    ``box`` (image pixels)."""
    return {p: prior_point(box, p) for p in parts}


class TopDownParts:
    """The part detector run on a search crop around given body boxes; each part is the
    detector's peak inside the box (``decode_top_down``), mapped to the image ([0060]).

    The crop geometry is the tracker's search window (``CropWindow.around(box, search_size,
    search_factor, context)``), here centred on the peer's current box.

    Args:
        weights: the detector (and its ModelConfig) to use.
        device: torch device.
    """

    def __init__(self, weights: Weights, device: str | torch.device = "cpu") -> None:
        dev = torch_device(device)
        self.cfg = weights.config
        self.device = dev
        self.detector = weights.detector.eval().to(dev)

    def detect(
        self, frame: np.ndarray, boxes: Sequence[BoxXYWH], parts: Sequence[str]
    ) -> list[dict[str, Point]]:
        """One batched detector pass over the crops around ``boxes`` of ``frame``.

        Args:
            frame: ``(H, W, 3)`` uint8 BGR.
            boxes: body boxes ``(x, y, w, h)`` image pixels.
            parts: part names (each in the weights' parts).

        Returns:
            per box, part name -> ``(x, y)`` image pixels.
        """
        if not boxes:
            return []
        cfg = self.cfg
        windows = [CropWindow.around(b, cfg.search_size, cfg.search_factor, cfg.context) for b in boxes]
        batch = np.stack([w.warp(frame).transpose(2, 0, 1) for w in windows]).astype(np.float32) / 255.0
        with torch.inference_mode():
            out = self.detector(torch.from_numpy(batch).to(self.device))
        heat = out["part_heatmap"].float().cpu().numpy()
        size = out["part_size"].float().cpu().numpy()
        offset = out["part_offset"].float().cpu().numpy()
        s = cfg.stride
        result: list[dict[str, Point]] = []
        for i, (win, box) in enumerate(zip(windows, boxes, strict=True)):
            box_map = win.box_to_map(box, s)
            found: dict[str, Point] = {}
            for name in parts:
                k = cfg.parts.index(name)
                d = decode_top_down(heat[i, k], box_map, size[i, 2 * k : 2 * k + 2], offset[i, 2 * k : 2 * k + 2])
                px, py = win.map_to_image(np.array(d.point), s)
                found[name] = (float(px), float(py))
            result.append(found)
        return result
