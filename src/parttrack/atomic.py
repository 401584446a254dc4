"""Atomic file writes: write to a temporary name in the same folder, then rename.

A crash or a failed write never leaves a half-written file where a good one was: the old
file stays byte for byte until the new one is complete. Errors name the user's path, never
the hidden temporary one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from parttrack.errors import OutputError

_UMASK = os.umask(0o022)  # read the process umask once (os.umask can only read by setting)
os.umask(_UMASK)


def blocking_file(target: str | Path) -> Path | None:
    """The first existing ancestor folder of ``target`` that is in fact a file (a folder
    cannot be made there), or None."""
    parent = Path(target).parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            return None if folder.is_dir() else folder
    return None


def check_target(target: str | Path) -> None:
    """OutputError naming ``target`` when a file can never be written there: it is a folder,
    an existing non-regular file (``/dev/full``, a FIFO, a link to one), or a folder on its
    way is a file."""
    target = Path(target)
    if target.is_dir():  # fail now, not after the work that makes the file
        raise OutputError("is a folder, not a file", target)
    if target.exists() and not target.is_file():  # a device, pipe or socket (links followed)
        raise OutputError("is not a regular file (a device, pipe or socket): it is never replaced", target)
    blocker = blocking_file(target)
    if blocker is not None:
        raise OutputError(f"cannot create it: {blocker} is a file, not a folder", target)


def _renamed(e: OSError, tmp: Path, target: Path) -> OSError:
    """``e`` naming ``target`` where it named the temporary ``tmp`` or no file at all (a
    failed ``write``: ``No space left on device``)."""
    if e.errno is not None and (e.filename is None or Path(e.filename) == tmp):
        return type(e)(e.errno, e.strerror, str(target))
    return e


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    ``suffix`` defaults to the target's own suffix (OpenCV picks the codec from it).

    Raises:
        OutputError: ``path`` is a folder, a folder on its way is a file, the folder cannot be
            created or written, or the final rename fails (the old file is kept).
        OSError: what the body raised (renamed to name ``path`` instead of the temporary).
    """
    target = Path(path)
    check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=target.suffix if suffix is None else suffix, dir=target.parent
        )
    except OSError as e:
        raise OutputError(f"cannot write: {e.strerror or e}", target) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except OSError as e:
            renamed = _renamed(e, tmp_path, target)
            if renamed is e:
                raise
            raise renamed from e
        # mkstemp makes 0600 files: give the usual mode (or the replaced file's mode)
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_UMASK
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, mode)
        try:
            os.replace(tmp_path, target)
        except OSError as e:
            raise OutputError(f"cannot replace it: {e.strerror or e}; the old file is kept", target) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(path: str | Path, text: str) -> None:
    """Atomically write ``text`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
