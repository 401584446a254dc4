"""Local web viewer (``parttrack serve``): pick a video, tap a person, watch the head tracked.

Example::

    import uvicorn
    from parttrack.viewer import create_app

    uvicorn.run(create_app("videos/"), host="127.0.0.1", port=8000)

Modules: ``app`` (FastAPI routes), ``library`` (which files may be served, frames as JPEG),
``jobs`` (tracking jobs, the start-from-a-tap seam), ``live`` (camera / stream mode),
``render`` (FIG. 3 strips), ``cli`` (``serve_cmd``); the page is ``static/``.
"""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:  # lazy: `parttrack --help` must not import FastAPI
    if name == "create_app":
        from parttrack.viewer.app import create_app

        return create_app
    raise AttributeError(f"module 'parttrack.viewer' has no attribute {name!r}")
