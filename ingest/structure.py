"""Article structure: table of contents, article headings, reference blocks.

Headings are found on cleaned but not yet re-joined lines (``clean.Line``): in some PDF exports
(the KIC newsletter, 004) an article's heading and section label are printed at the *bottom* of
the article's first page, after that page's body text and sometimes inside a sentence that
continues on the next page. Lifting the heading out before lines are re-joined gives the
sentence back, and the article starts at the top of the page that carries its heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .clean import (
    Line,
    display_width,
    drop_blank_at_page_breaks,
    ends_sentence,
    is_caption,
    is_url_line,
    toc_entry,
)
from .records import Span


@dataclass(frozen=True)
class TocEntry:
    title: str
    section: str | None
    page: int


@dataclass(frozen=True)
class Toc:
    entries: tuple[TocEntry, ...]
    first: int  # line indexes the contents page spans (inclusive)
    last: int

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.section for e in self.entries if e.section))


@dataclass
class Heading:
    index: int  # first line of the heading
    end: int  # line after the heading (a title can wrap onto a second line)
    title: str  # as printed, number included: "02. 中 자동차 산업 격변…"
    section: str | None = None
    labels: list[int] = field(default_factory=list)  # section-label lines printed after it


@dataclass(frozen=True)
class ArticleLines:
    """An article before re-joining: its heading (printed before the body) and body lines."""

    title: str
    section: str | None
    body: tuple[Line, ...]
    heading: str | None = None  # None for the document-level part (front matter, plain documents)
    heading_page: int = 0


# ---------------------------------------------------------------------------------------------
# Table of contents


def parse_toc(lines: Sequence[Line], search_share: float = 0.3) -> Toc | None:
    """The contents page: a run of "title … P16" lines near the start, grouped under section names.

    A group of plain lines after a blank line names a section ("산업" / "트렌드"); plain lines right
    after an entry are the start of a title that wrapped onto the next line.
    """
    limit = max(60, int(len(lines) * search_share))
    run = _entry_run([i for i in range(min(limit, len(lines))) if toc_entry(lines[i].text)])
    if not run:
        return None
    first = _group_start(lines, run[0])
    entries: list[TocEntry] = []
    pending: list[str] = []
    pending_is_section, after_blank, section = True, True, None
    for line in lines[first : run[-1] + 1]:
        text = line.text.strip()
        if not text:
            after_blank = True
            continue
        entry = toc_entry(text)
        if entry is None:
            pending_is_section = after_blank if not pending else pending_is_section
            pending.append(text)
        else:
            title = entry[0]
            if pending and pending_is_section:
                section = " ".join(pending)
            elif pending:
                title = " ".join([*pending, title]).strip()
            entries.append(TocEntry(title, section, entry[1]))
            pending = []
        after_blank = False
    return Toc(tuple(entries), first, run[-1])


def _entry_run(indexes: list[int], max_gap: int = 8, min_entries: int = 3) -> list[int]:
    # The first run of at least three entries with no more than a few lines between neighbours.
    run: list[int] = []
    for i in indexes:
        if run and i - run[-1] > max_gap:
            if len(run) >= min_entries:
                break
            run = []
        run.append(i)
    return run if len(run) >= min_entries else []


def _group_start(lines: Sequence[Line], first_entry: int) -> int:
    # Back up over the section-name lines printed just above the first entry.
    i = first_entry
    while i > 0 and _section_name_line(lines[i - 1]) and lines[i - 1].page == lines[first_entry].page:
        i -= 1
    return i


def _section_name_line(line: Line) -> bool:
    return not line.blank and display_width(line.text.strip()) <= 30


# ---------------------------------------------------------------------------------------------
# Headings

_NUMBERED_HEADING = re.compile(r"^\s*(?P<number>\d{1,2})\.\s+(?P<title>\S.*?)\s*$")
_MIN_MATCH = 0.6  # numbered heading vs contents entry (titles get edited after the TOC is made)
_MIN_MATCH_PLAIN = 0.75  # an unnumbered line must match its entry more closely


def similarity(a: str, b: str) -> float:
    """How alike two titles are, ignoring spacing and case (0..1)."""
    return SequenceMatcher(None, _squash(a), _squash(b)).ratio()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _numbered(text: str) -> tuple[str, str] | None:
    """(number, title) of a numbered heading line: "02. 中 자동차 …" → ("02", "中 자동차 …")."""
    match = _NUMBERED_HEADING.match(text)
    if not match or is_caption(text) or not 4 <= display_width(match["title"]) <= 160:
        return None
    return match["number"], match["title"]


def find_headings(lines: Sequence[Line], toc: Toc | None) -> list[Heading]:
    """Article headings in reading order, matched to the contents page when there is one."""
    skip = range(toc.first, toc.last + 1) if toc else range(0)
    numbered = [i for i, line in enumerate(lines) if i not in skip and _numbered(line.text)]
    if toc is None:
        return _headings_without_toc(lines, numbered)
    matched = _match_numbered(lines, numbered, toc)
    _match_plain(lines, toc, matched, skip)
    return [matched[k] for k in sorted(matched)]


def _match_numbered(lines: Sequence[Line], candidates: list[int], toc: Toc) -> dict[int, Heading]:
    # Walk headings and entries together: each heading matches one of the next few entries.
    matched: dict[int, Heading] = {}
    next_entry = 0
    for i in candidates:
        window = range(next_entry, min(next_entry + 4, len(toc.entries)))
        scored = [(_score(lines, i, toc.entries[k].title), k) for k in window]
        if not scored:
            break
        (score, end), k = max(scored)
        if score >= _MIN_MATCH:
            title = " ".join(line.text.strip() for line in lines[i:end])
            matched[k] = Heading(i, end, title, toc.entries[k].section)
            next_entry = k + 1
    return matched


def _score(lines: Sequence[Line], i: int, title: str) -> tuple[float, int]:
    # Similarity of the heading to a title, taking the next line too when the title wrapped.
    text = _numbered(lines[i].text)[1]  # type: ignore[index]  # candidates are numbered
    best = (similarity(text, title), i + 1)
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if nxt and not nxt.blank and nxt.page == lines[i].page and display_width(nxt.text.strip()) <= 40:
        wrapped = similarity(f"{text} {nxt.text.strip()}", title)
        if wrapped > best[0] + 0.02:
            best = (wrapped, i + 2)
    return best


def _match_plain(lines: Sequence[Line], toc: Toc, matched: dict[int, Heading], skip: range) -> None:
    # Entries without a numbered heading ("2025년 … 행사 정보") may match an unnumbered line lying
    # between the headings of their neighbouring entries.
    for k, entry in enumerate(toc.entries):
        if k in matched:
            continue
        lo = max((h.end for j, h in matched.items() if j < k), default=skip.stop)
        hi = min((h.index for j, h in matched.items() if j > k), default=len(lines))
        limit = 1.6 * display_width(entry.title) + 4
        scored = [
            (similarity(lines[i].text, entry.title), i)
            for i in range(max(lo, skip.stop), hi)
            if not lines[i].blank and display_width(lines[i].text.strip()) <= limit
        ]
        if scored and max(scored)[0] >= _MIN_MATCH_PLAIN:
            i = max(scored)[1]
            matched[k] = Heading(i, i + 1, lines[i].text.strip(), entry.section)


def _headings_without_toc(lines: Sequence[Line], candidates: list[int]) -> list[Heading]:
    # Without a contents page only distinctive headings count: zero-padded numbers ("01.") or a
    # numbered line opening a page; a numbered list in running text does neither.
    padded = {i for i in candidates if lines[i].text.lstrip().startswith("0")}
    chosen = [
        i
        for i in candidates
        if (i in padded or _first_on_page(lines, i)) and not ends_sentence(lines[i].text)
    ]
    return [Heading(i, i + 1, lines[i].text.strip()) for i in chosen] if len(chosen) >= 2 else []


# ---------------------------------------------------------------------------------------------
# Where articles start


def _page_range(lines: Sequence[Line], i: int) -> range:
    page = lines[i].page
    lo, hi = i, i
    while lo > 0 and lines[lo - 1].page == page:
        lo -= 1
    while hi + 1 < len(lines) and lines[hi + 1].page == page:
        hi += 1
    return range(lo, hi + 1)


def _first_on_page(lines: Sequence[Line], i: int) -> bool:
    return all(lines[j].blank for j in _page_range(lines, i) if j < i)


def _trailing_labels(lines: Sequence[Line], heading: Heading) -> list[int] | None:
    """Lines after a heading up to the page end when they are all short labels (or captions);
    None when body text follows the heading on its page."""
    labels: list[int] = []
    for j in (j for j in _page_range(lines, heading.index) if j >= heading.end):
        text = lines[j].text.strip()
        if not text or is_caption(text):
            continue
        if display_width(text) > 30 or ends_sentence(text):
            return None
        labels.append(j)
    return labels


def _article_start(lines: Sequence[Line], heading: Heading, bottom_style: bool) -> int:
    """First body line of a heading's article.

    In bottom style a heading printed after its page's text opens the article at the top of
    that page, or just after the previous article's reference label when that ends on the page.
    """
    if not bottom_style or _first_on_page(lines, heading.index) or _trailing_labels(lines, heading) is None:
        return heading.end
    page = _page_range(lines, heading.index)
    refs = [j for j in page if j < heading.index and is_reference_label(lines[j].text)]
    return refs[-1] + 1 if refs else page.start


def _is_bottom_style(lines: Sequence[Line], headings: list[Heading]) -> bool:
    # Most headings that have text above them on their page have nothing but labels below.
    mid = [h for h in headings if not _first_on_page(lines, h.index)]
    bottom = [h for h in mid if _trailing_labels(lines, h) is not None]
    return bool(mid) and len(bottom) * 2 >= len(mid)


# ---------------------------------------------------------------------------------------------
# Splitting


def split_articles(lines: Sequence[Line], title: str) -> list[ArticleLines]:
    """Cut a document's lines into articles; without headings the whole document is one article.

    Heading lines and the section labels printed with them leave the body; text before the first
    article (cover, contents) becomes a part titled with the document title.
    """
    toc = parse_toc(lines)
    headings = find_headings(lines, toc)
    if not headings:
        return [ArticleLines(title, None, tuple(lines))]
    bottom = _is_bottom_style(lines, headings)
    if bottom:
        for heading in headings:
            heading.labels = _trailing_labels(lines, heading) or []
    removed = _removed_lines(lines, headings, toc)
    starts = _monotonic([_article_start(lines, h, bottom) for h in headings])
    parts: list[ArticleLines] = []
    front = [line for j, line in enumerate(lines[: starts[0]]) if j not in removed]
    if any(not line.blank for line in front):
        parts.append(ArticleLines(title, None, tuple(front)))
    bounds = [*starts[1:], len(lines)]
    section: str | None = None
    for heading, start, end in zip(headings, starts, bounds, strict=True):
        section = heading.section or _label_section(lines, heading, toc) or section
        body = tuple(drop_blank_at_page_breaks([lines[j] for j in range(start, end) if j not in removed]))
        parts.append(ArticleLines(heading.title, section, body, heading.title, lines[heading.index].page))
    return parts


def _removed_lines(lines: Sequence[Line], headings: list[Heading], toc: Toc | None) -> set[int]:
    """Heading lines and their labels leave the body; they are printed once, before it."""
    removed: set[int] = set()
    for heading in headings:
        removed.update(range(heading.index, heading.end))
        removed.update(heading.labels)
    if toc:  # a section name alone at a page's foot is a label too ("KIC 중국 포커스")
        names = {_squash(s) for s in toc.sections}
        for i, line in enumerate(lines):
            if i > toc.last and _squash(line.text) in names and _near_page_end(lines, i):
                removed.add(i)
    return removed


def _near_page_end(lines: Sequence[Line], i: int, depth: int = 2) -> bool:
    after = [j for j in _page_range(lines, i) if j > i and not lines[j].blank]
    return len(after) < depth


def _monotonic(starts: list[int]) -> list[int]:
    out: list[int] = []
    for start in starts:
        out.append(max(start, out[-1]) if out else start)
    return out


def _label_section(lines: Sequence[Line], heading: Heading, toc: Toc | None) -> str | None:
    # The last label printed under a bottom heading names its section ("산업 트랜드"); prefer the
    # contents page's spelling of it ("산업 트렌드").
    if not heading.labels:
        return None
    label = lines[heading.labels[-1]].text.strip()
    names = toc.sections if toc else ()
    best = max(names, key=lambda name: similarity(name, label), default=None)
    return best if best and similarity(best, label) >= 0.6 else label


# ---------------------------------------------------------------------------------------------
# Reference blocks

_REFERENCE_LABEL = re.compile(
    r"^\s*[\[<(【]?\s*(?:참고\s?자료|참고\s?문헌|자료\s?출처|원문\s?출처|출처|references?|sources?|bibliography|"
    r"参考资料|参考文献|资料来源|来源)\s*[\]>)】]?\s*[:：]?\s*$",
    re.I,
)
_SOURCE_LINE = re.compile(
    r"^\s*(?:원문\s?)?출처\s*[:：]|^\s*(?:source|via)\s*:|^\s*(?:来源|出处)\s*[:：]", re.I
)
_CITATION_DATE = re.compile(r"\(\s*\d{2,4}[.\-/]\d{1,2}(?:[.\-/]\d{1,2})?\s*\)\s*$")
# "Publisher(原名). Title…": a source name with its original in brackets, then a full stop.
# The original name is Chinese or Latin: "(1998년 8월)." closing a Korean sentence is not one.
_CITATION_SOURCE = re.compile(r"^\s*[^\s.()][^.()]{0,40}\([^()\uac00-\ud7a3]{1,40}\)\.\s")
MAX_CITATION_CHARS = 300  # a citation is a line or two; a long line is prose


def is_reference_label(text: str) -> bool:
    """The label that closes or opens a reference block: "참고자료", "References", "出处"."""
    return bool(_REFERENCE_LABEL.match(text))


def is_reference_line(text: str) -> bool:
    """A line of a reference block: URL, label, "출처: …", or a citation (a source with its
    original name, or a line ending in its date "(25.06.01)")."""
    return bool(
        is_url_line(text)
        or is_reference_label(text)
        or _SOURCE_LINE.match(text)
        or (len(text) <= MAX_CITATION_CHARS and (_CITATION_DATE.search(text) or _CITATION_SOURCE.match(text)))
    )


def reference_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of reference blocks (whole lines) in ``text[start:end]``, in absolute offsets.

    A line that runs straight into a reference line without ending a sentence is part of the
    same citation (a citation wrapped onto two lines).
    """
    end = len(text) if end is None else end
    rows = _line_spans(text, start, end)
    flags = [is_reference_line(text[a:b]) for a, b in rows]
    for k in range(len(rows) - 1, 0, -1):
        (a, b), (next_start, _) = rows[k - 1], rows[k]
        wraps_on = text[b:next_start] == "\n" and not ends_sentence(text[a:b]) and b - a <= 300
        flags[k - 1] = flags[k - 1] or (flags[k] and wraps_on)
    spans: list[Span] = []
    for (a, b), flag in zip(rows, flags, strict=True):
        if not flag:
            continue
        if spans and not text[spans[-1].end : a].strip():
            spans[-1] = Span(spans[-1].start, b)  # only whitespace between: same block
        else:
            spans.append(Span(a, b))
    return spans


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    # (start, end) of each non-blank line, trimmed of surrounding spaces.
    rows = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        raw = match.group()
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            rows.append((start + match.start() + lead, start + match.start() + len(raw.rstrip())))
    return rows
