"""Writing files so that a crash leaves the old file or the new one, never half of one; and hashing them."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (a rename) to disk, where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file's bytes to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on success it is fsynced and renamed over ``path``.

    For writers that take a path (DuckDB ``COPY``, ``to_parquet``, WeasyPrint). On an exception the
    temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.touch()
    except FileExistsError:  # mkdir met a file on the way
        message = "cannot write there: a file stands where a folder is needed"
        raise NotADirectoryError(errno.ENOTDIR, message, str(path)) from None
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write there: {exc.strerror}", str(path)) from None
    try:
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


@contextmanager
def atomic_write(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """An open handle on a temporary file that replaces ``path`` (fsync, rename) when the block ends."""
    binary = "b" in mode
    with (
        atomic_path(path) as tmp,
        open(tmp, mode, encoding=None if binary else encoding, newline=None if binary else newline) as handle,
    ):
        yield handle


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    with atomic_write(path) as handle:
        handle.write(text)


def file_sha256(path: Path, block_size: int = 4 << 20) -> str:
    """The SHA-256 of the file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            digest.update(block)
    return digest.hexdigest()


def tree_size(path: Path) -> int:
    """Bytes of every file under ``path`` (0 when it does not exist)."""
    path = Path(path)
    if not path.is_dir():
        return path.stat().st_size if path.is_file() else 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
