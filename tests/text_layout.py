"""Laying text out as a PDF's text layer has it, for the tests that write PDFs."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Display width: Hangul and Han count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, columns: int = 64) -> list[str]:
    """Break a paragraph like a word processor: at the last space that fits, keeping the space
    at the end of the line (as PDF text layers do)."""
    lines, current = [], ""
    for word in text.split(" "):
        candidate = f"{current}{word} "
        if current and width(candidate.rstrip()) > columns:
            lines.append(current)
            current = f"{word} "
        else:
            current = candidate
    lines.append(current.rstrip())
    return lines
