"""Atomic writes: the target is either the old file or the complete new one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parttrack.atomic import atomic_path, write_bytes, write_text


def test_write_text_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    write_text(target, "one")
    write_text(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_write_bytes(tmp_path: Path) -> None:
    write_bytes(tmp_path / "x.bin", b"\x00\xff")
    assert (tmp_path / "x.bin").read_bytes() == b"\x00\xff"


def test_temp_beside_target_with_its_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "video.mp4") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp.name.startswith(".video.mp4.")
        tmp.write_bytes(b"data")
        assert not (tmp_path / "video.mp4").exists()
    assert (tmp_path / "video.mp4").read_bytes() == b"data"
    with atomic_path(tmp_path / "w.pt", suffix=".tmp") as tmp:
        assert tmp.suffix == ".tmp"
        tmp.write_bytes(b"")


def test_exception_keeps_old_file_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_exception_after_temp_already_gone(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="x"), atomic_path(tmp_path / "t.txt") as tmp:
        tmp.unlink()
        raise RuntimeError("x")
    assert list(tmp_path.iterdir()) == []


def test_new_file_gets_normal_permissions(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; what a user keeps must get the usual umask mode."""
    umask = os.umask(0)
    os.umask(umask)
    write_text(tmp_path / "new.txt", "x")
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_replacing_keeps_the_old_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old")
    target.chmod(0o751)
    write_text(target, "new")
    assert target.stat().st_mode & 0o777 == 0o751


def test_special_files_are_never_replaced(tmp_path):
    """A device, pipe or a link to one (``--jsonl /dev/full`` as root) is refused, untouched."""
    import os
    import stat

    from parttrack.atomic import atomic_path
    from parttrack.errors import ParttrackError

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link.jsonl"
    link.symlink_to(fifo)
    for target in (fifo, link):
        with pytest.raises(ParttrackError, match="not a regular file"):
            with atomic_path(target) as p:
                p.write_text("x")
        assert stat.S_ISFIFO(os.stat(target).st_mode)
