"""Sentences and passages: windows of whole sentences inside one article.

Sentence offsets come from Kiwi (``Sentence.start/end``) on each line of the cleaned text and
are shifted to absolute offsets, so a passage's sentences can be cited exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .records import Document, Passage, Span
from .structure import reference_spans

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

MAX_SENTENCE_CHARS = 600
MIN_PASSAGE_CHARS = 80  # a window adding less new text than this joins the previous passage

_CJK_STOP = re.compile(r"[。！？]+[」』”’\"')）\]]*")
_LATIN_STOP = re.compile(r"(?<=[.!?])[\"”’')]*\s+(?=[A-Z\"“‘(])")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"”’'」』)\]]*$")
_INNER_END = re.compile(r"[.!?][\"”’')\]]*\s+")
_QUOTATIVE = re.compile(r"(?:이?라고|고|이?라며|며)\s")  # after a closing quote: the quotation goes on
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e u.s u.k no fig inc ltd co corp dept gov jan feb mar apr "
    "jun jul aug sep sept oct nov dec".split()
)


# ---------------------------------------------------------------------------------------------
# Sentences


def split_sentences(
    text: str, kiwi: Kiwi, *, start: int = 0, end: int | None = None, max_chars: int = MAX_SENTENCE_CHARS
) -> list[Span]:
    """Sentence spans of ``text[start:end]`` in absolute offsets.

    Lines are split separately (headings, bullets and table rows are never glued to the next
    sentence); Kiwi splits Korean and Latin lines, Chinese lines split at 。！？, and any
    sentence longer than ``max_chars`` is cut at a space.
    """
    end = len(text) if end is None else end
    rows = _line_spans(text, start, end)
    korean = [(a, b) for a, b in rows if not _is_chinese(text[a:b])]
    kiwi_starts = dict(zip(korean, _kiwi_starts(kiwi, [text[a:b] for a, b in korean]), strict=True))
    spans: list[Span] = []
    for a, b in rows:
        for piece in _pieces(text, a, b, kiwi_starts.get((a, b), [0])):
            spans.extend(_hard_split(text, piece, max_chars))
    return spans


def _kiwi_starts(kiwi: Kiwi, lines: list[str]) -> Iterator[list[int]]:
    # Only Kiwi's sentence *starts* are used: each sentence runs to the next start, so no
    # character Kiwi skips (symbols, stray punctuation) falls between sentences.
    if not lines:
        return iter([])
    return (
        _real_starts(line, [s.start for s in sentences]) or [0]
        for line, sentences in zip(lines, kiwi.split_into_sents(lines), strict=True)
    )


def _real_starts(line: str, starts: list[int]) -> list[int]:
    """Kiwi's sentence starts less those inside a word: Kiwi cuts after a closing quote or
    bracket that a particle or copula follows (``‘인큐베이터’인 드림타운`` -> ``‘인큐베이터’`` +
    ``인 드림타운...``; ``‘슈퍼 시나리오’로 변신``; ``(하)``), and before the full stop or date after a
    bracketed title. A start right after a non-space is kept only where the text before it ends
    a sentence (``돌입하였다.바이오``), unless a quotation's ``고`` / ``라고`` follows
    (``한다."고 설명했다``); otherwise the sentence starts after the last full stop before it
    (``넘었다. ‘인큐베이터’인``), or nowhere."""
    kept: list[int] = []
    for start in starts:
        if start > 0 and kept and not line[start - 1].isspace():
            before = line[kept[-1] : start].rstrip()
            if not _SENTENCE_END.search(before) or _QUOTATIVE.match(line, start):
                # the sentence began at the last full stop before the quote, if there is one
                inner = [m.end() for m in _INNER_END.finditer(line, kept[-1], start)]
                if inner and inner[-1] < start:
                    kept.append(inner[-1])
                continue
        kept.append(start)
    return kept


def _pieces(text: str, a: int, b: int, starts: list[int]) -> Iterator[Span]:
    bounds = sorted({0, *starts})
    for lo, hi in zip(bounds, [*bounds[1:], b - a], strict=True):
        span = _trim(text, a + lo, a + hi)
        if span:
            for part in _split_at(text, span, _CJK_STOP):
                yield from _split_latin(text, part)


def _split_at(text: str, span: Span, pattern: re.Pattern[str]) -> list[Span]:
    # a Chinese title in brackets inside a Korean line (발표(重大利好！八部门发布…)) is not cut
    cuts = [
        m.end()
        for m in pattern.finditer(text, span.start, span.end)
        if m.end() < span.end and not _inside_brackets(text, span.start, m.start())
    ]
    bounds = [span.start, *cuts, span.end]
    return [s for lo, hi in zip(bounds, bounds[1:], strict=False) if (s := _trim(text, lo, hi))]


def _inside_brackets(text: str, start: int, at: int) -> bool:
    part = text[start:at]
    return part.count("(") + part.count("（") > part.count(")") + part.count("）")


def _split_latin(text: str, span: Span) -> Iterator[Span]:
    # Kiwi leaves "…in 2024. Dr. Smith…" whole; split English sentences unless the word
    # before the full stop is an abbreviation or an initial.
    chunk = text[span.start : span.end]
    if (
        sum(c.isascii() and c.isalpha() for c in chunk)
        < 2 * sum("\uac00" <= c <= "\ud7a3" for c in chunk) + 20
    ):
        yield span
        return
    lo = span.start
    for match in _LATIN_STOP.finditer(text, span.start, span.end):
        word = text[lo : match.start()].rsplit(None, 1)[-1].rstrip(".!?\"”’')").lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        if piece := _trim(text, lo, match.start()):
            yield piece
        lo = match.end()
    if piece := _trim(text, lo, span.end):
        yield piece


def _hard_split(text: str, span: Span, max_chars: int) -> Iterator[Span]:
    # Cut an over-long "sentence" (a table flattened into one line) at the last space that
    # keeps each part within max_chars; text without spaces is cut at max_chars.
    start = span.start
    while span.end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        if piece := _trim(text, start, cut):
            yield piece
        start = cut
    if piece := _trim(text, start, span.end):
        yield piece


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    rows = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        span = _trim(text, start + match.start(), start + match.end())
        if span:
            rows.append((span.start, span.end))
    return rows


def _is_chinese(line: str) -> bool:
    han = sum("\u4e00" <= c <= "\u9fff" for c in line)
    hangul = sum("\uac00" <= c <= "\ud7a3" for c in line)
    return han > 0 and han >= 4 * hangul


# ---------------------------------------------------------------------------------------------
# Passages


@dataclass(frozen=True)
class _Unit:
    """Sentences that stay together: a sentence plus any reference lines that follow it."""

    sentences: tuple[Span, ...]
    weak: bool  # reference material only: never the new content of a passage

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end


def make_passages(
    doc: Document,
    kiwi: Kiwi,
    target_chars: int = 450,
    max_chars: int = 700,
    overlap_sentences: int = 1,
    min_chars: int = MIN_PASSAGE_CHARS,
) -> list[Passage]:
    """Windows of whole sentences per article, overlapping by ``overlap_sentences``.

    A window grows until it reaches ``target_chars`` or the next sentence would pass
    ``max_chars``. References (citations, URLs, "참고자료") ride with the sentence before
    them, and a window that would add only references or under ``min_chars`` of new text is
    merged into the previous passage instead.
    """
    passages: list[Passage] = []
    for start, end, title, section in _regions(doc):
        units = _units(doc.text, split_sentences(doc.text, kiwi, start=start, end=end), start, end)
        for first, last in _pack(units, target_chars, max_chars, overlap_sentences, min_chars):
            span = Span(units[first].start, units[last - 1].end)
            passages.append(
                Passage(
                    doc_id=doc.doc_id,
                    ordinal=len(passages),
                    start=span.start,
                    end=span.end,
                    text=doc.text[span.start : span.end],
                    sentences=tuple(s for unit in units[first:last] for s in unit.sentences),
                    page=doc.page_at(span.start) if doc.pages else None,
                    article=title,
                    section=section,
                    ocr=doc.ocr_between(span.start, span.end),
                )
            )
    return passages


def _regions(doc: Document) -> list[tuple[int, int, str | None, str | None]]:
    # Passages never cross an article boundary; text outside articles (headings printed
    # between articles) is carried as passage metadata instead.
    if not doc.articles:
        return [(0, len(doc.text), None, None)]
    return [(a.start, a.end, a.title, a.section) for a in doc.articles if a.end > a.start]


def _units(text: str, sentences: list[Span], start: int, end: int) -> list[_Unit]:
    refs = reference_spans(text, start, end)
    units: list[_Unit] = []
    for sentence in sentences:
        is_ref = any(r.start <= sentence.start and sentence.end <= r.end for r in refs)
        if is_ref and units:
            units[-1] = _Unit((*units[-1].sentences, sentence), units[-1].weak)
        else:
            units.append(_Unit((sentence,), is_ref))
    if units and all(u.weak for u in units):
        return []  # an article of references alone has nothing to retrieve
    return units


def _pack(
    units: list[_Unit], target: int, max_chars: int, overlap: int, min_chars: int
) -> list[tuple[int, int]]:
    """Greedy windows ``(first, last)`` over units, then weak windows merged backwards."""
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last = first + 1
        while last < len(units) and _length(units, first, last) < target:
            if _length(units, first, last + 1) > max_chars:
                break
            last += 1
        windows.append((first, last))
        if last == len(units):
            break
        first = max(last - overlap, first + 1)
    return _merge_weak(units, windows, min_chars)


def _length(units: list[_Unit], first: int, last: int) -> int:
    return units[last - 1].end - units[first].start


def _merge_weak(units: list[_Unit], windows: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    # A window's new text is what the previous window did not already hold.
    merged: list[tuple[int, int]] = []
    for first, last in windows:
        if merged:
            new = [u for u in units[merged[-1][1] : last] if not u.weak]
            if sum(u.end - u.start for u in new) < min_chars:
                merged[-1] = (merged[-1][0], last)
                continue
        merged.append((first, last))
    return merged
