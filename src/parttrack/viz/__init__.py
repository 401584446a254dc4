"""Pictures: overlays of tracking results on frames (:mod:`~parttrack.viz.overlay`), the patent's
FIG. 3 panels (:mod:`~parttrack.viz.panels`), annotation drawing and contact sheets
(:mod:`~parttrack.viz.draw`). Imported lazily (matplotlib is slow to import)."""

from __future__ import annotations

from typing import Any

__all__ = ["Overlay", "draw_result", "save_panel"]


def __getattr__(name: str) -> Any:
    if name in ("Overlay", "draw_result"):
        from parttrack.viz import overlay

        return getattr(overlay, name)
    if name == "save_panel":
        from parttrack.viz.panels import save_panel

        return save_panel
    raise AttributeError(f"module 'parttrack.viz' has no attribute {name!r}")
