"""Pages of extracted lines → cleaned text with exact page and article offsets.

Cleaning moves and joins text (headings lifted to their article's start, wrapped lines
rejoined, "2027 년" → "2027년"), so offsets are only taken while the final text is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .clean import Line, OutLine, WrapStyle, join_lines, prepare_pages, repair_numbers, wrap_style
from .records import Article, Page
from .structure import ArticleLines, split_articles

_PAGE_MARK = "\x00"  # marks a page change inside a rejoined line while numbers are repaired


@dataclass(frozen=True)
class Assembled:
    text: str
    pages: tuple[Page, ...]
    articles: tuple[Article, ...]


def assemble(
    raw_pages: Sequence[Sequence[str]],
    *,
    title: str,
    with_pages: bool,
    paragraphs: bool = False,
    ocr_pages: frozenset[int] = frozenset(),
) -> Assembled:
    """Clean, structure and render a document given as pages of extracted lines.

    ``with_pages`` says the pages are real (a PDF); plain text split at layout breaks still
    uses them to place headings, but the document gets no page numbers. ``paragraphs`` says
    each line is already a whole paragraph (a PDF laid out by geometry): lines are not rejoined
    by width, only a paragraph left open at a page's foot (a trailing space) runs on.
    """
    pages = prepare_pages(raw_pages)  # 1. characters, double spacing, headers, page numbers
    lines = [Line(text, p) for p, page in enumerate(pages) for text in page]
    # 2. how lines were wrapped
    style = WrapStyle(paragraphs=True) if paragraphs else wrap_style(line.text for line in lines)
    parts = split_articles(lines, title=title)  # 3. articles, headings lifted out of the flow
    writer = _Writer()
    spans = [_write_part(writer, part, style) for part in parts]  # 4. rejoin, repair, write
    text = writer.text()
    page_spans = _page_spans(writer.transitions, len(raw_pages), len(text), ocr_pages) if with_pages else ()
    articles = tuple(
        _article(part, start, end, page_spans) for part, (start, end) in zip(parts, spans, strict=True)
    )
    return Assembled(text, page_spans, articles)


class _Writer:
    """Appends text and remembers at which offset each source page's text begins."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.length = 0
        self.transitions: list[tuple[int, int]] = []  # (offset, 0-based page)

    def write(self, text: str, page: int | None = None) -> None:
        if page is not None:
            self.transitions.append((self.length, page))
        self.chunks.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.chunks)


def _write_part(writer: _Writer, part: ArticleLines, style: WrapStyle) -> tuple[int, int]:
    """Write one article (heading, then body); return the body's (start, end)."""
    if writer.length and not writer.chunks[-1].endswith("\n\n"):
        writer.write("\n\n")
    if part.heading:
        writer.write(repair_numbers(part.heading), part.heading_page)
        writer.write("\n\n")
    start = writer.length
    rows = join_lines(part.body, style)
    _write_rows(writer, _trim_breaks(rows))
    return start, writer.length


def _trim_breaks(rows: list[OutLine]) -> list[OutLine]:
    # Paragraph breaks only between lines: none at the edges, never two in a row.
    out: list[OutLine] = []
    for row in rows:
        if row is None and (not out or out[-1] is None):
            continue
        out.append(row)
    while out and out[-1] is None:
        out.pop()
    return out


def _write_rows(writer: _Writer, rows: list[OutLine]) -> None:
    separator = ""
    for row in rows:
        if row is None:
            separator = "\n\n"
            continue
        writer.write(separator)
        separator = "\n"
        _write_row(writer, row)


def _write_row(writer: _Writer, row: list[tuple[str, int]]) -> None:
    # Repair numbers over the whole rejoined line ("2027 년" + "까지"), keeping page changes as
    # marks the repair patterns cannot cross, then write each page's piece with its page.
    pages = [row[0][1]]
    marked = row[0][0]
    for text, page in row[1:]:
        if page != pages[-1]:
            pages.append(page)
            marked += _PAGE_MARK
        marked += text
    for piece, page in zip(repair_numbers(marked).split(_PAGE_MARK), pages, strict=True):
        writer.write(piece, page)


def _page_spans(
    transitions: list[tuple[int, int]], n_pages: int, length: int, ocr_pages: frozenset[int] = frozenset()
) -> tuple[Page, ...]:
    """Pages as consecutive spans: a page starts where its first text is written.

    Text moved backwards (a caption carried past a page break) counts as the later page, so
    spans never overlap; pages without text get an empty span.
    """
    if n_pages == 0:
        return ()
    starts = [length] * n_pages
    starts[0] = 0
    seen = 0
    for offset, page in transitions:
        if page > seen:
            for q in range(seen + 1, page + 1):
                starts[q] = offset
            seen = page
    ends = [*starts[1:], length]
    return tuple(Page(q + 1, starts[q], ends[q], q in ocr_pages) for q in range(n_pages))


def _article(part: ArticleLines, start: int, end: int, pages: tuple[Page, ...]) -> Article:
    page = next((p.number for p in pages if p.start <= start < p.end), pages[-1].number if pages else None)
    return Article(title=repair_numbers(part.title), start=start, end=end, section=part.section, page=page)
