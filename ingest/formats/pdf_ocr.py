"""OCR for PDF pages without a text layer: Tesseract (Debian's ``tesseract-ocr`` with the
``kor`` data, and ``eng`` and ``chi_tra`` for the Latin and Han inside Korean), page by page.

A page is read by OCR only when it draws no text but shows an image (a scan); a mixed PDF keeps
the text layer of its other pages. The page is rendered at ``DPI``; the grids of its ruled
tables are found in the image and their rules erased; the page is cut into blocks (columns,
a side column, the print header), each read by Tesseract; the words its Korean model doubts are
read again with eng and chi_tra (``pdf_ocr_second``), as are those whose holes are not their
ink's; quotes are written curly or straight as their ink is shaped, and a blob shaped as a
triangle, diamond, square or disc is that bullet (``pdf_ocr_shapes``); and
Tesseract's words come back as lines with their boxes (in PDF points), spaced where the image
shows a space (a narrow blank only where the spacing repair reads two words), so OCR'd text
goes through the same layout steps, table rows and cleanup as a text layer.
``python -m bench.pdf_quality`` measures it.
"""

from __future__ import annotations

import functools
import itertools
import re
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from ..errors import UnreadableDocument
from ..limits import Budget
from ..spacing import glue
from . import pdf_ocr_second, pdf_ocr_shapes
from .base import optional_import
from .pdf_lines import TextLine
from .pdf_tables import Grid

DPI = 300
# The page is read with Korean alone: on the printed corpus pages adding eng or chi_sim read more
# Hangul words as Latin or Han than it read their Latin and Han right (000's first news pages,
# whole-page CER 20.9% and 10.1% kor, 22.0% and 13.5% kor+eng, before the spaces came from the
# image). eng and chi_tra then read again only the words kor doubts (pdf_ocr_second).
LANGUAGES = ("kor", pdf_ocr_second.LATIN, pdf_ocr_second.HAN)
COLUMN_GAP = 16 * DPI // 72  # a blank this wide (16 pt) from top to bottom of a block parts columns
LINE_GAP = 3 * DPI // 72  # a blank this high (3 pt) across a block parts its lines (see _regions)
SIZE_STEP = 1.8  # a line this many times taller or shorter than the one before starts a block
MARGIN = 24  # pixels of white around each block given to Tesseract
RULE_LENGTH = 100  # pixels of ink in a row (24 pt at 300 dpi): a rule, not a stroke of a glyph
RULE_WIDTH = 6  # pixels: the most a rule is thick
PIECE = 0.8  # a blank this many word heights wide parts a line into pieces (see _pieces)
SPACE = 0.29  # a blank this many word heights wide before a word is a space (see _blanks)
UNSURE = 0.4  # ... and below this, only where the words around it are two (``_unsure_spaces``)
Word = tuple[int, int, int, int, str]  # left, top, width, height (pixels), text
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-kor tesseract-ocr-chi-tra"


def needs_ocr(page: Any, lines: Sequence[TextLine]) -> bool:
    """No text drawn, but an image shown: a scanned page."""
    return not lines and bool(page.get_images(full=False))


@cache
def languages() -> tuple[str, ...]:
    """The wanted languages Tesseract has data for (``tesseract --list-langs``); () without it."""
    binary = shutil.which("tesseract")
    if binary is None:
        return ()
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=False)
    have = set(listed.stdout.split())
    return tuple(lang for lang in LANGUAGES if lang in have)


def check_available(name: str) -> tuple[str, ...]:
    """The languages to OCR with, or UnreadableDocument (422) naming what to install."""
    found = languages()
    if "kor" not in found:
        missing = "Tesseract is not installed" if not found else "Tesseract has no Korean data"
        raise UnreadableDocument(
            f"{name}: the PDF has pages without a text layer (scanned or image-only) and OCR is "
            f"not available on this server ({missing}: {INSTALL}); OCR the file first"
        )
    return found


def ocr_lines(
    page: Any, number: int, langs: Sequence[str], budget: Budget
) -> tuple[list[TextLine], list[Grid]]:
    """The page rendered at ``DPI``, its ruled tables found (``ruled_grids``) and their rules
    erased (Tesseract misses cell text between rules: "매출"), cut into its blocks
    (``_regions``) and each read by Tesseract: one line per piece of a line it found
    (``_pieces``), spaced as the image is, boxes in PDF points; and the tables' grids. The
    document's time limit bounds the run."""
    import numpy as np

    pymupdf = optional_import("pymupdf", "pymupdf")
    pixmap = page.get_pixmap(dpi=DPI, colorspace="gray")
    gray = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width).copy()
    ink = _ink(gray)
    grids = ruled_grids(ink)
    half = RULE_WIDTH // 2 + 1
    tables: list[Box] = []
    for xs, ys in grids:
        for at in ys:
            gray[at - half : at + half, xs[0] - half : xs[-1] + half] = 255
        for at in xs:
            gray[ys[0] - half : ys[-1] + half, at - half : at + half] = 255
        tables.append((xs[0], ys[0], xs[-1], ys[-1]))
    ink = _ink(gray)
    rest = ink.copy()
    for x0, y0, x1, y1 in tables:  # a table is read as one block, the rest of the page around it
        rest[y0:y1, x0:x1] = False
    reads: list[pdf_ocr_second.Read] = []
    for region, (x0, y0, x1, y1) in enumerate(
        [*tables, *_regions(rest, (0, 0, pixmap.width, pixmap.height))]
    ):
        crop = np.full((y1 - y0 + 2 * MARGIN, x1 - x0 + 2 * MARGIN), 255, dtype=np.uint8)
        crop[MARGIN:-MARGIN, MARGIN:-MARGIN] = gray[y0:y1, x0:x1]
        if region >= len(tables):
            crop[MARGIN:-MARGIN, MARGIN:-MARGIN][~rest[y0:y1, x0:x1] & ink[y0:y1, x0:x1]] = 255
        image = pymupdf.Pixmap(pymupdf.csGRAY, crop.shape[1], crop.shape[0], crop.tobytes(), False)
        png = image.tobytes("png")
        x0, y0 = x0 - MARGIN, y0 - MARGIN
        # a block is one uniform block of text (--psm 6): over the 22 rasterised pages of the
        # sample corpus 4.15% CER against 4.93% as a column of lines of varying sizes (--psm 4)
        for row in _tesseract(png, langs[:1], "6", number=number, budget=budget).splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) != 12 or cells[0] != "5" or not cells[11].strip():
                continue
            left, top, width, height = (int(v) for v in cells[6:10])
            key = (region, cells[2], cells[3], cells[4])
            reads.append((key, (left + x0, top + y0, width, height, cells[11]), float(cells[10])))
    again = functools.partial(_tesseract, number=number, budget=budget)
    reads = pdf_ocr_second.second_readings(gray, reads, langs, again, ink)
    syllables = [w[3] for _, w, _ in reads if _SYLLABLE.search(w[4])]
    usual = statistics.median(syllables) if syllables else 0
    reads = pdf_ocr_shapes.curly_quotes(_middle_dots(reads, usual, ink), usual, ink)
    reads = pdf_ocr_shapes.bullets(reads, usual, ink)
    words: dict[tuple[int, str, str, str], list[Word]] = {}
    for key, word, confidence in reads:
        tall = word[3] >= 0.8 * usual
        if not _junk(word[4].strip(), confidence, tall) and not _speck(word, confidence, usual):
            words.setdefault(key, []).append(word)
    scale = 72 / DPI
    x, y = page.rect.x0, page.rect.y0
    lines = [_line(piece, number, scale, x, y) for ws in words.values() for piece in _pieces(sorted(ws), ink)]
    points = [Grid(tuple(v * scale + x for v in xs), tuple(v * scale + y for v in ys)) for xs, ys in grids]
    return _one_size(lines), points


def _tesseract(png: bytes, langs: Sequence[str], psm: str, *, number: int, budget: Budget) -> str:
    """Tesseract's TSV of one image, within the document's time limit."""
    doing = f"reading page {number + 1:,} by OCR"
    try:
        run = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "+".join(langs), "--psm", psm, "tsv"],
            input=png,
            capture_output=True,
            timeout=max(1.0, budget.limits.seconds - budget.spent() + 0.5),
            check=False,
        )
    except subprocess.TimeoutExpired:
        budget.check_time(doing)  # past the limit: TooLarge, naming it
        raise UnreadableDocument(f"{budget.name}: OCR stopped at the time limit while {doing}") from None
    if run.returncode != 0:
        reason = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise UnreadableDocument(f"{budget.name}: OCR failed while {doing} (Tesseract: {reason[0][:200]})")
    return run.stdout.decode("utf-8", errors="replace")


def _ink(gray: Any) -> Any:
    """True where a pixel is ink: darker than Otsu's threshold of the page's grey levels (the
    one that best splits them in two); nothing on a page of one grey level."""
    import numpy as np

    counts = np.bincount(gray.ravel(), minlength=256).astype(float)
    levels = np.arange(256)
    below = np.cumsum(counts)
    mass = np.cumsum(counts * levels)
    above = below[-1] - below
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * below / below[-1] - mass) ** 2 / (below * above)
    between = np.where(np.isfinite(between), between, -1.0)
    if between.max() < 0:
        return np.zeros(gray.shape, dtype=bool)
    return gray <= int(between.argmax())


def ruled_grids(ink: Any) -> list[tuple[list[int], list[int]]]:
    """Ruled tables in the image, as the columns and the rows (pixels) their rules run along:
    horizontal rules of one left and right edge (three or more), crossed by vertical rules that
    run from the first to the last (three or more)."""
    across = _rules(ink)  # (position, start, end) in pixels
    down = _rules(ink.T)
    tol = 2 * RULE_WIDTH
    groups: dict[tuple[int, int], list[int]] = {}
    for at, start, end in across:
        key = next((k for k in groups if abs(k[0] - start) <= tol and abs(k[1] - end) <= tol), (start, end))
        groups.setdefault(key, []).append(at)
    grids = []
    for (start, end), ys in groups.items():
        if len(ys) < 3:
            continue
        xs = [at for at, top, bottom in down if start - tol <= at <= end + tol]
        xs = [at for at, top, bottom in down if at in xs and top <= ys[0] + tol and bottom >= ys[-1] - tol]
        if len(xs) >= 3:
            grids.append((xs, sorted(ys)))
    return grids


def _rules(ink: Any) -> list[tuple[int, int, int]]:
    """The image's horizontal rules: runs of ink at least ``RULE_LENGTH`` long in rows no more
    than ``RULE_WIDTH`` together, as (middle row, first column, after last column)."""
    import numpy as np

    found: list[tuple[int, int, int]] = []
    for row in np.flatnonzero(ink.sum(axis=1) >= RULE_LENGTH):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ink[row].view(np.int8), [0]])))
        runs = [
            (int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= RULE_LENGTH
        ]
        if runs:
            start, end = min(a for a, _ in runs), max(b for _, b in runs)
            if found and row - found[-1][0] <= RULE_WIDTH and abs(found[-1][1] - start) <= RULE_WIDTH:
                continue  # the same rule, a row further down
            found.append((int(row), start, end))
    return [(at + 1, start, end) for at, start, end in found]  # rules here are ~3 pixels thick


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (pixels)


def _regions(ink: Any, box: Box) -> list[Box]:
    """The page cut into blocks Tesseract can read one at a time (a recursive XY cut). Where
    blank columns at least ``COLUMN_GAP`` wide run through a block from top to bottom, its
    columns are cut apart. Else it is cut at the blank rows between its lines (``LINE_GAP``)
    into strips, and consecutive strips are put back together as long as together they keep
    the column gaps each has: a print header or a title across the columns ends a block, a
    line that stops short of a side column does not. Read whole, a page's rows across two
    columns whose lines do not align come back as one line, garbled or read twice. Nor are
    strips whose glyphs differ in height by ``SIZE_STEP`` or more put together
    (``_glyph_height``): a heading goes to a block of its own."""
    x0, y0, x1, y1 = box
    filled = ink[y0:y1, x0:x1].any(axis=0)
    cuts = _gaps(filled, COLUMN_GAP)
    if cuts:
        edges = [x0, *((x0 + a + x0 + b) // 2 for a, b in cuts), x1]
        return [r for a, b in itertools.pairwise(edges) for r in _regions(ink, (a, y0, b, y1))]
    rows = _gaps(ink[y0:y1, x0:x1].any(axis=1), LINE_GAP)
    edges = [y0, *((y0 + a + y0 + b) // 2 for a, b in rows), y1]
    blocks: list[tuple[int, int, Any]] = []  # top, bottom, which columns hold ink
    tall = 0  # the ink height of the last strip
    for top, bottom in itertools.pairwise(edges):
        strip = ink[top:bottom, x0:x1].any(axis=0)
        height = _glyph_height(ink[top:bottom, x0:x1]) if SIZE_STEP else 0
        # one size of text a block (--psm 6 reads a uniform block): a heading twice the body's
        # size read with its byline came back as noise (1.5 also parted body lines, Han from Hangul)
        alike = not (tall and height) or tall / SIZE_STEP <= height <= tall * SIZE_STEP  # 0: no height
        tall = height or tall
        if blocks and alike:
            joined = blocks[-1][2] | strip
            had = max(len(_gaps(blocks[-1][2], COLUMN_GAP)), len(_gaps(strip, COLUMN_GAP)))
            if len(_gaps(joined, COLUMN_GAP)) == had:
                blocks[-1] = (blocks[-1][0], bottom, joined)
                continue
        blocks.append((top, bottom, strip))
    if len(blocks) == 1:
        return [box]
    return [r for top, bottom, _ in blocks for r in _regions(ink, (x0, top, x1, bottom))]


def _glyph_height(ink: Any) -> int:
    """The height of a strip's tall glyphs: the 90th percentile of its blobs' heights (a strip
    may hold lines of two columns that do not align, each a line of the same size); 0 for none."""
    import numpy as np
    from scipy import ndimage

    blobs, count = ndimage.label(ink, structure=np.ones((3, 3)))
    if not count:
        return 0
    return int(np.percentile([rows.stop - rows.start for rows, _ in ndimage.find_objects(blobs)], 90))


def _gaps(filled: Any, least: int) -> list[tuple[int, int]]:
    """The runs of False in ``filled`` at least ``least`` long with True on both sides, as
    (first, after last) indexes."""
    import numpy as np

    at = np.flatnonzero(filled)
    wide = np.flatnonzero(np.diff(at) > least)
    return [(int(at[i]) + 1, int(at[i + 1])) for i in wide]


def _pieces(words: list[Word], ink: Any) -> list[list[tuple[str, Word]]]:
    """A Tesseract line as pieces, each word with what goes before it ("" for the first).

    A piece ends where the gap between word boxes is wider than two word heights: read as one
    block, a line runs across a page's columns, its side column and its
    print header. It also ends at a blank of ``PIECE`` heights in the image (``_blanks``): a
    menu's or share bar's items, which a text layer draws as lines of their own (how the
    layout steps know them), come back from Tesseract as one line. Within a piece, a blank of
    ``SPACE`` heights is a space."""
    word_height = statistics.median(w[3] for w in words)
    groups = [[words[0]]]
    for word in words[1:]:
        last = groups[-1][-1]
        if word[0] - (last[0] + last[2]) > 2 * word_height:
            groups.append([word])
        else:
            groups[-1].append(word)
    pieces: list[list[tuple[str, Word]]] = []
    for group in groups:
        for blank, word in zip(_blanks(group, ink), group, strict=True):
            if blank >= PIECE or blank < 0:
                pieces.append([("", word)])
            else:
                # no space inside quotes: a quote is narrow in its cell, so the blank between
                # it and the quoted word looks as wide as a space; a straight one opens where a
                # space or the line is before it
                space, last = pieces[-1][-1]
                opened = last[4] in ("'", '"') and (space == " " or len(pieces[-1]) == 1)
                quoted = opened or last[4].endswith(("‘", "“")) or word[4].startswith(("’", "”"))
                gap = " " if blank >= SPACE and not quoted else ""
                pieces[-1].append(("\t" if gap and blank < UNSURE else gap, word))
    return [_unsure_spaces(piece) for piece in pieces]


def _unsure_spaces(piece: list[tuple[str, Word]]) -> list[tuple[str, Word]]:
    """A blank of ``SPACE`` to ``UNSURE`` heights (marked by a tab) as the words around it read:
    Tesseract's boxes of some syllables leave such a blank inside a word (``인 식``, ``끌어올
    리는``), so there the spacing repair of line breaks decides (``spacing.glue``: a space
    unless the two read as one word)."""
    out: list[tuple[str, Word]] = []
    for i, (gap, word) in enumerate(piece):
        if gap == "\t":
            left = "".join(g + w[4] for g, w in out)
            right = "".join(g.replace("\t", " ") + w[4] for g, w in piece[i + 1 :])
            gap = glue(left, word[4] + right)
        out.append((gap, word))
    return out


def _blanks(words: list[Word], ink: Any) -> list[float]:
    """The blank before each word, in the words' usual heights (-1 for the first).

    Tesseract's Korean model ends a word at nearly every syllable (``인 공 지능``), so a space
    is kept only where the image has one. Its word widths are unreliable (a syllable 4 or 180
    pixels wide), and read as one block (``--psm 6``) so are its left edges (생 of 이곳의 생산액은
    boxed from the middle of the syllable): the blank before a word is the widest run of empty
    pixel columns, across the words' usual height, that ends after the previous word's left edge
    (half a height after it, or 0.3 heights before this word's, whichever is first) and within
    0.3 heights past this word's left edge. On the corpus's pages the blank between two
    syllables of a word is 0-0.25 heights, a space 0.33-0.6. The usual height, not the line's
    box: a line running across two columns whose rows do not align has a box as tall as two
    rows."""
    top = int(statistics.median(w[1] for w in words))
    bottom = int(statistics.median(w[1] + w[3] for w in words))
    height = max(1, bottom - top)
    left, right = words[0][0], max(w[0] + w[2] for w in words)
    blank = ~ink[top:bottom, left:right].any(axis=0)
    # (end, length) of each blank run, in page pixels
    runs = [(left + b, b - a) for a, b in pdf_ocr_shapes.true_runs(blank)]
    out = [-1.0]
    for last, word in itertools.pairwise(words):
        after = min(last[0] + 0.5 * height, word[0] - 0.3 * height)
        out.append(max((n for end, n in runs if after <= end <= word[0] + 0.3 * height), default=0) / height)
    return out


def _one_size(lines: list[TextLine]) -> list[TextLine]:
    """Lines within 20% of the page's usual size get that size: a paragraph's lines must agree
    (OCR'd heights vary with the glyphs), headings and small print keep their own."""
    if not lines:
        return lines
    usual = statistics.median(t.size for t in lines)
    return [replace(t, size=usual) if abs(t.size - usual) <= 0.2 * usual else t for t in lines]


_JAMO = re.compile("[\u3131-\u318e]")


def _junk(word: str, confidence: float, tall: bool = False) -> bool:
    """Nothing, a word Tesseract barely believes, or loose jamo (a speck read as ㄴ, ㅋ). Hangul
    from ink as tall as a syllable is kept however unsure (a rare syllable, 뜩 or 팎): read
    wrong it is one edit, dropped it is one too."""
    unsure = confidence < 20 and not (tall and re.fullmatch("[\uac00-\ud7a3]+", word))
    return not word or unsure or len(_JAMO.findall(word)) * 2 >= len(word)


_SYLLABLE = re.compile("[\uac00-\ud7a3]")


def _speck(word: Word, confidence: float, usual: float) -> bool:
    """Hangul read unsurely from ink less than half as tall as the page's usual Hangul word: a
    syllable fills the height of its line, so this is a rule's end, a bullet or an icon read as 느
    or 번 (a particle on its own, 을, can be as short: it is read surely)."""
    short = word[3] < 0.5 * usual and bool(_SYLLABLE.search(word[4]))
    return short and confidence < pdf_ocr_second.DOUBT


_MARKS = frozenset("-:ㆍ·*.+~")  # what kor reads a middle dot as


def _middle_dots(reads: list[pdf_ocr_second.Read], usual: float, ink: Any) -> list[pdf_ocr_second.Read]:
    """Middle dots written as such. kor's data has no U+00B7: it reads ``·`` as ``ㆍ`` (U+318D,
    an obsolete vowel letter modern Korean writes only for the dot), ``-``, ``:`` or ``*``. A
    lone mark is a middle dot by its shape: a blob at most a quarter of the page's usual
    syllable height either way, no more than twice as wide as high or as high as wide (a hyphen
    is three times as wide, a colon four times as high), its middle in the middle third of its
    line's syllables (a full stop sits on the baseline). The shape is the ink's that the word's
    box touches (``_inked``: Tesseract's box of a mark may be larger or smaller than the mark)."""
    lines: dict[Any, list[Word]] = {}
    for key, word, _ in reads:
        if _SYLLABLE.search(word[4]):
            lines.setdefault(key, []).append(word)
    out = []
    for key, word, confidence in reads:
        text = word[4].replace("ㆍ", "·")
        if text.strip() in _MARKS and key in lines and _dot(_inked(word, ink, int(usual)), lines[key], usual):
            text, confidence = "·", max(confidence, pdf_ocr_second.DOUBT)  # kept, however unsure
        out.append((key, (*word[:4], text), confidence))
    return out


def _inked(word: Word, ink: Any, reach: int) -> Word | None:
    """The box of the ink Tesseract's box of a word touches (or passes within 2 pixels of):
    every blob of connected ink pixels, whole as far as ``reach`` pixels around the box (Tesseract's box may
    hold part of a mark, or parts of its neighbours)."""
    from scipy import ndimage

    left, top, width, height, text = word
    x0, y0 = max(0, left - reach), max(0, top - reach)
    window = ink[y0 : top + height + reach, x0 : left + width + reach]
    blobs, _ = ndimage.label(window)
    near = blobs[max(0, top - y0 - 2) : top - y0 + height + 2, max(0, left - x0 - 2) : left - x0 + width + 2]
    touched = set(near.ravel().tolist()) - {0}
    if not touched:
        return None
    ys, xs = ndimage.find_objects(blobs)[min(touched) - 1] if len(touched) == 1 else _union(blobs, touched)
    return (x0 + xs.start, y0 + ys.start, xs.stop - xs.start, ys.stop - ys.start, text)


def _union(blobs: Any, labels: set[int]) -> tuple[slice, slice]:
    import numpy as np

    ys, xs = np.nonzero(np.isin(blobs, list(labels)))
    return slice(int(ys.min()), int(ys.max()) + 1), slice(int(xs.min()), int(xs.max()) + 1)


def _dot(word: Word | None, line: list[Word], usual: float) -> bool:
    if word is None:
        return False
    small, large = sorted(word[2:4])
    if not 0 < large <= 0.25 * usual or large > 2 * small:
        return False
    top = statistics.median(w[1] for w in line)
    bottom = statistics.median(w[1] + w[3] for w in line)
    middle = (word[1] + word[3] / 2 - top) / max(1, bottom - top)
    return 1 / 3 <= middle <= 2 / 3


def _line(piece: list[tuple[str, Word]], number: int, scale: float, x: float, y: float) -> TextLine:
    found = [w for _, w in piece]
    x0 = min(w[0] for w in found) * scale + x
    y0 = min(w[1] for w in found) * scale + y
    x1 = max(w[0] + w[2] for w in found) * scale + x
    y1 = max(w[1] + w[3] for w in found) * scale + y
    text = "".join(space + w[4] for space, w in piece)
    # a size from the words' median height (a Hangul syllable fills ~0.9 em), whole points so
    # that the lines of a paragraph agree
    size = round(statistics.median(w[3] for w in found) * scale / 0.9, 1)
    return TextLine(number, x0, y0, x1, y1, size, text)
