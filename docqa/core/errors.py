"""The errors a user can act on. Each stage raises a subclass; the edges (CLI, HTTP) map them in one place.

``DocqaError`` is the root: its message is written for the user and is shown without a traceback.
"""

from __future__ import annotations


class DocqaError(Exception):
    """A problem the user can fix, described by its message."""


class UsageError(DocqaError):
    """A command was given arguments it cannot use (a missing file, an empty question)."""


class StorageError(DocqaError):
    """The data directory could not be written: the disk is full (``full``), or it is read-only,
    missing or not a folder. ``stored`` names the documents whose change the database had already
    committed: they are not searchable yet, and the next ingest, upload or delete publishes them."""

    def __init__(self, message: str, *, full: bool, stored: tuple[str, ...] = ()):
        super().__init__(message)
        self.full = full
        self.stored = stored
