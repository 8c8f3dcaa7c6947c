"""PDF (.pdf) through PyMuPDF: the text layer of each page, within the document's limits."""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from ..errors import IngestError, TooLarge, UnreadableDocument
from ..limits import Budget
from . import pdf_ocr
from .base import Extracted, optional_import
from .pdf_layout import layout_pages
from .pdf_lines import TextLine, page_lines
from .pdf_tables import Grid

# PyMuPDF is not thread-safe, and MuPDF's warnings are one store per process: one PDF at a time,
# so the warnings read after a file are that file's.
_MUPDF = threading.Lock()
MAX_WARNINGS = 5  # distinct MuPDF messages reported per file
# MuPDF crashes (a segmentation fault, the whole process) opening a PDF of 2 GiB or more from
# memory; ``Limits.file_mb`` stops such files first, this is for any other caller.
MUPDF_MAX_BYTES = 2**31 - 1


def extract(raw: bytes, name: str, budget: Budget) -> Extracted:
    """Text layer of each page, in content order; MuPDF's repairs and warnings as ``warnings``.

    The page count is checked before any page is read, the characters after each page (so a
    document over the limit stops early) and the time between pages. Each page is first run
    through a device that only counts the text it draws and stops MuPDF past the page limit, so
    text drawn over itself (a few KB of nested forms can draw millions of characters, for
    minutes) is refused at the cost of what the limit allows. Text outside the page's visible box
    is not extracted (PyMuPDF clips to ``page.rect`` unless told otherwise).
    """
    pymupdf = optional_import("pymupdf", "pymupdf")
    if len(raw) > MUPDF_MAX_BYTES:
        size = f"{len(raw) / 2**20:,.1f} MB"
        raise TooLarge(f"{name}: the PDF is {size}; MuPDF cannot open 2 GiB or more: split it")
    with _MUPDF:
        pymupdf.TOOLS.mupdf_warnings(reset=True)  # what earlier files left
        try:
            with pymupdf.open(stream=raw, filetype="pdf") as pdf:
                if pdf.needs_pass:
                    raise UnreadableDocument(f"{name}: the PDF is encrypted; decrypt it first")
                if pdf.page_count == 0:  # MuPDF "repairs" garbage into an empty document
                    raise UnreadableDocument(f"{name}: cannot read the PDF, the file is corrupt (no pages)")
                budget.check_pages(pdf.page_count)
                pages, ocr_pages = _pages(pdf, name, budget)
                title = _title(pdf.metadata or {})
                repaired = bool(pdf.is_repaired)
        except IngestError:  # ours, including the limits (IngestError is a ValueError)
            raise
        except (RuntimeError, ValueError) as exc:  # pymupdf.FileDataError is a RuntimeError
            raise UnreadableDocument(
                f"{name}: cannot open the PDF, the file is corrupt or not a PDF ({exc})"
            ) from exc
        finally:
            messages = pymupdf.TOOLS.mupdf_warnings(reset=True)
    if not any(line.strip() for page in pages for line in page):
        read = "; OCR found no text in its images either" if ocr_pages else "; OCR it first"
        raise UnreadableDocument(f"{name}: the PDF has no text layer (scanned or image-only pages){read}")
    return Extracted(
        pages,
        title=title,
        with_pages=True,
        paragraphs=True,
        warnings=_warnings(repaired, messages, pages),
        ocr_pages=ocr_pages,
    )


def _pages(pdf: Any, name: str, budget: Budget) -> tuple[list[list[str]], frozenset[int]]:
    """Each page's lines with their boxes (by OCR for a page that only shows an image), within
    the limits; then the text by layout, and the 0-based pages read by OCR."""
    pages: list[list[TextLine]] = []
    ocr_pages: set[int] = set()
    grids: dict[int, list[Grid]] = {}
    total = 0
    for number, page in enumerate(pdf, start=1):
        doing = f"reading page {number:,} of {pdf.page_count:,}"
        budget.check_time(doing)
        drawn, stopped = _count_text(page, budget)
        if stopped:
            budget.check_time(doing)  # stopped for time: says so
            budget.check_page_chars(drawn, number, stopped=True)
        lines = page_lines(page, number - 1)
        if pdf_ocr.needs_ocr(page, lines):
            langs = pdf_ocr.check_available(name)
            lines, grids[number - 1] = pdf_ocr.ocr_lines(page, number - 1, langs, budget)
            ocr_pages.add(number - 1)
        chars = sum(len(line.text) + 1 for line in lines)
        budget.check_page_chars(chars, number)
        total += chars
        budget.check_chars(total, f"by page {number:,} of {pdf.page_count:,}")
        pages.append(lines)
    budget.check_time("laying out the pages")
    return layout_pages(pdf, pages, grids), frozenset(ocr_pages)


def _count_text(page: Any, budget: Budget) -> tuple[int, bool]:
    """Characters of text the page draws, and whether MuPDF was stopped (past the page's
    character limit, or the document's time) before the page was done."""
    mupdf = optional_import("pymupdf", "pymupdf").mupdf
    cookie = mupdf.FzCookie()
    device = _counter_class()(cookie, budget)
    try:
        mupdf.fz_run_page(page.this, device, mupdf.FzMatrix(), cookie)
    finally:
        mupdf.fz_close_device(device)
    return device.chars, bool(cookie.m_internal.abort)


@cache
def _counter_class() -> Any:
    """A MuPDF device (``fz_device`` with Python callbacks) that counts the characters of every
    text call and sets the cookie's ``abort`` past the limits; MuPDF stops at its next operator."""
    mupdf = optional_import("pymupdf", "pymupdf").mupdf

    def __init__(self: Any, cookie: Any, budget: Budget) -> None:
        mupdf.FzDevice2.__init__(self)
        for name in ("fill_text", "stroke_text", "clip_text", "clip_stroke_text", "ignore_text"):
            getattr(self, f"use_virtual_{name}")()
        self.cookie, self.budget, self.chars = cookie, budget, 0

    def count(self: Any, ctx: Any, text: Any, *rest: Any) -> None:
        span = text.head
        while span:
            self.chars += span.len
            span = span.next
        limits = self.budget.limits
        if self.chars > limits.page_chars or self.budget.spent() > limits.seconds:
            self.cookie.m_internal.abort = 1

    methods = dict.fromkeys(
        ("fill_text", "stroke_text", "clip_text", "clip_stroke_text", "ignore_text"), count
    )
    return type("_TextCounter", (mupdf.FzDevice2,), {"__init__": __init__, **methods})


def _warnings(repaired: bool, messages: str, pages: list[list[str]]) -> tuple[str, ...]:
    """What a user should know before trusting the text: a repair, pages without text, MuPDF's words."""
    distinct = list(dict.fromkeys(m.strip() for m in messages.splitlines() if m.strip()))
    distinct = [m for m in distinct if not m.startswith("... repeated")]
    if not repaired and not distinct:
        return ()
    empty = [n for n, page in enumerate(pages, start=1) if not any(line.strip() for line in page)]
    found = f"{len(pages)} page{'s' if len(pages) != 1 else ''} read"
    if empty:
        found += f", no text on page{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))}"
    what = (
        "the PDF is damaged (truncated or corrupt) and MuPDF repaired it"
        if repaired
        else "MuPDF reported problems reading the PDF"
    )
    summary = f"{what}: its text may be incomplete ({found})"
    shown = [f"MuPDF: {m}" for m in distinct[:MAX_WARNINGS]]
    if len(distinct) > MAX_WARNINGS:
        shown.append(f"MuPDF: ... and {len(distinct) - MAX_WARNINGS} more")
    return (summary, *shown)


def _title(metadata: dict[str, Any]) -> str | None:
    # Producers often store the source file name ("Microsoft Word - 6월호.docx"): not a title.
    title = (metadata.get("title") or "").strip()
    if len(title) < 2 or re.search(
        r"\.(docx?|hwpx?|pptx?|xlsx?|pdf|indd)$|^microsoft|^untitled", title, re.I
    ):
        return None
    return str(title)
