"""Pictures the viewer serves: the FIG. 3 map strip of one frame, the annotated MP4 frame.

The maps of a ``keep_maps=True`` result are read through :func:`map_field`, which accepts the
dict the tracker fills today and the typed maps record it is becoming (attributes).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

# a FIG. 3 map -> the names it may carry (dict key or attribute), first match wins
MAP_NAMES: dict[str, tuple[str, ...]] = {
    "search": ("search", "crop", "search_crop"),
    "likelihood": ("part_heatmap", "likelihood", "part_likelihood"),
    "region": ("part_region", "region"),
    "product": ("product", "element_product"),
    "parts": ("parts", "part_names"),
    "stride": ("stride",),
}
TITLES = ("search crop", "part likelihood", "part region", "element product")
TILE = 176  # px, side of one tile of the strip


def map_field(maps: Any, name: str) -> Any:
    """One FIG. 3 map of ``TrackResult.maps``, whether a dict or an object with attributes.

    Args:
        maps: the result's maps (dict or dataclass).
        name: a key of :data:`MAP_NAMES` (``"search"``, ``"likelihood"``, ``"region"``,
            ``"product"``, ``"parts"``, ``"stride"``).

    Returns:
        ``search``: ``(S, S, 3)`` uint8 BGR crop; the maps: ``(P, n, n)`` float; ``parts``:
        part names in channel order; ``stride``: crop pixels per map element.

    Raises:
        KeyError: the maps hold none of the names ``name`` may carry.
    """
    for alias in MAP_NAMES[name]:
        if isinstance(maps, dict):
            if alias in maps:
                return maps[alias]
        elif hasattr(maps, alias):
            return getattr(maps, alias)
    raise KeyError(f"maps hold no {name!r} (looked for {', '.join(MAP_NAMES[name])})")


def _heat_tile(data: np.ndarray, vmax: float, peak: tuple[int, int] | None) -> np.ndarray:
    v = np.clip(np.nan_to_num(np.asarray(data, np.float32)) / max(vmax, 1e-6), 0.0, 1.0)
    tile = cv2.applyColorMap((v * 255).astype(np.uint8), cv2.COLORMAP_MAGMA)
    tile = cv2.resize(tile, (TILE, TILE), interpolation=cv2.INTER_NEAREST)
    if peak is not None:
        _ring(tile, peak, data.shape[-1])
    return tile


def _ring(tile: np.ndarray, peak: tuple[int, int], n: int) -> None:
    """Mark the product's peak (map element ``peak`` of an ``n`` x ``n`` map) with a cyan ring
    that leaves the peak itself visible."""
    c = (int((peak[0] + 0.5) * TILE / n), int((peak[1] + 0.5) * TILE / n))
    cv2.circle(tile, c, max(8, int(1.5 * TILE / n)), (255, 255, 0), 1, cv2.LINE_AA)


def _titled(tile: np.ndarray, title: str) -> np.ndarray:
    bar = np.full((22, tile.shape[1], 3), 32, np.uint8)
    cv2.putText(bar, title, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack([bar, tile])


def map_strip(maps: Any, part: str) -> np.ndarray:
    """FIG. 3 for one part of one frame ([0036], [0056]-[0060]): search crop | part likelihood
    | part region | element product, each ``TILE`` px square with a title; the product's
    peak is ringed on every map.

    Args:
        maps: ``TrackResult.maps`` (see :func:`map_field`).
        part: a part name in the maps' parts.

    Returns:
        ``(TILE + 22, 4 * TILE + 6, 3)`` uint8 BGR.

    Raises:
        KeyError: ``part`` is not one of the maps' parts.
    """
    names = tuple(map_field(maps, "parts"))
    if part not in names:
        raise KeyError(f"part {part!r} not in the maps' parts {list(names)}")
    k = names.index(part)
    product = np.asarray(map_field(maps, "product"))[k]
    py, px = np.unravel_index(int(np.argmax(product)), product.shape)
    peak = (int(px), int(py)) if product[py, px] > 0 else None
    crop = cv2.resize(np.asarray(map_field(maps, "search")), (TILE, TILE), interpolation=cv2.INTER_AREA)
    if peak is not None:
        _ring(crop, peak, product.shape[-1])
    tiles = [
        crop,
        _heat_tile(np.asarray(map_field(maps, "likelihood"))[k], 1.0, peak),
        _heat_tile(np.asarray(map_field(maps, "region"))[k], 1.0, peak),
        _heat_tile(product, float(product.max()), peak),
    ]
    gap = np.full((TILE + 22, 2, 3), 255, np.uint8)
    row: list[np.ndarray] = []
    for tile, title in zip(tiles, TITLES, strict=True):
        row += [_titled(tile, title), gap]
    return np.hstack(row[:-1])


def overlay_drawer() -> Any:
    """A fresh drawer of annotated frames: an object whose ``draw(image, result)`` returns the
    frame with the subject box, score and part markers (parttrack's own Overlay)."""
    from parttrack.viz.overlay import Overlay

    return Overlay()
