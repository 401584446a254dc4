"""The patent's map math as pure functions (US 2024/0282089 A1).

Coordinate conventions: a map of size ``(w, h)`` has element ``(x, y)`` at column x, row y,
origin top-left ([0040]). ``ratio = (image_w / map_w, image_h / map_h)`` is the size ratio
between the input image and the map ([0041]). Size and offset maps have ``2K`` channels for
``K`` parts, ordered ``(x0, y0, x1, y1, ...)`` / ``(w0, h0, w1, h1, ...)``, in map cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:  # torch is imported inside the torch functions: the numpy ones run without it
    import torch

Ratio = tuple[float, float]
ArrayT = TypeVar("ArrayT", np.ndarray, "torch.Tensor")


def size_ratio(image_size: tuple[int, int], map_size: tuple[int, int]) -> Ratio:
    """Size ratio between image and map, ``(W / w, H / h)`` ([0041]: 720/24 = 480/16 = 30).

    Args:
        image_size: ``(W, H)`` pixels.
        map_size: ``(w, h)`` elements.
    """
    (W, H), (w, h) = image_size, map_size
    if min(W, H, w, h) <= 0:
        raise ValueError(f"sizes must be positive, got image {image_size} and map {map_size}")
    return W / w, H / h


def round_half_up(v: float) -> int:
    """Round to the nearest integer, halves up ("rounding off", [0042]-[0043])."""
    return int(math.floor(v + 0.5))


def gaussian_mean(center: tuple[float, float], ratio: Ratio) -> tuple[int, int]:
    """Average vector of formula (1): the part centre divided by the size ratio, rounded
    ([0041]-[0044]). Worked example: ``(325, 40)`` with ratio 30 gives ``(11, 1)``."""
    return round_half_up(center[0] / ratio[0]), round_half_up(center[1] / ratio[1])


def gaussian_map(
    mean: tuple[float, float],
    map_size: tuple[int, int],
    sigma: float = 1.0,
    normalize: str = "pdf",
) -> np.ndarray:
    """Two-dimensional normal likelihood on a ``(h, w)`` grid (formula (1), [0038]).

    Args:
        mean: ``(mu_x, mu_y)`` in map elements.
        map_size: ``(w, h)``.
        sigma: standard deviation in map elements; 1 gives formula (1) exactly.
        normalize: ``"pdf"`` = the density ``exp(-|x - mu|^2 / (2 sigma^2)) / (2 pi sigma^2)``
            (peak 1/(2 pi) for sigma 1); ``"peak"`` = the same shape scaled to peak 1.

    Returns:
        float32 array ``(h, w)``.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if normalize not in ("pdf", "peak"):
        raise ValueError(f"normalize must be 'pdf' or 'peak', got {normalize!r}")
    w, h = map_size
    xs = np.arange(w, dtype=np.float64)[None, :]
    ys = np.arange(h, dtype=np.float64)[:, None]
    d2 = (xs - mean[0]) ** 2 + (ys - mean[1]) ** 2
    g = np.exp(-d2 / (2.0 * sigma**2))
    if normalize == "pdf":
        g = g / (2.0 * math.pi * sigma**2)
    return g.astype(np.float32)


def correct_answer_map(
    centers: Sequence[tuple[float, float] | None],
    image_size: tuple[int, int],
    map_size: tuple[int, int],
    sigma: float = 1.0,
    normalize: str = "pdf",
) -> np.ndarray:
    """Specific-part correct-answer map, one channel per part ([0037]-[0044], [0062]).

    Args:
        centers: per part, the part centre ``(cx, cy)`` in image pixels, or None when the
            subject's part is absent (an all-zero channel: nowhere is the answer).
        image_size: ``(W, H)`` of the image the centres are in.
        map_size: ``(w, h)`` of the map.

    Returns:
        float32 ``(K, h, w)``.
    """
    ratio = size_ratio(image_size, map_size)
    w, h = map_size
    out = np.zeros((len(centers), h, w), dtype=np.float32)
    for k, c in enumerate(centers):
        if c is not None:
            out[k] = gaussian_map(gaussian_mean(c, ratio), map_size, sigma, normalize)
    return out


def element_product(likelihood: ArrayT, region: ArrayT) -> ArrayT:
    """Element product map of part likelihood and part region ([0035], [0059]).

    The one place the product is computed: numpy arrays (the tracker's decoders, pictures)
    and torch tensors (the frame graph, the S105 loss) alike.

    Args:
        likelihood: part likelihood map(s), ``(..., h, w)``.
        region: part region map(s), same spatial size (broadcastable leading dimensions).

    Returns:
        ``likelihood * region``, the broadcast shape.

    Raises:
        ValueError: the spatial sizes differ ([0034]).
    """
    if tuple(likelihood.shape[-2:]) != tuple(region.shape[-2:]):
        raise ValueError(
            f"likelihood map {tuple(likelihood.shape)} and region map {tuple(region.shape)} "
            "must have the same spatial size ([0034])"
        )
    return likelihood * region


def bce(
    m_inf: torch.Tensor,
    m_gt: torch.Tensor,
    mask: torch.Tensor | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Cross-entropy loss of formula (2), mean over all N elements ([0045]-[0046]).

    ``loss = 1/N * sum[-M_gt log(M_inf) - (1 - M_gt) log(1 - M_inf)]``; ``M_inf`` is clamped to
    ``[eps, 1 - eps]`` so the loss stays finite.

    Args:
        m_inf: inferred map in [0, 1], ``(B, K, h, w)``.
        m_gt: correct-answer map, same shape.
        mask: optional ``(B, K)`` or broadcastable 0/1 weights; masked-out maps (parts with no
            annotation) do not count in N.
    """
    import torch

    if m_inf.shape != m_gt.shape:
        raise ValueError(f"map shapes differ: {tuple(m_inf.shape)} vs {tuple(m_gt.shape)}")
    p = m_inf.clamp(eps, 1.0 - eps)
    elem = -m_gt * torch.log(p) - (1.0 - m_gt) * torch.log(1.0 - p)
    if mask is None:
        return elem.mean()
    m = mask.to(elem.dtype)
    while m.dim() < elem.dim():
        m = m.unsqueeze(-1)
    m = m.expand_as(elem)
    n = m.sum()
    return (elem * m).sum() / n.clamp_min(1.0)


def find_peaks(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Coordinates of the element with the largest value, per map ([0060], claim 6).

    Args:
        maps: ``(B, K, h, w)``.

    Returns:
        ``(xs, ys, scores)``, each ``(B, K)``; xs/ys are int64 element indices.
    """

    B, K, h, w = maps.shape
    flat = maps.reshape(B, K, h * w)
    scores, idx = flat.max(dim=-1)
    return idx % w, idx // w, scores


def peak(m: np.ndarray) -> tuple[int, int]:
    """``(x, y)`` element of the largest value of one ``(h, w)`` map ([0060], claim 6); the
    first in row-major order on ties. The numpy twin of :func:`find_peaks` (the tracker's
    decoders and pictures use this one, the frame graph the torch one)."""
    if m.ndim != 2:
        raise ValueError(f"map must be (h, w), got shape {m.shape}")
    y, x = np.unravel_index(int(np.argmax(m)), m.shape)
    return int(x), int(y)


def map_to_image(points: ArrayT, stride: float, centre: ArrayT, scale: ArrayT, size: float) -> ArrayT:
    """Map elements -> image pixels through a square crop ([0041], [0060]).

    Element ``(x, y)`` sits at crop pixel ``(x, y) * stride`` (the size ratio inside a crop is
    the network's ``stride``); a crop of ``size`` pixels centred on image point ``centre`` at
    ``scale`` crop pixels per image pixel maps crop pixel ``u`` to ``(u - size / 2) / scale +
    centre``. Plain arithmetic, so numpy arrays and torch tensors both work (broadcasting).

    Args:
        points: ``(..., 2)`` element coordinates (peak + offset), or any broadcastable array.
        stride: crop pixels per map element.
        centre: ``(..., 2)`` crop centre in image pixels (``CropWindow.cx, cy``).
        scale: crop pixels per image pixel (``CropWindow.scale``), broadcastable.
        size: crop side in pixels (``CropWindow.size``).

    Returns:
        image pixel coordinates, same shape as the broadcast inputs.
    """
    return (points * stride - size / 2.0) / scale + centre


def image_to_map(points: ArrayT, stride: float, centre: ArrayT, scale: ArrayT, size: float) -> ArrayT:
    """Image pixels -> map elements, the inverse of :func:`map_to_image` (same arguments)."""
    return ((points - centre) * scale + size / 2.0) / stride


def gather_at(maps: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Values of 2-channel-per-part maps at given elements ([0061]).

    Args:
        maps: ``(B, 2K, h, w)``; xs, ys: ``(B, K)`` int64.

    Returns:
        ``(B, K, 2)``.
    """

    B, C, h, w = maps.shape
    K = xs.shape[1]
    if C != 2 * K:
        raise ValueError(f"expected {2 * K} channels for {K} parts, got {C}")
    flat = maps.reshape(B, K, 2, h * w)
    idx = (ys * w + xs).reshape(B, K, 1, 1).expand(B, K, 2, 1)
    return flat.gather(-1, idx).squeeze(-1)


def local_peaks(
    heatmap: torch.Tensor, k: int = 20, threshold: float = 0.1
) -> list[list[tuple[int, int, float]]]:
    """All local maxima of a ``(B, h, w)`` heatmap (CenterNet ``max_pool2d`` equality), used
    by the bottom-up baseline. Returns per batch item a list of ``(x, y, score)``, best first."""
    import torch
    import torch.nn.functional as F

    hm = heatmap.unsqueeze(1)
    keep = (F.max_pool2d(hm, 3, stride=1, padding=1) == hm).squeeze(1)
    out: list[list[tuple[int, int, float]]] = []
    B, h, w = heatmap.shape
    for b in range(B):
        vals = torch.where(keep[b], heatmap[b], torch.zeros_like(heatmap[b])).flatten()
        top = torch.topk(vals, min(k, vals.numel()))
        out.append(
            [(int(i) % w, int(i) // w, float(s)) for s, i in zip(top.values, top.indices, strict=True) if s >= threshold]
        )
    return out
