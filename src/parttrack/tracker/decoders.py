"""Part decoders: one crop's maps -> the tracked subject's part (pure numpy functions).

Every decoder works on the maps of ONE search crop and returns a :class:`Decoded` in
crop-map coordinates (elements; element ``(x, y)`` is column x, row y, [0040]); the caller
maps it to the image with ``window.map_to_image(point, stride)`` ([0060]: peak x size ratio,
the size ratio inside the crop being ``stride``). Map shapes (``h = w = search_size / stride``):

* likelihood / region / heatmap: ``(h, w)`` float in [0, 1], one part;
* size / offset: ``(2, h, w)`` in map elements, ``(w, h)`` / ``(dx, dy)``, one part;
* subject box: ``(x, y, w, h)`` in map elements.

``decode_product`` is the patent's method ([0059]-[0061], claims 5, 6, 8); the others are
the baselines it is compared against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from parttrack.crop import CropWindow
from parttrack.data.types import BoxXYWH
from parttrack.maps import element_product, local_peaks
from parttrack.maps import peak as map_peak
from parttrack.tracker.result import PartResult
from parttrack.tracker.smoothing import smooth_part

#: Relative ``(x, y)`` of a part's centre inside the subject box. Head: the two training Town
#: Centre clips (clip_fm004_n126, clip_f0435_n96; 3275 head/body pairs: x mean 0.49, y median
#: 0.116, sd 0.006). The synthetic suites put heads higher (y 0.067, x 0.48). Eye: only the
#: synthetic suites annotate it (2217 eyes of fully visible people: y 0.075, x 0.30-0.70 with
#: the facing direction, mean 0.52), so x is the symmetric 0.5.
PART_PRIORS: dict[str, tuple[float, float]] = {"head": (0.49, 0.12), "eye": (0.5, 0.075)}

METHODS = ("product", "region-only", "top-down", "bottom-up", "box-prior")


@dataclass(frozen=True)
class Decoded:
    """A part found in one crop's maps.

    Attributes:
        point: ``(x, y)`` part centre in map elements (peak + offset).
        score: the decoder's score at the peak (product, likelihood or region value).
        box: ``(x, y, w, h)`` part box in map elements from the size map at the peak, or None
            (no size map, or a non-positive size).
        peak: ``(x, y)`` integer element of the peak.
    """

    point: tuple[float, float]
    score: float
    box: BoxXYWH | None
    peak: tuple[int, int]


def _at_peak(
    peak: tuple[int, int], score: float, size: np.ndarray | None, offset: np.ndarray | None
) -> Decoded:
    """Point = peak + offset at the peak; box = size at the peak centred on the point ([0061])."""
    x, y = peak
    px, py = float(x), float(y)
    if offset is not None:
        px += float(offset[0, y, x])
        py += float(offset[1, y, x])
    box = None
    if size is not None:
        bw, bh = float(size[0, y, x]), float(size[1, y, x])
        if bw > 0 and bh > 0:
            box = (px - bw / 2.0, py - bh / 2.0, bw, bh)
    return Decoded((px, py), float(score), box, (x, y))


def _check(name: str, m: np.ndarray, ndim: int, hw: tuple[int, ...] | None = None) -> None:
    if m.ndim != ndim or (hw is not None and m.shape[-2:] != hw):
        want = ("(2, h, w)" if ndim == 3 else "(h, w)") + ("" if hw is None else f" with h, w = {hw}")
        raise ValueError(f"{name} must have shape {want}, got {m.shape}")


def _check_aux(hw: tuple[int, ...], size: np.ndarray | None, offset: np.ndarray | None) -> None:
    for name, m in (("size", size), ("offset", offset)):
        if m is not None:
            _check(name, m, 3, hw)
            if m.shape[0] != 2:
                raise ValueError(f"{name} must have 2 channels, got {m.shape[0]}")


def box_mask(box: BoxXYWH, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean ``(h, w)`` mask of the elements whose position lies inside ``box`` (map
    elements, edges included)."""
    h, w = shape[-2:]
    xs = np.arange(w)[None, :]
    ys = np.arange(h)[:, None]
    return (xs >= box[0]) & (xs <= box[0] + box[2]) & (ys >= box[1]) & (ys <= box[1] + box[3])


def prior_point(box: BoxXYWH, part: str) -> tuple[float, float]:
    """Expected part centre in ``box`` from :data:`PART_PRIORS` (same units as ``box``)."""
    if part not in PART_PRIORS:
        raise ValueError(f"part must be one of {sorted(PART_PRIORS)}, got {part!r}")
    rx, ry = PART_PRIORS[part]
    return box[0] + rx * box[2], box[1] + ry * box[3]


def decode_product(
    likelihood: np.ndarray,
    region: np.ndarray,
    size: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> Decoded:
    """The patent's decoder: argmax of likelihood x region ([0059]-[0061], claim 6).

    Args:
        likelihood: part likelihood map of the detector (first model), ``(h, w)``.
        region: part region map of the tracker (second model), ``(h, w)``.
        size, offset: the detector's ``(2, h, w)`` size / offset maps for this part.

    Returns:
        peak of the element product; score = product value there.
    """
    _check("likelihood", likelihood, 2)
    _check("region", region, 2, likelihood.shape)
    _check_aux(likelihood.shape, size, offset)
    product = element_product(likelihood, region)
    peak = map_peak(product)
    return _at_peak(peak, product[peak[1], peak[0]], size, offset)


def decode_region_only(
    region: np.ndarray, size: np.ndarray | None = None, offset: np.ndarray | None = None
) -> Decoded:
    """Baseline: argmax of the tracker's part region map alone (no detector)."""
    _check("region", region, 2)
    _check_aux(region.shape, size, offset)
    peak = map_peak(region)
    return _at_peak(peak, region[peak[1], peak[0]], size, offset)


def decode_top_down(
    likelihood: np.ndarray,
    subject_box: BoxXYWH,
    size: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> Decoded:
    """Baseline: argmax of the detector's likelihood inside the tracked subject box.

    When the box covers no element (it lies off the map) the element nearest its centre is
    used.
    """
    _check("likelihood", likelihood, 2)
    _check_aux(likelihood.shape, size, offset)
    mask = box_mask(subject_box, likelihood.shape)
    if not mask.any():
        h, w = likelihood.shape
        cx = int(np.clip(round(subject_box[0] + subject_box[2] / 2.0), 0, w - 1))
        cy = int(np.clip(round(subject_box[1] + subject_box[3] / 2.0), 0, h - 1))
        mask[cy, cx] = True
    peak = map_peak(np.where(mask, likelihood, -np.inf))
    return _at_peak(peak, likelihood[peak[1], peak[0]], size, offset)


def decode_bottom_up(
    likelihood: np.ndarray,
    subject_box: BoxXYWH,
    part: str,
    size: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    threshold: float = 0.1,
    max_peaks: int = 20,
) -> Decoded:
    """Baseline: of the detector's local peaks (>= ``threshold``), the one nearest the
    expected part position in the tracked subject box (:func:`prior_point`).

    With no peak above the threshold the result is the expected position with score 0.
    """
    _check("likelihood", likelihood, 2)
    _check_aux(likelihood.shape, size, offset)
    expected = np.array(prior_point(subject_box, part))
    import torch  # only the bottom-up decoder needs it

    peaks = local_peaks(torch.from_numpy(np.ascontiguousarray(likelihood))[None], max_peaks, threshold)[0]
    if not peaks:
        h, w = likelihood.shape
        peak = (int(np.clip(round(expected[0]), 0, w - 1)), int(np.clip(round(expected[1]), 0, h - 1)))
        return Decoded((float(expected[0]), float(expected[1])), 0.0, None, peak)
    d = [float(np.hypot(x - expected[0], y - expected[1])) for x, y, _ in peaks]
    x, y, s = peaks[int(np.argmin(d))]
    return _at_peak((x, y), s, size, offset)


def decode_box_prior(subject_box: BoxXYWH, part: str, shape: tuple[int, int]) -> Decoded:
    """Baseline: a fixed relative position in the tracked subject box (:data:`PART_PRIORS`).

    Args:
        subject_box: map elements.
        part: part name (a key of PART_PRIORS).
        shape: ``(h, w)`` of the maps (for the integer peak, clipped to the map).

    Returns:
        the prior point with score 1 (a prior carries no confidence of its own) and no box.
    """
    px, py = prior_point(subject_box, part)
    h, w = shape
    peak = (int(np.clip(round(px), 0, w - 1)), int(np.clip(round(py), 0, h - 1)))
    return Decoded((px, py), 1.0, None, peak)


def _get(maps: Mapping[str, np.ndarray] | Any, name: str) -> np.ndarray:
    return maps[name] if isinstance(maps, Mapping) else getattr(maps, name)


def decode_part(
    method: str, maps: Mapping[str, np.ndarray] | Any, k: int, part: str, subject_box: BoxXYWH
) -> Decoded:
    """Decode part ``k`` (named ``part``) of one crop with ``method`` (one of :data:`METHODS`).

    Args:
        maps: one crop's maps without batch dimension: a
            :class:`~parttrack.tracker.result.TrackMaps` or a mapping with its keys,
            ``part_heatmap`` / ``part_region`` ``(K, h, w)``, ``part_size`` / ``part_offset``
            ``(2K, h, w)``.
        k: channel of the part.
        subject_box: tracked subject box in map elements.
    """
    size = _get(maps, "part_size")[2 * k : 2 * k + 2]
    offset = _get(maps, "part_offset")[2 * k : 2 * k + 2]
    lik = _get(maps, "part_heatmap")[k]
    if method == "product":
        return decode_product(lik, _get(maps, "part_region")[k], size, offset)
    if method == "region-only":
        return decode_region_only(_get(maps, "part_region")[k], size, offset)
    if method == "top-down":
        return decode_top_down(lik, subject_box, size, offset)
    if method == "bottom-up":
        return decode_bottom_up(lik, subject_box, part, size, offset)
    if method == "box-prior":
        return decode_box_prior(subject_box, part, lik.shape)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def decode_in_image(
    method: str,
    maps: Mapping[str, np.ndarray] | Any,
    k: int,
    part: str,
    subject_box: BoxXYWH,
    window: CropWindow,
    stride: int,
) -> Decoded:
    """:func:`decode_part` with the subject box given and the result returned in image pixels
    (point, box; ``peak`` stays in map elements), through ``window`` ([0060]: peak x size ratio).

    Args:
        subject_box: tracked subject box ``(x, y, w, h)`` image pixels.
        window: the search crop the maps were computed on; stride: crop px per element.
    """
    d = decode_part(method, maps, k, part, window.box_to_map(subject_box, stride))
    px, py = window.map_to_image(np.array(d.point), stride)
    box = None if d.box is None else window.map_box_to_image(d.box, stride)
    return Decoded((float(px), float(py)), d.score, box, d.peak)

def decode_parts(
    method: str,
    maps: Any,
    model_parts: tuple[str, ...],
    parts: tuple[str, ...],
    box: BoxXYWH,
    stride: int,
    threshold: float,
    filters: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every reported part of the subject in ``box`` from one frame's ``maps`` (a
    :class:`~parttrack.tracker.result.TrackMaps`), [0059]-[0062]: each part decoded by
    ``method`` (:func:`decode_in_image`), dropped below ``threshold`` (with the reason), and
    steadied by its One-Euro filter in ``filters`` when there is one
    (:func:`~parttrack.tracker.smoothing.smooth_part`).

    Returns:
        ``(parts, reasons)``: part name -> :class:`~parttrack.tracker.result.PartResult` or
        None, and part name -> why it is None.
    """
    found: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for name in parts:
        d = decode_in_image(method, maps, model_parts.index(name), name, box, maps.window, stride)
        if d.score < threshold:
            found[name] = None
            reasons[name] = f"score {d.score:.2f} < {threshold:.2f}"
            continue
        part = PartResult(d.point, d.box, d.score)
        f = (filters or {}).get(name)
        found[name] = part if f is None else smooth_part(f, part, box)
    return found, reasons
