"""Errors raised while reading documents; callers map them to a 4xx or a skipped file."""

from __future__ import annotations

from docqa.core.errors import DocqaError


class IngestError(DocqaError, ValueError):
    """A document could not be turned into a ``Document``."""


class UnsupportedFormat(IngestError):
    """The file type has no reader (e.g. ``.docx``)."""


class UnreadableDocument(IngestError):
    """The file has a supported type but no usable text: corrupt, encrypted, image-only or empty."""


class TooLarge(IngestError):
    """The document is over a limit on pages, characters, passages or ingest time (``limits``)."""


class Overdrawn(UnreadableDocument):
    """A page holds more text than a page can show: text drawn over itself (a "PDF bomb")."""
