"""``parttrack serve``: the local web viewer (registered by ``parttrack.cli``)."""

from __future__ import annotations

from typing import Annotated

import typer

from parttrack.errors import UsageError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_cmd(
    videos: Annotated[str, typer.Option("--videos", help="Folder whose videos are listed and served (recursive).")] = ".",
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    work: Annotated[str | None, typer.Option("--work", help="Folder for uploads and job outputs (default: <temp>/parttrack-serve).")] = None,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", help="Largest accepted upload, MB.")] = 200.0,
    weights: Annotated[str | None, typer.Option("--weights", help="Weights file (default: shipped).")] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
) -> None:
    """Serve the local web viewer: pick a video, click a person, watch the head tracked.

    Raises:
        UsageError: a port outside 0-65535 or a non-positive upload limit.
        ParttrackError: ``videos`` is not a folder.
    """
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {port}")
    if not max_upload_mb > 0:
        raise UsageError(f"--max-upload-mb must be > 0, got {max_upload_mb:g}")
    import uvicorn

    from parttrack.viewer.app import create_app, default_tracker_factory

    app = create_app(videos, work, max_upload_mb, default_tracker_factory(weights, device))
    if host not in LOOPBACK:
        typer.echo(f"warning: serving on {host}: anyone who can reach it can read the videos", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"parttrack viewer on http://{shown}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
