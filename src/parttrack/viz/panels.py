"""The patent's FIG. 3 for one frame: search crop | part likelihood | part region | element
product ([0036], [0059]), one row per part, the product's peak ([0060]) marked.

Example::

    result = tracker.track(frame, keep_maps=True)
    save_panel("panels/frame_000012.png", result)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from parttrack.atomic import atomic_path
from parttrack.maps import peak
from parttrack.tracker.result import TrackResult


def save_panel(path: str | Path, result: TrackResult, parts: tuple[str, ...] | None = None) -> Path:
    """Write the patent's FIG. 3 for one frame as a PNG, atomically.

    One row per part: search crop (subject box in green) | part likelihood (detector,
    [0056]) | part region (tracker, [0058]) | element product ([0059]); the product's peak
    ([0060]) is marked with a cross on every panel. Maps are drawn in crop pixels (element
    ``(x, y)`` at ``(x, y) * stride``).

    Args:
        path: target ``.png``.
        result: a result tracked with ``keep_maps=True``.
        parts: parts to draw (default: those in ``result.parts``).

    Raises:
        ValueError: the result has no maps.
    """
    if result.maps is None:
        raise ValueError("result has no maps: track with keep_maps=True")
    from matplotlib.figure import Figure  # lazy: matplotlib is slow to import

    m = result.maps
    names = tuple(parts or result.parts)
    stride, all_parts = m.stride, tuple(m.parts)
    n = m.part_heatmap.shape[-1]
    ext = (-0.5 * stride, (n - 0.5) * stride, (n - 0.5) * stride, -0.5 * stride)
    window = m.window
    fig = Figure(figsize=(12, 3.1 * len(names)), dpi=100)
    axes = fig.subplots(len(names), 4, squeeze=False)
    status = "LOST" if result.lost else f"subject score {result.score:.2f}"
    fig.suptitle(f"frame {result.frame}: {status}", fontsize=11)
    for row, name in enumerate(names):
        k = all_parts.index(name)
        product = m.product[k]
        px, py = peak(product)
        at = np.array([px, py], dtype=np.float64)
        ax = axes[row, 0]
        ax.imshow(cv2.cvtColor(m.search, cv2.COLOR_BGR2RGB))
        ax.set_title(f"search crop ({name})", fontsize=9)
        if result.box is not None:
            bx, by, bw, bh = window.box_to_crop(result.box)
            ax.add_patch(_rect(bx, by, bw, bh, "lime"))
        panels = (
            (m.part_heatmap[k], "part likelihood [0056]", 1.0),
            (m.part_region[k], "part region [0058]", 1.0),
            (product, "element product [0059]", max(float(product.max()), 1e-6)),
        )
        for col, (data, title, vmax) in enumerate(panels, start=1):
            ax = axes[row, col]
            im = ax.imshow(data, cmap="magma", vmin=0.0, vmax=vmax, extent=ext, interpolation="nearest")
            ax.set_title(title, fontsize=9)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        for ax in axes[row]:
            if product[py, px] > 0:  # an all-zero product has no peak to show
                ax.plot(*(at * stride), marker="+", color="cyan", markersize=14, markeredgewidth=2)
            ax.set_xlim(ext[0], ext[1])
            ax.set_ylim(ext[2], ext[3])
            ax.set_xticks([])
            ax.set_yticks([])
        label = f"peak ({px}, {py}) = {float(product[py, px]):.3f}"
        if name in result.reasons:
            label += f"; no {name}: {result.reasons[name]}"
        axes[row, 3].set_xlabel(label, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def _rect(x: float, y: float, w: float, h: float, color: str):  # noqa: ANN202 - matplotlib patch
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, edgecolor=color, linewidth=1.5)
