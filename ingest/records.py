"""Typed records passed between the stages: Document -> Passage -> Hit.

Every offset is a character offset into ``Document.text``, the cleaned text that the
service serves at ``GET /v1/documents/{doc_id}``; ``text[start:end]`` is always the span.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Page:
    """A PDF page's span in the cleaned text (1-based page number as printed by the reader)."""

    number: int
    start: int
    end: int
    ocr: bool = False  # the page's text was read by OCR (a scan), not from a text layer


@dataclass(frozen=True)
class Article:
    """One article of a document (a newsletter issue has many; a news item has one)."""

    title: str
    start: int
    end: int
    section: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str
    source: str | None = None
    published: str | None = None  # ISO date or partial date: "2025-06", "2018"
    url: str | None = None
    lang: str | None = None
    kind: str | None = None
    path: str | None = None
    content_hash: str = ""
    pages: tuple[Page, ...] = ()
    articles: tuple[Article, ...] = ()
    # how the file was read, for the user (a repaired PDF's text may be incomplete); not stored
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].start else None

    def ocr_between(self, start: int, end: int) -> bool:
        """Whether any of ``text[start:end]`` lies on a page read by OCR."""
        return any(p.ocr and p.start < max(end, start + 1) and start < p.end for p in self.pages)

    def article_at(self, offset: int) -> Article | None:
        for article in self.articles:
            if article.start <= offset < article.end:
                return article
        return None


@dataclass(frozen=True)
class Passage:
    """A window of whole sentences; ``sentences`` are absolute spans inside ``start:end``."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...] = field(default_factory=tuple)
    page: int | None = None
    article: str | None = None
    section: str | None = None
    ocr: bool = False  # some of its text was read by OCR: machine-read, check it against the page

    @property
    def passage_id(self) -> str:
        return f"{self.doc_id}#{self.ordinal}"
