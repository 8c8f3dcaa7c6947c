"""Write failures of the data directory, named for the user: a full disk, or a folder that cannot be written.

The pipeline runs every ingest and delete inside ``writing``: an ``OSError`` or SQLite error that
means "no space" or "cannot write here" becomes a ``StorageError`` (the CLI prints it, the service
answers 507 or 503); any other exception is a bug and goes through unchanged.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from docqa.core.errors import StorageError

FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
UNWRITABLE_ERRNOS = {
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EEXIST,  # a file where a folder should be made
    errno.ENOENT,  # the data directory went away under the writer
    errno.EIO,
    errno.EMFILE,
    errno.ENFILE,
}
# SQLite's primary result codes for the same two cases (sqlite3 errors carry ``sqlite_errorname``)
FULL_SQLITE = {"SQLITE_FULL"}
LOW_SPACE = 1024 * 1024  # less free than this after a failed write: the disk is full
UNWRITABLE_SQLITE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM", "SQLITE_BUSY")


@dataclass
class Progress:
    """What a write had committed when it failed: those documents are stored but not published."""

    stored: list[str] = field(default_factory=list)


def classify(exc: BaseException) -> bool | None:
    """True for "the disk is full", False for "cannot write here", None for anything else."""
    if isinstance(exc, OSError):
        if exc.errno in FULL_ERRNOS:
            return True
        return False if exc.errno in UNWRITABLE_ERRNOS else None
    if isinstance(exc, sqlite3.Error):
        name = str(getattr(exc, "sqlite_errorname", ""))
        if name in FULL_SQLITE or "database or disk is full" in str(exc):
            return True
        if name.startswith(UNWRITABLE_SQLITE) or "readonly database" in str(exc):
            return False
    return None


@contextmanager
def writing(data_dir: Path) -> Iterator[Progress]:
    """Run one write; a full or unwritable data directory raises a ``StorageError`` that says which."""
    progress = Progress()
    try:
        yield progress
    except (OSError, sqlite3.Error) as exc:
        full = classify(exc)
        if full is None:
            raise
        full = full or _out_of_space(data_dir)  # SQLite reports a full disk as an I/O error in WAL mode
        raise StorageError(
            _message(data_dir, exc, full, progress.stored), full=full, stored=tuple(progress.stored)
        ) from exc


def _out_of_space(data_dir: Path) -> bool:
    """Whether the file system of the data directory (or the nearest folder that exists) is full."""
    folder = data_dir
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return False
    return usage.free < LOW_SPACE


def _message(data_dir: Path, exc: BaseException, full: bool, stored: list[str]) -> str:
    what = (
        "the disk holding it is full"
        if full
        else "it cannot be written (read-only, missing or not a folder?)"
    )
    reason = f"{type(exc).__name__}: {exc}"
    if stored:
        after = (
            f"; {len(stored)} document(s) ({', '.join(stored[:5])}{', ...' if len(stored) > 5 else ''}) "
            "were stored but are not searchable yet: fix it, then run the ingest again to publish them"
        )
    else:
        after = "; nothing was stored: fix it, then run the ingest again"
    return f"cannot write to the data directory {data_dir}: {what} ({reason}){after}"
