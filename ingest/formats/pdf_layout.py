"""A PDF page's text by its layout: the main text column(s) only, in reading order, as paragraphs.

PyMuPDF gives every line with its bounding box. Browser-printed articles carry the site's
chrome (a side column of clipped headlines, menus, share buttons, a player's ``5:43``) and the
browser's print header and footer (date and time, title, URL, ``1/8``); newsletters set text in
two columns. Here:

1. the print header/footer rows in the page margins go (a date, URL or page counter in the row,
   or the row recurring on the pages);
2. the main columns are found over the whole document: left edges shared by the most text
   (a side column holds little text per line, so little mass);
3. lines outside the main columns go, and rows of short fragments (menus, share buttons,
   player controls), lone player times, and the site's lines inside the column (bylines,
   time stamps, copyright, hashtags, related headlines: ``pdf_chrome``);
4. tables (``page.find_tables``) become one line per row, with the header cells attached;
5. each page is read band by band (a band ends at a full-width line or table), column by column,
   and lines are joined into paragraphs where a line runs to the column's edge and the next
   follows at line spacing; a break between two syllables where the next line's first syllable
   would still have fitted on the line (``at_edge``) keeps its space: a browser breaks Korean
   between any two syllables, so it did not break a word there; and where a quarter of the
   document's breaks had that room, it breaks lines between words only (``word-break:
   keep-all``), and every break between two syllables keeps its space (``breaks_at_spaces``).

A page's text is its paragraphs, one per line, a blank line between them; a paragraph still open
at the page's foot ends with a space, so the cleaner joins it to the next page's first line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from ..clean import ends_sentence, is_cjk
from ..spacing import Usage, glue, is_hangul
from .pdf_chrome import Chrome, site_names
from .pdf_lines import Column, TextLine, merge_row, rows
from .pdf_tables import Grid, Table, find_tables, table_lines

SHORT = 8  # a fragment: a menu word, a share button, a clipped headline's piece
EDGE_BAND = 0.06  # the print header and footer sit in this share of the page's height
MAIN_SHARE = 0.25  # a main column holds at least this share of the largest column's text

_DATE_TIME = re.compile(
    r"\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,4}\.?,?\s*(?:(?:오전|오후|AM|PM)\s*)?\d{1,2}:\d{2}", re.I
)
# a print time alone, as OCR may read the header's date and time ("12/1/26, 11:22 PM" as "121:22 PM")
_CLOCK = re.compile(r"^\s*[\d/.,\s-]*\d{1,2}:\d{2}\s*(?:AM|PM|오전|오후)\s*$", re.I)
_URL = re.compile(r"^\s*(?:(?:https?|file)://|www\.)\S+\s*$", re.I)
# OCR reads a URL's scheme as it pleases (kor: "file:///tmp/..." as "116:///070/..."); "://" is a URL's
_OCR_URL = re.compile(r"^\s*\S{0,8}://")
_COUNTER = re.compile(r"^\s*\d{1,4}\s*/\s*\d{1,4}\s*$")
_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}"
_PLAYER = re.compile(rf"^\s*(?:\S{{1,2}}\s+)?[▶►■❚|/\s]*{_TIME}(?:\s*/\s*{_TIME})?\s*$")  # ▶ 0:00 / 5:43
_SYMBOLS = re.compile(r"^[\W_]+$")
_CRUMBS = re.compile(r"^\s*[^\s>›»|]{1,8}(?:\s*[>›»|]\s*[^\s>›»|]{1,8})+\s*$")  # 문화 > 문화일반


# ---------------------------------------------------------------------------------------------
# 1. Print headers and footers


def _furniture_key(row: Sequence[TextLine]) -> str:
    return re.sub(r"\d+", "#", " ".join(t.text for t in row))


def _furniture_keys(row: Sequence[TextLine]) -> set[str]:
    """A row's key, and each of its lines': a print header whose date OCR misread on one page
    (``12/1/26, 1122 PM``) still has the page title beside it that every page repeats."""
    return {_furniture_key(row), *(_furniture_key([t]) for t in row)}


def drop_print_furniture(pages: list[list[TextLine]], heights: Sequence[float]) -> list[list[TextLine]]:
    """Rows in the top and bottom margin bands holding a print date, a URL or a page counter, or
    recurring (digits aside; the row or one of its lines) on half the pages: the browser's
    header/footer, running headers."""
    banded: list[list[tuple[list[TextLine], str]]] = []
    for lines, height in zip(pages, heights, strict=True):
        band = EDGE_BAND * height
        edge = [r for r in rows(lines) if r[0].y1 <= band or r[0].y0 >= height - band]
        banded.append([(r, "top" if r[0].y1 <= band else "bottom") for r in edge])
    counts: dict[tuple[str, str], int] = {}
    for page_rows in banded:
        for key in {(where, k) for r, where in page_rows for k in _furniture_keys(r)}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, (len(pages) + 1) // 2)
    kept: list[list[TextLine]] = []
    for lines, page_rows in zip(pages, banded, strict=True):
        gone: set[int] = set()
        for row, where in page_rows:
            marked = any(
                _DATE_TIME.search(t.text)
                or _CLOCK.match(t.text)
                or _URL.match(t.text)
                or _OCR_URL.match(t.text)
                or _COUNTER.match(t.text)
                for t in row
            )
            if marked or any(counts[(where, k)] >= need for k in _furniture_keys(row)):
                gone.update(id(t) for t in row)
        kept.append([t for t in lines if id(t) not in gone])
    return kept


# ---------------------------------------------------------------------------------------------
# 2. Main columns


def main_columns(lines: Sequence[TextLine]) -> list[Column]:
    """Left edges (within 4 pt) that start the most text over the document; a column reaches the
    90th percentile of its lines' right edges. Indented lines join the column they sit in."""
    body = sorted((t for t in lines if t.chars > SHORT), key=lambda t: t.x0)
    clusters: list[list[TextLine]] = []
    for line in body:
        if clusters and line.x0 - clusters[-1][-1].x0 <= 4:
            clusters[-1].append(line)
        else:
            clusters.append([line])
    if not clusters:
        return []
    mass = [sum(t.chars for t in c) for c in clusters]
    top = max(mass)
    columns: list[Column] = []
    for cluster, m in sorted(zip(clusters, mass, strict=True), key=lambda cm: -cm[1]):
        if m < MAIN_SHARE * top:
            break
        rights = sorted(t.x1 for t in cluster)
        column = Column(cluster[0].x0, rights[int(0.9 * (len(rights) - 1))])
        if not any(c.x0 <= column.x0 < c.x1 for c in columns):  # an indent inside a column
            columns.append(column)
    return sorted(columns, key=lambda c: c.x0)


def body_size(lines: Sequence[TextLine]) -> float:
    """The font size most text is set in."""
    weight: dict[float, int] = {}
    for t in lines:
        weight[round(t.size, 1)] = weight.get(round(t.size, 1), 0) + t.chars
    return max(weight, key=lambda s: weight[s]) if weight else 10.0


def in_main_area(line: TextLine, columns: Sequence[Column], size: float) -> bool:
    """Inside the columns' span; a title in a larger font may run past their right edge."""
    tol = 2 * size
    left, right = columns[0].x0 - tol, columns[-1].x1 + tol
    if line.x0 < left or line.x0 > columns[-1].x1:
        return False
    return line.x1 <= right or line.size >= 1.2 * size


# ---------------------------------------------------------------------------------------------
# 3. Widgets: menus, share buttons, player controls


def site_rows(lines: Sequence[TextLine], columns: Sequence[Column], size: float) -> list[TextLine]:
    """The lines of the main area, without the bars above the text that run past it: a site's
    top bar (logo ... 로그인) spans the whole page, the article's rows stay inside its columns."""
    inside = [t for t in lines if in_main_area(t, columns, size)]
    body = [t.y0 for t in inside if t.chars > SHORT and t.size <= 1.1 * size]
    first = min(body, default=float("inf"))
    kept: list[TextLine] = []
    for row in rows(lines):
        mine = [t for t in row if in_main_area(t, columns, size)]
        bar = row[0].y1 < first and len(mine) < len(row) and not any(t.chars > SHORT for t in row)
        if bar and all(abs(t.size - size) > 0.1 * size for t in mine):
            continue  # a logo and links in and out of the area, above the text: a bar across the page
        kept.extend(mine)
    return kept


def drop_widgets(lines: Sequence[TextLine]) -> list[TextLine]:
    """Rows of three or more fragments (menus, share buttons), rows of player controls,
    breadcrumbs (문화 > 문화일반), lone player times and lines of symbols only."""
    kept: list[TextLine] = []
    for row in rows(lines):
        fragments = [t for t in row if t.chars <= SHORT]
        if len(row) >= 3 and len(fragments) == len(row):
            continue
        if _PLAYER.match(" ".join(t.text for t in row)):
            continue
        kept.extend(
            t for t in row if not (_PLAYER.match(t.text) or _SYMBOLS.match(t.text) or _CRUMBS.match(t.text))
        )
    return kept


# ---------------------------------------------------------------------------------------------
# 5. Reading order and paragraphs


def reading_order(
    lines: Sequence[TextLine],
    tables: Sequence[Table],
    columns: Sequence[Column],
    size: float,
    spacing: Spacing,
) -> list[list[list[TextLine]] | Table]:
    """The page as units in reading order: a column's rows within a band, or a table.

    A band ends at a line no single column holds (a title, a full-width paragraph) or at a
    table; within a band the columns are read left to right. A column's rows above every other
    column's text (a heading over both) come first, and its rows below them that start a new
    paragraph (a caption under both) come after the band's columns, unless the column's text
    runs on into the next column.
    """
    tol = 2 * size
    if len(columns) < 2:
        breaks: list[tuple[float, float, list[TextLine] | Table]] = [(t.y0, t.y1, t) for t in tables]
    else:
        spanning = [r for r in rows(lines) if not _one_column(r, columns, tol)]
        breaks = [(r[0].y0, max(t.y1 for t in r), r) for r in spanning] + [(t.y0, t.y1, t) for t in tables]
    breaks.sort(key=_y)
    broken = {id(t) for _, _, unit in breaks if isinstance(unit, list) for t in unit}
    held = [t for t in lines if id(t) not in broken]
    units: list[list[list[TextLine]] | Table] = []
    top = float("-inf")
    for y0, y1, unit in [*breaks, (float("inf"), float("inf"), None)]:
        band = [t for t in held if top <= t.y0 < y0]
        per_column = (
            [rows([t for t in band if c.holds(t, tol)]) for c in columns]
            if len(columns) > 1
            else [rows(band)]
        )
        units.extend(_band_units([r for r in per_column if r], spacing))
        if unit is not None:
            units.append([unit] if isinstance(unit, list) else unit)
        top = y1
    return units


def _band_units(per_column: list[list[list[TextLine]]], spacing: Spacing) -> list[list[list[TextLine]]]:
    if len(per_column) < 2:
        return per_column
    before: list[list[TextLine]] = []
    after: list[list[TextLine]] = []
    middle: list[list[list[TextLine]]] = []
    for i, column_rows in enumerate(per_column):
        others = [t for j, c in enumerate(per_column) if j != i for r in c for t in r]
        first, last = min(t.y0 for t in others), max(t.y1 for t in others)
        lead = 0
        while lead < len(column_rows) and column_rows[lead][0].y1 < first:
            lead += 1
        before.extend(column_rows[:lead])
        column_rows = column_rows[lead:]
        if i < len(per_column) - 1:
            tail = len(column_rows)
            while tail > 0 and column_rows[tail - 1][0].y0 > last:
                tail -= 1
            right = max(merge_row(r).x1 for r in column_rows) if column_rows else 0.0
            last_row = merge_row(column_rows[-1]) if column_rows else None
            runs_on = last_row is not None and _full(last_row, None, right)  # into the next column
            for k in range(max(tail, 1), len(column_rows) if not runs_on else 0):
                above, below = merge_row(column_rows[k - 1]), merge_row(column_rows[k])
                if below.y0 - above.y1 > _gap_limit(above, spacing):  # a new paragraph
                    after.extend(column_rows[k:])
                    column_rows = column_rows[:k]
                    break
        if column_rows:
            middle.append(column_rows)
    return [u for u in [sorted(before, key=lambda r: r[0].y0), *middle, after] if u]


def _y(item: tuple[float, float, object]) -> float:
    return item[0]


def _one_column(row: Sequence[TextLine], columns: Sequence[Column], tol: float) -> bool:
    return all(any(c.holds(t, tol) for c in columns) for t in row)


def paragraphs(
    column_rows: Sequence[Sequence[TextLine]],
    right: float,
    spacing: Spacing,
    usage: Usage | None = None,
    spaces_only: bool = False,
) -> list[tuple[str, bool, TextLine]]:
    """Rows joined into paragraphs: (text, open, last row) where ``open`` says the last row ran
    to the edge.

    A row continues the paragraph when the previous row ran to ``right`` (its next word would
    not have fitted), the gap between them is about the ``spacing`` of lines, and the size agrees.
    ``usage``: how the document writes its words within lines, for a break inside a word;
    ``spaces_only``: the document breaks its lines between words only (``breaks_at_spaces``).
    """
    out: list[tuple[str, bool, TextLine]] = []
    prev: TextLine | None = None
    for row in column_rows:
        line = merge_row(row)
        if prev is not None and out and _continues(prev, line, right, spacing):
            text = out[-1][0]
            fitted = spaces_only or not at_edge(prev, line.text, right)
            out[-1] = (text + _glue(text, line.text, usage, fitted) + line.text, False, line)
        else:
            out.append((line.text, False, line))
        prev = line
    if out and prev is not None:
        out[-1] = (out[-1][0], _full(prev, None, right), prev)
    return out


HANGUL_EM = 1.0  # a Hangul syllable's width, in em, at most (NanumGothic's: 0.94)
_NO_START = ".,?!:;%)]}>…·」』〉》"  # marks a line cannot start with: they go with the piece before
_QUOTES = "'\"‘’“”"  # no break before or after a quote (Unicode's line breaking, class QU)


def piece_width(text: str) -> float:
    """The width, in em, of the piece a line starts with, the least a browser moves to the next
    line: a syllable with the marks that cannot start a line after it, through quotes and a
    hyphen (``다.``, ``양"이``, ``카-``), a Latin word or a number (``ROM``, ``.1999``)."""
    width = 0.0
    for i, c in enumerate(text):
        prev = text[i - 1] if i else ""
        latin = (
            c.isascii()
            and c.isalnum()
            and (prev.isascii() and prev.isalnum() or prev in ".," and c.isdigit())
        )
        if c == " " or i and not (c in _NO_START or c in _QUOTES or c == "-" or prev in _QUOTES or latin):
            break
        width += HANGUL_EM if unicodedata.east_asian_width(c) in "WF" else 0.55
    return width


def at_edge(prev: TextLine, nxt: str, right: float) -> bool:
    """Whether ``prev`` ran to the column's edge ``right``: the first piece of the next line
    (``piece_width``) would not have fitted after it. Where it would have, the browser broke
    the line at a space, not inside a word (a browser breaks Korean between any two syllables)."""
    return right - prev.x1 < piece_width(nxt) * prev.size


def _full(prev: TextLine, nxt: TextLine | None, right: float) -> bool:
    """Whether ``prev`` ran to the column's edge: the next line's first word would not have fitted
    after it (browsers break Hangul anywhere, so a broken word's tail counts as a word)."""
    if nxt is None:  # at the page's foot: the next page's first word is not known here
        return prev.x1 >= right - 4 * prev.size
    word = nxt.text.split(" ")[0]
    need = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in word) * prev.size
    return prev.x1 + need + 0.3 * prev.size >= right - prev.size


def _continues(prev: TextLine, line: TextLine, right: float, spacing: Spacing) -> bool:
    if abs(line.size - prev.size) > 0.1 * prev.size or line.page != prev.page:
        return False
    return line.y0 - prev.y1 <= _gap_limit(prev, spacing) and _full(prev, line, right)


def _glue(left: str, right: str, usage: Usage | None, fitted: bool = False) -> str:
    # Chinese and Japanese take no space at a line break; between two Hangul syllables the
    # document's own spelling or Kiwi tells a break inside a word (browsers break Korean
    # anywhere) from one between words, and where the line ended short of its edge, a space.
    if left and right and is_cjk(left[-1]) and is_cjk(right[0]):
        return ""
    return glue(left, right, usage, fitted)


Spacing = Mapping[float, float]  # font size -> the gap between the lines of a paragraph


def line_spacing(pages: Sequence[Sequence[TextLine]], columns: Sequence[Column], size: float) -> Spacing:
    """The gap between lines inside a paragraph, per font size over the whole document: the lower
    quartile of the gaps between a column's rows (a short page may have more paragraph gaps)."""
    gaps: dict[float, list[float]] = {}
    for lines in pages:
        for column in columns:
            merged = [merge_row(r) for r in rows([t for t in lines if column.holds(t, 2 * size)])]
            for a, b in zip(merged, merged[1:], strict=False):
                if round(a.size, 1) == round(b.size, 1) and 0 <= b.y0 - a.y1 < 3 * a.height:
                    gaps.setdefault(round(a.size, 1), []).append(b.y0 - a.y1)
    return {k: sorted(v)[(len(v) - 1) // 4] for k, v in gaps.items()}


def _gap_limit(line: TextLine, spacing: Spacing) -> float:
    """The most a row may stand below the previous one and still continue its paragraph."""
    return spacing.get(round(line.size, 1), 0.3 * line.height) + 0.4 * line.height


def page_text(
    units: Sequence[list[list[TextLine]] | Table],
    columns: Sequence[Column],
    size: float,
    spacing: Spacing,
    usage: Usage | None = None,
    spaces_only: bool = False,
) -> list[str]:
    """A page's lines: one paragraph or table row per line, a blank line between paragraphs; a
    paragraph open at a column's foot runs on into the next column, and one open at the page's
    foot ends with a space (the cleaner joins it to the next page's first line)."""
    out: list[str] = []
    last_open = False
    tail: tuple[TextLine, float] | None = None  # the open paragraph's last row, and its column's edge
    for unit in units:
        if isinstance(unit, Table):
            out.extend(["", *table_lines(unit)])
            last_open = False
            continue
        right = _right_edge(unit, columns, size)
        for n, (text, is_open, last) in enumerate(paragraphs(unit, right, spacing, usage, spaces_only)):
            if n == 0 and last_open:
                fitted = spaces_only or tail is not None and not at_edge(tail[0], text, tail[1])
                out[-1] += _glue(out[-1], text, usage, fitted) + text
            else:
                out.extend(["", text])
            last_open = is_open and not ends_sentence(text)
            tail = (last, right)
    if last_open and out:
        out[-1] += " "
    return out[1:] if out and out[0] == "" else out


def _right_edge(unit: Sequence[Sequence[TextLine]], columns: Sequence[Column], size: float) -> float:
    first = unit[0][0]
    for column in columns:
        if column.holds(first, 2 * size):
            return column.x1
    return max(t.x1 for r in unit for t in r)


def layout_pages(
    pdf: Any, pages: list[list[TextLine]], grids: Mapping[int, Sequence[Grid]] | None = None
) -> list[list[str]]:
    """Every page's text by its layout (see the module's docstring); ``grids``: the ruled tables
    seen in the images of the pages read by OCR, by 0-based page."""
    pages = drop_print_furniture(pages, [page.rect.height for page in pdf])
    everything = [t for lines in pages for t in lines]
    columns = main_columns(everything)
    if not columns:
        return [[t.text for t in lines] for lines in pages]
    size = body_size(everything)
    chrome = Chrome(columns, 2 * size, site_names((pdf.metadata or {}).get("title") or ""))
    kept: list[tuple[list[TextLine], list[Table]]] = []
    for number, (page, lines) in enumerate(zip(pdf, pages, strict=True)):
        lines = site_rows(lines, columns, size)
        tables = find_tables(page, lines, (grids or {}).get(number, ()))
        lines = drop_widgets([t for t in lines if not any(tb.holds(t) for tb in tables)])
        kept.append((chrome.drop(lines), tables))
    spacing = line_spacing([lines for lines, _ in kept], columns, size)
    usage = Usage.of(t.text for lines, _ in kept for t in lines)  # the words no break split
    units = [reading_order(lines, tables, columns, size, spacing) for lines, tables in kept]
    only = breaks_at_spaces(units, columns, size, spacing)
    return [page_text(u, columns, size, spacing, usage, only) for u in units]


SPACES_ONLY = 0.25  # of a document's line breaks between two syllables, with room for the next one
SPACES_SEEN = 4  # ... and at least this many


def breaks_at_spaces(
    pages: Sequence[Sequence[list[list[TextLine]] | Table]],
    columns: Sequence[Column],
    size: float,
    spacing: Spacing,
) -> bool:
    """Whether the document breaks its lines between words only (CSS ``word-break: keep-all``, as
    many Korean sites set it): a quarter or more of its line breaks between two syllables had
    room for the next line's first syllable (``at_edge``). Breaking between any two syllables,
    only a real space leaves that room, one narrower than a space and a syllable (KorQuAD's dev
    articles printed, ``bench.pdf_breaks``: at most 7% of a document's breaks; with keep-all,
    17-69%, and no word split between two syllables)."""
    seen = room = 0
    for units in pages:
        for unit in units:
            if isinstance(unit, Table):
                continue
            right = _right_edge(unit, columns, size)
            lines = [merge_row(r) for r in unit]
            for prev, line in zip(lines, lines[1:], strict=False):
                if (
                    is_hangul(prev.text[-1])
                    and is_hangul(line.text[0])
                    and _continues(prev, line, right, spacing)
                ):
                    seen += 1
                    room += not at_edge(prev, line.text, right)
    return room >= SPACES_SEEN and room >= SPACES_ONLY * seen
