"""PDF (.pdf) through PyMuPDF: the text layer of each page."""

from __future__ import annotations

import re
from typing import Any

from ..errors import UnreadableDocument
from .base import Extracted, optional_import


def extract(raw: bytes, name: str) -> Extracted:
    """Text layer of each page, in content order."""
    pymupdf = optional_import("pymupdf", "pymupdf")
    try:
        with pymupdf.open(stream=raw, filetype="pdf") as pdf:
            if pdf.needs_pass:
                raise UnreadableDocument(f"{name}: the PDF is encrypted; decrypt it first")
            if pdf.page_count == 0:  # MuPDF "repairs" garbage into an empty document
                raise UnreadableDocument(f"{name}: cannot read the PDF, the file is corrupt (no pages)")
            pages = [page.get_text("text").split("\n") for page in pdf]
            title = _title(pdf.metadata or {})
    except UnreadableDocument:
        raise
    except (RuntimeError, ValueError) as exc:  # pymupdf.FileDataError is a RuntimeError
        raise UnreadableDocument(
            f"{name}: cannot open the PDF, the file is corrupt or not a PDF ({exc})"
        ) from exc
    if not any(line.strip() for page in pages for line in page):
        raise UnreadableDocument(
            f"{name}: the PDF has no text layer (scanned or image-only pages); OCR it first"
        )
    return Extracted(pages, title=title, with_pages=True)


def _title(metadata: dict[str, Any]) -> str | None:
    # Producers often store the source file name ("Microsoft Word - 6월호.docx"): not a title.
    title = (metadata.get("title") or "").strip()
    if len(title) < 2 or re.search(
        r"\.(docx?|hwpx?|pptx?|xlsx?|pdf|indd)$|^microsoft|^untitled", title, re.I
    ):
        return None
    return str(title)
