"""Bounds on the work one document may cause: file size, pages, characters, passages and ingest time.

``Limits`` holds the numbers (``DOCQA_MAX_*``, built from ``Settings`` in ``docqa.runtime``);
``Budget`` is one document's share while it is read and indexed. Each check raises
``TooLarge`` (or ``Overdrawn`` for a page holding more text than a page can show) with a message
naming the limit, the figure found and the setting that raises it. Time is checked between
pages, steps and embedding batches: work stops at the next check, no thread is killed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import Overdrawn, TooLarge

_RAISE = "raise it or split the file"
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per document; the defaults take a 300-page report with room to spare (README)."""

    pages: int = 500
    file_mb: int = 1_024  # checked before the file is read; MuPDF cannot open 2 GiB or more
    chars: int = 2_000_000
    page_chars: int = 30_000
    passages: int = 5_000
    seconds: float = 3_600.0

    def start(self, name: str, spent: float = 0.0) -> Budget:
        """The budget of the document called ``name`` (for messages), ``spent`` seconds used already."""
        return Budget(self, name, time.monotonic() - spent)


@dataclass(frozen=True)
class Budget:
    """One document's limits and the moment its ingest (counted) began."""

    limits: Limits
    name: str
    started: float

    def spent(self) -> float:
        return time.monotonic() - self.started

    def check_time(self, doing: str) -> None:
        """``doing`` says where the work stopped ("reading page 812 of 1,000")."""
        spent = self.spent()
        if spent > self.limits.seconds:
            raise TooLarge(
                f"{self.name}: ingest took longer than the limit of {self.limits.seconds:g} s per "
                f"document (DOCQA_MAX_INGEST_SECONDS); stopped after {spent:.0f} s while {doing}, "
                f"nothing was stored: {_RAISE}"
            )

    def check_bytes(self, size: int) -> None:
        """``size``: the file's length in bytes, before any of it is read."""
        if size > self.limits.file_mb * MB:
            raise TooLarge(
                f"{self.name}: the file is {size / MB:,.1f} MB; the limit is {self.limits.file_mb:,} MB "
                f"per file (DOCQA_MAX_FILE_MB): split the file"
            )

    def check_pages(self, pages: int) -> None:
        if pages > self.limits.pages:
            raise TooLarge(
                f"{self.name}: the PDF has {pages:,} pages; the limit is {self.limits.pages:,} pages "
                f"per document (DOCQA_MAX_PAGES): {_RAISE}"
            )

    def check_chars(self, chars: int, where: str = "") -> None:
        """``chars`` extracted so far; ``where`` says how far ("by page 3 of 40")."""
        if chars > self.limits.chars:
            found = f"{chars:,} characters{' ' + where if where else ''}"
            raise TooLarge(
                f"{self.name}: the text is longer than the limit of {self.limits.chars:,} characters "
                f"per document (DOCQA_MAX_CHARS): {found}; {_RAISE}"
            )

    def check_page_chars(self, chars: int, page: int, stopped: bool = False) -> None:
        """``stopped``: the page was not read to its end, it draws ``chars`` or more."""
        if chars > self.limits.page_chars:
            found = f"holds {chars:,} characters of text"
            if stopped:
                found = f"draws at least {chars:,} characters of text (reading stopped there)"
            raise Overdrawn(
                f"{self.name}: page {page} {found}, more than a page can show (the limit is "
                f"{self.limits.page_chars:,} per page, DOCQA_MAX_PAGE_CHARS): the PDF draws text "
                "over itself; if the page is real, raise the limit"
            )

    def check_passages(self, passages: int) -> None:
        if passages > self.limits.passages:
            raise TooLarge(
                f"{self.name}: the document makes {passages:,} passages; the limit is "
                f"{self.limits.passages:,} passages per document (DOCQA_MAX_PASSAGES): {_RAISE}"
            )
