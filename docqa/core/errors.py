"""The errors a user can act on. Each stage raises a subclass; the edges (CLI, HTTP) map them in one place.

``DocqaError`` is the root: its message is written for the user and is shown without a traceback.
"""

from __future__ import annotations


class DocqaError(Exception):
    """A problem the user can fix, described by its message."""


class UsageError(DocqaError):
    """A command was given arguments it cannot use (a missing file, an empty question)."""
