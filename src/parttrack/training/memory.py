"""Temporal memory of the tracker's part region maps for the S110 loss (claim 3,
[0063]-[0068]): the maps of the last ``n`` frames of a clip, re-sampled into the current search
crop's coordinates (the crop moves with the subject) and averaged into the S110 target.

Example::

    memory = RegionMemory(n=2, search_size=128, stride=4)
    memory.push("clip0", region, (cx, cy, side))
    target = memory.target("clip0", (cx2, cy2, side2))   # None until n frames are stored
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence

import torch

from parttrack.maps import image_to_map, map_to_image

Window = tuple[float, float, float]  # (cx, cy, side) of a search CropWindow, image pixels


def resample_maps(
    maps: torch.Tensor, src: Sequence[Window], dst: Window, search_size: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Re-sample maps made in earlier search crops into the current crop's coordinates.

    Map element ``(x, y)`` sits at crop pixel ``(x * stride, y * stride)`` ([0041], [0060]);
    a crop pixel ``u`` of window ``(cx, cy, side)`` is the image point
    ``(u - S/2) / (S / side) + c`` (:func:`parttrack.maps.map_to_image`). Bilinear sampling.

    Args:
        maps: ``(N, K, h, w)`` maps, map ``i`` made in window ``src[i]``.
        src: N windows ``(cx, cy, side)`` in image pixels.
        dst: the current window.
        search_size: crop side ``S`` in pixels; stride: crop pixels per map element.

    Returns:
        ``(resampled (N, K, h, w), valid (N, 1, h, w))``; valid is 1 where the current
        element lies inside the earlier map (no extrapolation).
    """
    N, _, h, w = maps.shape
    if len(src) != N:
        raise ValueError(f"{N} maps but {len(src)} windows")
    dev, dt = maps.device, maps.dtype
    s = torch.tensor(src, dtype=torch.float64, device=dev)  # (N, 3)
    cx, cy, side = dst
    ex = torch.arange(w, dtype=torch.float64, device=dev)
    ey = torch.arange(h, dtype=torch.float64, device=dev)
    # current element -> image point (parttrack.maps: the one map <-> image geometry)
    px = map_to_image(ex, stride, cx, search_size / side, search_size)  # (w,)
    py = map_to_image(ey, stride, cy, search_size / side, search_size)  # (h,)
    # image point -> earlier element (per source window)
    scale = search_size / s[:, 2:3]  # (N, 1) crop px per image px
    sx = image_to_map(px[None, :], stride, s[:, 0:1], scale, search_size)  # (N, w)
    sy = image_to_map(py[None, :], stride, s[:, 1:2], scale, search_size)  # (N, h)
    gx = (2.0 * sx / max(w - 1, 1) - 1.0)[:, None, :].expand(N, h, w)
    gy = (2.0 * sy / max(h - 1, 1) - 1.0)[:, :, None].expand(N, h, w)
    grid = torch.stack([gx, gy], dim=-1).to(dt)  # (N, h, w, 2)
    out = torch.nn.functional.grid_sample(maps, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    tol = 1e-6
    vx = (sx >= -tol) & (sx <= w - 1 + tol)  # (N, w)
    vy = (sy >= -tol) & (sy <= h - 1 + tol)  # (N, h)
    valid = (vy[:, :, None] & vx[:, None, :]).to(dt).unsqueeze(1)
    return out, valid


class RegionMemory:
    """Storage unit 170 ([0065]-[0067]): per sequence stream, the region maps of the last
    ``n`` frames (detached) with the search windows they were made in.

    A bounded ring buffer per stream: it never holds more than ``n`` maps. S110 is active
    for a stream once ``n`` maps are stored, i.e. from its ``n``-th frame on (0-based).

    Args:
        n: maps averaged into the S110 correct answer (natural number >= 2, [0067]).
        search_size, stride: crop geometry of the maps (:class:`ModelConfig`).
    """

    def __init__(self, n: int, search_size: int, stride: int) -> None:
        if n < 2:
            raise ValueError(f"n must be >= 2 ([0067]), got {n}")
        self.n = n
        self.search_size = search_size
        self.stride = stride
        self._store: dict[Hashable, deque[tuple[torch.Tensor, Window]]] = {}

    def __len__(self) -> int:
        return len(self._store)

    def count(self, stream: Hashable) -> int:
        """Number of maps stored for ``stream`` (at most ``n``)."""
        return len(self._store.get(stream, ()))

    def reset(self, stream: Hashable) -> None:
        """Forget a stream (a new sequence starts in its slot)."""
        self._store.pop(stream, None)

    def clear(self) -> None:
        """Forget every stream."""
        self._store.clear()

    def push(self, stream: Hashable, region: torch.Tensor, window: Window) -> None:
        """S108: store this frame's region map ``(K, h, w)`` (detached) and its window."""
        buf = self._store.setdefault(stream, deque(maxlen=self.n))
        buf.append((region.detach().clone(), tuple(float(v) for v in window)))  # type: ignore[arg-type]

    def target(self, stream: Hashable, window: Window) -> tuple[torch.Tensor, torch.Tensor] | None:
        """S109-S110 correct answer for the current frame: the average of the ``n`` stored
        maps re-sampled into ``window``; None while fewer than ``n`` are stored.

        Returns:
            ``(average (K, h, w), valid (1, h, w))``: valid where all ``n`` maps saw the place.
        """
        buf = self._store.get(stream)
        if buf is None or len(buf) < self.n:
            return None
        maps = torch.stack([m for m, _ in buf])
        warped, valid = resample_maps(maps, [win for _, win in buf], window, self.search_size, self.stride)
        return warped.mean(0), valid.amin(0)

    def targets(
        self, streams: Sequence[Hashable | None], windows: Sequence[Window], like: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched :meth:`target`: items whose stream is None or not yet ``n`` deep get valid 0.

        Args:
            streams: per batch item its stream key, or None (a random pair, not a sequence).
            windows: per item its search window.
            like: the current region maps ``(B, K, h, w)`` (shape, dtype, device).

        Returns:
            ``(target (B, K, h, w), valid (B, K, h, w))``.
        """
        target = torch.zeros_like(like)
        valid = torch.zeros_like(like)
        for i, (st, win) in enumerate(zip(streams, windows, strict=True)):
            if st is None:
                continue
            got = self.target(st, win)
            if got is not None:
                target[i] = got[0].to(like)
                valid[i] = got[1].to(like).expand_as(like[i])
        return target, valid
