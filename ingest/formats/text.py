"""Plain text (.txt)."""

from __future__ import annotations

from ..clean import split_layout_pages
from ..limits import Budget
from .base import Extracted, decode


def extract(raw: bytes, name: str, budget: Budget) -> Extracted:
    """Decoded text; form feeds and layout page starts split it into pages."""
    text = decode(raw, name)
    budget.check_chars(len(text))  # before any cleaning work
    # Plain text may be a PDF extraction: form feeds or layout page starts still mark pages,
    # which placing headings needs, but they are not page numbers anyone can cite.
    return Extracted(split_layout_pages(text))
