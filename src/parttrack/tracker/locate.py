"""Subject localisation on the tracker's subject maps (pure numpy, SiamRPN-style priors).

The subject is the peak of its likelihood map ([0058]) re-weighted by the usual Siamese priors:
a penalty on size / aspect change against the previous box and a cosine (Hann) window centred
on the search crop (the expected position). Sizes and positions are read at the chosen element
and mapped to the image through the crop (:meth:`parttrack.crop.CropWindow.map_to_image`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH
from parttrack.maps import peak
from parttrack.models.config import ModelConfig


def hann_window(n: int) -> np.ndarray:
    """``(n, n)`` float32 cosine window, peak near the centre (SiamFC's ``np.hanning`` outer
    product of length ``n + 1`` cut to ``n``, so it centres on element ``n / 2``)."""
    h = np.hanning(n + 1)[:n]
    return np.outer(h, h).astype(np.float32)


def context_size(w: np.ndarray | float, h: np.ndarray | float) -> np.ndarray | float:
    """SiamRPN's size measure ``sqrt((w + p) (h + p))`` with ``p = (w + h) / 2``."""
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


def change(r: np.ndarray) -> np.ndarray:
    """``max(r, 1 / r)``: how far a ratio is from 1, either way."""
    return np.maximum(r, 1.0 / r)


@dataclass(frozen=True)
class Located:
    """The subject found in one crop.

    Attributes:
        box: ``(x, y, w, h)`` image pixels (unsmoothed size at the chosen element).
        score: raw subject likelihood at the chosen element.
        size_rate: rate of the smoothed size update, ``penalty x score x size_lr`` (<= 1).
    """

    box: BoxXYWH
    score: float
    size_rate: float


def locate_subject(
    heat: np.ndarray,
    size: np.ndarray,
    offset: np.ndarray,
    window: CropWindow,
    stride: int,
    previous: tuple[float, float],
    hann: np.ndarray | None,
    window_influence: float,
    scale_penalty: float,
    size_lr: float,
) -> Located:
    """Subject box, score and size-update rate from one crop's subject maps.

    Args:
        heat: subject likelihood ``(h, w)``; size / offset: ``(2, h, w)`` map elements.
        window: the search crop; stride: crop pixels per map element.
        previous: ``(w, h)`` of the previous subject box, image pixels.
        hann: cosine window ``(h, w)`` (:func:`hann_window`), or None for none (lost subject).
        window_influence: weight of ``hann``, 0-1.
        scale_penalty: ``k`` of ``exp(-k (r s - 1))``; size_lr: size update rate.
    """
    pw, ph = previous
    ws = np.maximum(size[0] * stride / window.scale, 1e-3)  # candidate sizes, image px
    hs = np.maximum(size[1] * stride / window.scale, 1e-3)
    s_c = change(context_size(ws, hs) / context_size(pw, ph))
    r_c = change((pw / ph) / (ws / hs))
    penalty = np.exp(-(r_c * s_c - 1.0) * scale_penalty)
    pscore = heat * penalty
    if hann is not None and window_influence > 0:
        pscore = pscore * (1 - window_influence) + hann * window_influence
    x, y = peak(pscore)
    score = float(heat[y, x])
    off = offset[:, y, x]
    cx, cy = window.map_to_image(np.array([x + float(off[0]), y + float(off[1])]), stride)
    w, h = float(ws[y, x]), float(hs[y, x])
    lr = float(penalty[y, x] * score * size_lr)
    return Located((float(cx) - w / 2, float(cy) - h / 2, w, h), score, min(lr, 1.0))


def widening_window(
    box: BoxXYWH, velocity: np.ndarray, lost_frames: int, model: ModelConfig, lost_growth: float,
    frame_size: tuple[int, int],
) -> CropWindow:
    """The single-peak mode's search window: around the last ``box`` moved by ``velocity``
    (image px/frame); while lost it widens by ``lost_growth`` per lost frame, up to a crop of
    the whole ``(W, H)`` frame."""
    factor = model.search_factor * lost_growth ** min(lost_frames, 100)  # no overflow
    x, y, w, h = box
    vx, vy = velocity  # zero unless the motion model is on
    window = CropWindow.around((x + vx, y + vy, w, h), model.search_size, factor, model.context)
    W, H = frame_size
    full = float(max(W, H))
    if lost_frames and window.side >= full:
        return CropWindow(W / 2.0, H / 2.0, full, model.search_size)
    return window
