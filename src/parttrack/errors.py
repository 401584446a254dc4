"""One error family for everything a user can get wrong.

Every error renders as a single line naming the file (and line or frame) and the problem;
the CLI prints ``str(err)`` and exits non-zero (``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn


class ParttrackError(Exception):
    """Base of all parttrack errors.

    Args:
        message: what is wrong, in one line.
        path: the file concerned, if any.
        line: 1-based line number in ``path`` (annotation files).
        frame: 0-based frame index (videos).
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        frame: int | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.frame = frame
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            if self.frame is not None:
                where += f" (frame {self.frame})"
            where += ": "
        elif self.frame is not None:
            where = f"frame {self.frame}: "
        return where + self.message.replace("\n", " ")


class ParseError(ParttrackError):
    """Malformed annotation or data file (names file and line)."""


class VideoError(ParttrackError):
    """Missing, empty, unreadable or corrupt video / image folder / camera."""


class ConfigError(ParttrackError):
    """Unknown, missing or mistyped configuration keys."""


class CheckpointError(ParttrackError):
    """A weights file that is not a parttrack checkpoint, or one for another config/format."""


class TrainingError(ParttrackError):
    """Training cannot go on (e.g. a NaN/inf loss); the last good checkpoint is kept."""


class OutputError(ParttrackError):
    """An output that cannot be written: a folder where a file goes, a parent that is a file,
    an unwritable folder, an output that names an input or another output, a write or an
    encoder that fails (disk full). The file that was there before is kept byte for byte."""


class UsageError(ParttrackError):
    """Bad command-line values (a ``--box`` outside the frame, ``--start`` past the end, ...)."""


def run_script(main: Callable[[], int | None]) -> NoReturn:
    """Run a script's ``main()`` (``benchmarks/*.py``) the way the CLI runs a command: a
    :class:`ParttrackError` is one line ``error: ...`` on stderr and exit 2, not a traceback;
    otherwise exit with ``main()``'s status (None = 0)."""
    try:
        code = main()
    except ParttrackError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    raise SystemExit(code or 0)
