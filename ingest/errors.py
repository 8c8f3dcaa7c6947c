"""Errors raised while reading documents; both are ``ValueError`` so callers can map them to 4xx."""

from __future__ import annotations


class IngestError(ValueError):
    """A document could not be turned into a ``Document``."""


class UnsupportedFormat(IngestError):
    """The file type has no reader (e.g. ``.docx``)."""


class UnreadableDocument(IngestError):
    """The file has a supported type but no usable text: corrupt, encrypted, image-only or empty."""
