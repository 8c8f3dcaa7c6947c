"""Plain text (.txt)."""

from __future__ import annotations

from ..clean import split_layout_pages
from .base import Extracted, decode


def extract(raw: bytes, name: str) -> Extracted:
    """Decoded text; form feeds and layout page starts split it into pages."""
    # Plain text may be a PDF extraction: form feeds or layout page starts still mark pages,
    # which placing headings needs, but they are not page numbers anyone can cite.
    return Extracted(split_layout_pages(decode(raw, name)))
