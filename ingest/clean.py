"""Cleaning extracted text: page furniture, hard-wrapped lines, spaces inside numbers.

PDF text arrives one visual line at a time. The functions here work on lines tagged with the
page they came from (``Line``) so the reader can still place every character of the cleaned
text on a page; ``clean_text`` runs the whole chain on a plain string.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .columns import is_row, text_columns
from .spacing import Usage, glue


@dataclass(frozen=True)
class Line:
    """One extracted line and the 0-based index of the page it came from."""

    text: str
    page: int = 0

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class WrapStyle:
    """How a document's lines were broken, measured once per document (see ``wrap_style``)."""

    width: int = 0  # display width of a full line, in columns (CJK characters count 2)
    wrapped: bool = False  # hard-wrapped at that width (PDF) rather than one line per paragraph
    trailing_spaces: bool = False  # a wrap at a space keeps the space; a wrap inside a word does not
    paragraphs: bool = False  # lines are whole paragraphs; a trailing space runs on to the next page


Part = tuple[str, int]  # a piece of an output line and the page it came from
OutLine = list[Part] | None  # None is a paragraph break

FULL_LINE = 0.8  # a line at least this fraction of the wrap width reached the right margin
OVERFULL = 1.1  # body lines cannot pass the margin; wider lines are table rows in a smaller font

# ---------------------------------------------------------------------------------------------
# Characters

# Symbol-font glyphs land in the Private Use Area. U+F0D7 is Symbol's dot operator; in 004 it
# stands where the source had a middle dot ("업\uf0d7다운 스트림" = "업·다운 스트림").
_CHAR_MAP = str.maketrans(
    {
        "\uf0d7": "·",
        "\u00a0": " ",
        "\u3000": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\t": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def normalise_chars(text: str) -> str:
    """NFC, one newline convention, odd spaces to spaces, invisible and private-use glyphs removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _PRIVATE_USE.sub("", text.translate(_CHAR_MAP))


def display_width(text: str) -> int:
    """Columns a line takes on the page: Hangul and Han are double width, Latin single."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def is_cjk(char: str) -> bool:
    """Han ideographs and kana: scripts written without spaces between words."""
    return "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


# ---------------------------------------------------------------------------------------------
# Line predicates

_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’」』》)\]]*$")
_BULLET = re.compile(r"^\s*(?:[◼◻■□▪▫●○◆◇◈•‣⚫⚪▶▷►▸※✓✔☐☑▲△▼▽①-⑳]|[-–—－*+]\s|\(\d{1,2}\)\s?|\d{1,2}\)\s)")
_NUMBERED = re.compile(r"^\s*\d{1,2}\.\s+\S")
_CAPTION = re.compile(
    r"^\s*(?:도표|표|그림|사진|차트|Figure|Fig\.|Table|图|表)\s*\d+(?:[-.]\d+)?\s*[.:)]", re.I
)
_URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.I)
_PAGE_NUMBER = re.compile(
    r"^\s*[-–—]?\s*(?:(?:page|p\.)\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,4})?\s*[-–—]?\s*$", re.I
)
_WIDE_GAP = re.compile(r"\S {5,}\S")
_TOC_ENTRY = re.compile(
    r"^(?P<title>.*?)(?:(?:^|\s)[Pp]\.?\s?|\s*(?:\.{3,}|…{2,}|·{3,})\s*)(?P<page>\d{1,3})\s*$"
)


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()))


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text))


def is_numbered(text: str) -> bool:
    return bool(_NUMBERED.match(text))


def is_caption(text: str) -> bool:
    """Figure/table captions ("도표 1. …"): PDFs print them wherever the figure floats."""
    return bool(_CAPTION.match(text))


def is_url_line(text: str) -> bool:
    return bool(_URL_LINE.match(text))


def toc_entry(text: str) -> tuple[str, int] | None:
    """(title, page) of a table-of-contents line: "구현 지능 산업 심층 분석  P1", "Intro ..... 3"."""
    match = _TOC_ENTRY.match(text.strip())
    return (match["title"].strip(), int(match["page"])) if match else None


def is_page_number(text: str) -> bool:
    """A line holding only a page number: "7", "- 7 -", "7 / 80", "Page 7"."""
    return bool(_PAGE_NUMBER.match(text))


def is_masthead(text: str) -> bool:
    """A running header laid out left and right ("월간 중국창업 6 월호      산업 트랜드").

    Extraction keeps the gap between the two halves as a run of spaces; body text never has one.
    """
    stripped = text.strip()
    return bool(_WIDE_GAP.search(stripped)) and display_width(stripped) <= 160


def furniture_key(text: str) -> str:
    """A header/footer's identity across pages: digits vary ("6 월호", page numbers), spacing too."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text)).strip()


def is_structural(text: str) -> bool:
    """Lines that always start a new line: list items, numbered items, captions, URLs."""
    return is_bullet(text) or is_numbered(text) or is_caption(text) or is_url_line(text)


# ---------------------------------------------------------------------------------------------
# Pages and page furniture


def is_double_spaced(lines: Sequence[str]) -> bool:
    """Output of PDF-to-text tools that print an empty line after every line.

    Such tools mark real vertical gaps with a line holding only spaces; both signals must be
    present, so a news text with blank lines between paragraphs is not mistaken for one.
    """
    content = [i for i, line in enumerate(lines) if line.strip()]
    if len(content) < 10:
        return False
    gapped = sum(1 for i in content if i + 2 < len(lines) and lines[i + 1] == "" and lines[i + 2] != "")
    spaces_only = sum(1 for line in lines if line and not line.strip())
    return gapped >= 0.6 * len(content) and spaces_only >= 0.02 * len(lines)


def _starts_page(lines: Sequence[str], i: int) -> bool:
    # In double-spaced output each page's text begins with one space and follows the previous
    # page's last line without the usual empty separator (or after a run of empty lines).
    line = lines[i]
    if not line.startswith(" ") or (line.startswith("  ") and line.strip()):
        return False
    return lines[i - 1] != "" or (i >= 2 and lines[i - 2] == "")


def split_layout_pages(text: str) -> list[list[str]]:
    """Split extracted plain text into pages: at form feeds, or at the page starts of double-spaced
    output; anything else is one page."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text:
        return [chunk.split("\n") for chunk in text.split("\f")]
    lines = text.split("\n")
    if not is_double_spaced(lines):
        return [lines]
    pages: list[list[str]] = [[]]
    for i, line in enumerate(lines):
        if i > 0 and _starts_page(lines, i):
            pages.append([])
        pages[-1].append(line)
    return pages


def undouble(lines: Sequence[str]) -> list[str]:
    """Drop the empty separator lines of double-spaced output; lines of spaces become blank lines."""
    out: list[str] = []
    for line in lines:
        if line == "":
            continue
        out.append(line if line.strip() else "")
    if out and out[0].startswith(" "):
        out[0] = out[0][1:]  # the page-start marker space
    return out


def _edge_indexes(page: Sequence[str], depth: int = 3) -> list[int]:
    """Indexes of the first and last ``depth`` non-blank lines: where headers and footers sit."""
    content = [i for i, line in enumerate(page) if line.strip()]
    return sorted(set(content[:depth] + content[-depth:]))


def recurring_keys(pages: Sequence[Sequence[str]], min_share: float = 0.5) -> set[str]:
    """Keys of edge lines that recur on at least ``min_share`` of the pages (and on two or more)."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({furniture_key(page[i]) for i in _edge_indexes(page)})
    need = max(2, math.ceil(min_share * len(pages)))
    return {key for key, n in counts.items() if n >= need and key and not _is_body_like(key)}


def _is_body_like(key: str) -> bool:
    # A long line ending a sentence is body text even if it repeats (a boilerplate sentence).
    return display_width(key) > 120 and ends_sentence(key)


def drop_furniture(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Remove running headers/footers and page numbers from each page's edges.

    Headers are recognised three ways: lines recurring on many pages, masthead layout (two
    halves separated by a wide gap), and any later line with the key of a masthead already seen
    (extractors sometimes put the header below the page's first lines).
    """
    recurring = recurring_keys(pages)
    mastheads: set[str] = set()
    cleaned: list[list[str]] = []
    for page in pages:
        edges = set(_edge_indexes(page))
        kept: list[str] = []
        for i, line in enumerate(page):
            key = furniture_key(line)
            at_edge = i in edges
            if at_edge and is_masthead(line):
                mastheads.add(key)
                continue
            if key in recurring and at_edge or (at_edge and is_page_number(line)) or key in mastheads:
                continue
            kept.append(line)
        cleaned.append(trim_blank_edges(kept))
    return cleaned


def trim_blank_edges(lines: Sequence[str]) -> list[str]:
    """A page break is not a paragraph break: blank lines at a page's top and bottom go."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return list(lines[start:end])


def drop_blank_at_page_breaks(lines: Sequence[Line]) -> list[Line]:
    """Blank lines next to a page change are layout gaps, not paragraph breaks (they appear
    when a heading printed at a page's foot is lifted out of the flow)."""
    before: list[int | None] = []  # page of the nearest text line above each line
    page: int | None = None
    for line in lines:
        before.append(page)
        page = page if line.blank else line.page
    kept: list[Line] = []
    after: int | None = None  # page of the nearest text line below, walking upwards
    for line, above in zip(reversed(lines), reversed(before), strict=True):
        if not line.blank:
            after = line.page
            kept.append(line)
        elif above is not None and after is not None and above == after:
            kept.append(line)
    return kept[::-1]


def prepare_pages(raw_pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Characters normalised, double spacing undone, headers/footers/page numbers dropped."""
    pages = [[normalise_chars(line) for line in page] for page in raw_pages]
    if is_double_spaced([line for page in pages for line in page]):
        pages = [undouble(page) for page in pages]
    return drop_furniture(pages)


# ---------------------------------------------------------------------------------------------
# Re-joining hard-wrapped lines


def wrap_style(lines: Iterable[str]) -> WrapStyle:
    """Measure how lines were wrapped: the full-line width, whether lines are hard-wrapped, and
    whether a trailing space tells a wrap at a space from a wrap inside a word."""
    texts = [line for line in lines if line.strip()]
    if len(texts) < 5:
        return WrapStyle()
    widths = sorted(display_width(t.strip()) for t in texts)
    width = widths[int(0.9 * (len(widths) - 1))]
    full = [t for t in texts if display_width(t.strip()) >= FULL_LINE * width]
    open_lines = [t for t in full if not ends_sentence(t)]
    wrapped = len(open_lines) >= 0.3 * len(full)
    spaced = sum(1 for t in open_lines if t != t.rstrip())
    trailing = wrapped and 0.3 * len(open_lines) <= spaced < len(open_lines)
    return WrapStyle(width=width, wrapped=wrapped, trailing_spaces=trailing)


def joiner(prev: str, nxt: str, style: WrapStyle, column: int = 0, usage: Usage | None = None) -> str | None:
    """What joins line ``prev`` to the next line: "" or " ", or None to keep the line break.
    ``column``: the widest line near it where its text column is narrower than the
    document's (``block_columns``); ``usage``: how the document writes its words (``glue``)."""
    if style.paragraphs:  # a PDF laid out by geometry: Kiwi tells a word split by the page break
        open_end = prev != prev.rstrip() and bool(prev.strip())
        left, right = prev.rstrip(), nxt.lstrip()
        if not (open_end and right):
            return None
        return glue(left, right, usage) if space_between(left, right) == " " else ""
    if not style.wrapped or not nxt.strip() or ends_sentence(prev):
        return None
    if any(f(prev) or f(nxt) for f in (is_url_line, toc_entry)) or is_caption(nxt):
        return None
    if style.trailing_spaces and prev == prev.rstrip():
        return ""  # the extractor kept the space of every wrap at a space: this wrap split a word
    width = display_width(prev.strip())
    if column and not is_structural(nxt) and not (is_row(prev) or is_row(nxt)):
        # in a narrower column, a wrap is a line the next word would not have fitted on
        head = nxt.split(None, 1)[0]  # nxt has text: a blank next line returned above
        forced = width + 1 + display_width(head) > column and width <= OVERFULL * column
        return space_between(prev.rstrip(), nxt.lstrip()) if forced else None
    if is_structural(nxt) or width < FULL_LINE * style.width:
        return None  # a short line ended on purpose: heading, table cell, last line of a paragraph
    if width > OVERFULL * style.width:
        return None  # wider than the text column: a table row, not a wrapped paragraph line
    return space_between(prev.rstrip(), nxt.lstrip())


def block_columns(lines: Sequence[Line], style: WrapStyle) -> list[int]:
    """Each line's text column where it is set narrower than the document's (``columns.py``)."""
    if style.paragraphs or not style.wrapped or not style.width:
        return [0] * len(lines)
    return text_columns(
        [display_width(line.text.strip()) for line in lines],
        [line.blank for line in lines],
        [ends_sentence(line.text) for line in lines],
        style.width,
        FULL_LINE,
    )


def space_between(left: str, right: str) -> str:
    """Chinese and Japanese take no space between lines; a hyphenated Latin word keeps its hyphen."""
    if left and right and is_cjk(left[-1]) and is_cjk(right[0]):
        return ""
    if left.endswith("-") and left[-2:-1].isalpha() and right[:1].islower():
        return ""
    return " "


def join_lines(lines: Sequence[Line], style: WrapStyle) -> list[OutLine]:
    """Rebuild logical lines from wrapped ones; blank lines become paragraph breaks (None).

    A caption printed between a line and its continuation on the next page (a floating figure)
    is moved after the rejoined line, so the sentence comes back whole.
    """
    out: list[OutLine] = []
    current: list[Part] | None = None
    prev: Line | None = None
    floats: list[Line] = []
    columns = block_columns(lines, style)
    # a PDF laid out by geometry: its paragraphs tell how the document writes a word a page split
    usage = Usage.of(line.text for line in lines) if style.paragraphs else None

    def close() -> None:
        nonlocal current, prev
        current, prev = None, None
        out.extend([[(f.text.strip(), f.page)] for f in floats])
        floats.clear()

    for i, line in enumerate(lines):
        if line.blank:
            close()
            out.append(None)
            continue
        glue = joiner(prev.text, line.text, style, columns[i], usage) if prev is not None else None
        if current is not None and prev is not None and glue is not None:
            current.append((glue + line.text.strip(), line.page))
            prev = line
            continue
        if prev is not None and is_caption(line.text) and _float_continues(lines, i, prev, style, columns):
            floats.append(line)
            continue
        close()
        current = [(line.text.strip(), line.page)]
        out.append(current)
        prev = line
    close()
    return out


def _float_continues(
    lines: Sequence[Line], i: int, prev: Line, style: WrapStyle, columns: Sequence[int]
) -> bool:
    # True when lines[i:] are captions up to a line on a later page that continues ``prev``
    # (judged as join_lines judges it, in that line's text column).
    for j in range(i, len(lines)):
        line = lines[j]
        if line.blank:
            return False
        if not is_caption(line.text):
            return line.page != prev.page and joiner(prev.text, line.text, style, columns[j]) is not None
    return False


# ---------------------------------------------------------------------------------------------
# Spaces inside numbers and units

_NUM = r"\d+(?:[.,]\d+)*"
_COUNTERS = (
    "개월|개국|개사|개|년|월|일|시간|시|분기|분|초|명|곳|건|차례|차원|차|회|대|배|위|억|만|천|조|"
    "원|위안|달러|엔|유로|주년|주|세대|세|살|층|호|권|편|장|점|번|종|박|인|국|급|단계|가지|여|나노|톤|축|군|자"
)
# What may follow a counter inside the same word: particles and suffixes ("2027년까지", "3일간").
_SUFFIXES = (
    "간|째|여|경|께|당|씩|쯤|말|초|중|전|후|내|급|권|대|차|호|이내|이상|이하|미만|동안|가량|정도|대비|"
    "까지|부터|에서|에게|에는|에도|에|의|을|를|은|는|이며|이다|이고|이었|였|이|가|과|와|으로|로|도|만|"
    "인|보다|마다|처럼"
)
_NUMBER_UNIT = re.compile(rf"(?<![A-Za-z0-9.,])({_NUM}) ((?:{_COUNTERS})+(?:{_SUFFIXES})*)(?![가-힣])")
_PERCENT = re.compile(r"(\d) (%|％)")
_ORDINAL_JE = re.compile(r"(?<![가-힣A-Za-z])제 (?=\d+[가-힣])")
# Extractors also put a space between a Latin word or a number and the particle after it
# ("MOU 를", "GPU 의", "R1 과"); Korean never writes one there.
_PARTICLES = (
    "에서는|에서|에게|에는|으로는|으로|로는|이라는|라는|이란|와의|과의|까지|부터|처럼|보다|"
    "을|를|은|는|이|가|의|에|과|와|로|도|만|인"
)
_LATIN_PARTICLE = re.compile(rf"(?<=[A-Za-z0-9%)]) ({_PARTICLES})(?![가-힣])")


def repair_numbers(text: str) -> str:
    """Undo spaces an extractor put inside numbers and units.

    "2027 년" → "2027년", "2.35 억 위안" → "2.35억 위안", "5 월 27 일" → "5월 27일",
    "1 천억" → "1천억", "제 2 회" → "제2회", "MOU 를" → "MOU를". A counter only joins when
    the word ends after it or continues with a particle, so "2025 시진핑" stays apart.
    """
    text = _NUMBER_UNIT.sub(r"\1\2", text)
    text = _PERCENT.sub(r"\1\2", text)
    text = _ORDINAL_JE.sub("제", text)
    return _LATIN_PARTICLE.sub(r"\1", text)


def collapse_blank_lines(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no blank edges."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------------------------------------
# Everything at once


def render_lines(out: Sequence[OutLine]) -> str:
    """Joined lines to text: one line per logical line, a blank line per paragraph break."""
    rows = ["" if parts is None else repair_numbers("".join(text for text, _ in parts)) for parts in out]
    return collapse_blank_lines("\n".join(rows))


def clean_text(text: str) -> str:
    """The whole cleaning chain on a plain string (no article structure, no page offsets)."""
    pages = prepare_pages(split_layout_pages(text))
    lines = [Line(t, p) for p, page in enumerate(pages) for t in page]
    return render_lines(join_lines(lines, wrap_style(line.text for line in lines)))
