"""Command-line interface, thin over the library. Each command lives in its own module's
function; this file only declares options and turns ParttrackError into one line + exit code."""

from __future__ import annotations

import sys

import typer

from parttrack.errors import ParttrackError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="parttrack: follow a subject and pinpoint its part (head, eye) in every frame.",
)
_state = {"debug": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    _state["debug"] = debug


@app.command()
def version() -> None:
    """Print the parttrack version."""
    from parttrack import __version__

    typer.echo(__version__)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, non-zero exit (``--debug`` for tracebacks)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="parttrack")
    except ParttrackError as e:
        if "--debug" in args:
            raise
        typer.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
