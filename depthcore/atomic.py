"""Atomic file writing: temp file in the destination folder, then rename.

A failed or interrupted write never leaves a half-written file at the destination, and an existing
file there stays intact until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import UserError


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``dest`` (same suffix); rename it over ``dest`` on success."""
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    if dest.is_dir():
        raise UserError("output path is a folder", dest)
    if not folder.is_dir():
        raise UserError("output folder does not exist", folder)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=folder)
    except PermissionError as exc:
        raise UserError("output folder is not writable", folder) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(dest: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``dest`` atomically."""
    return atomic_write_bytes(dest, text.encode("utf-8"))


def refuse_overwrite_input(dest: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Raise UserError when ``dest`` is one of the input files (same file on disk)."""
    dest = Path(dest)
    if not dest.exists():
        return
    for src in inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(dest, src):
                raise UserError("refusing to overwrite an input file", dest)
