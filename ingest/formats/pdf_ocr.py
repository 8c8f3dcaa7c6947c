"""OCR for PDF pages without a text layer: Tesseract (Debian's ``tesseract-ocr`` with the
``kor``, ``chi_sim`` and ``eng`` data), page by page.

A page is read by OCR only when it draws no text but shows an image (a scan); a mixed PDF keeps
the text layer of its other pages. The page is rendered at ``DPI`` and Tesseract's words come
back as lines with their boxes (in PDF points), so OCR'd text goes through the same layout
steps and cleanup as a text layer.
"""

from __future__ import annotations

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
from .pdf_lines import TextLine

DPI = 300
# Korean alone: on the printed corpus pages adding eng or chi_sim read more Hangul words as
# Latin or Han than it read their Latin and Han right (CER 5.4% kor, 8.4% kor+eng, 8.3% with chi_sim)
LANGUAGES = ("kor",)
SPACE = 0.29  # a blank this many line heights wide before a word is a space (see _spaces)
Word = tuple[int, int, int, int, str]  # left, top, width, height (pixels), text
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-kor tesseract-ocr-chi-sim"


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


def ocr_lines(page: Any, number: int, langs: Sequence[str], budget: Budget) -> list[TextLine]:
    """The page rendered at ``DPI`` and read by Tesseract: one line per piece of a line it found
    (``_pieces``), spaced as the image is, boxes in PDF points; the document's time limit bounds the run."""
    pixmap = page.get_pixmap(dpi=DPI, colorspace="gray")
    doing = f"reading page {number + 1:,} by OCR"
    try:
        run = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "+".join(langs), "--psm", "4", "tsv"],
            input=pixmap.tobytes("png"),
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
    scale = 72 / DPI
    x, y = page.rect.x0, page.rect.y0
    ink = _ink(pixmap)
    words: dict[tuple[str, str, str], list[Word]] = {}
    for row in run.stdout.decode("utf-8", errors="replace").splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or cells[0] != "5" or _junk(cells[11].strip(), float(cells[10])):
            continue
        left, top, width, height = (int(v) for v in cells[6:10])
        words.setdefault((cells[2], cells[3], cells[4]), []).append((left, top, width, height, cells[11]))
    lines = [
        _line(piece, number, scale, x, y) for key, ws in words.items() for piece in _pieces(sorted(ws), ink)
    ]
    return _one_size(lines)


def _ink(pixmap: Any) -> Any:
    """The rendered page as a boolean array, True where a pixel is ink: darker than Otsu's
    threshold of the page's grey levels (the one that best splits them in two)."""
    import numpy as np

    gray = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width)
    counts = np.bincount(gray.ravel(), minlength=256).astype(float)
    levels = np.arange(256)
    below = np.cumsum(counts)
    mass = np.cumsum(counts * levels)
    above = below[-1] - below
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * below / below[-1] - mass) ** 2 / (below * above)
    return gray <= int(np.nanargmax(between))


def _pieces(words: list[Word], ink: Any) -> list[list[tuple[str, Word]]]:
    """A Tesseract line as pieces, each word with what goes before it ("" for the first).

    A piece ends where the gap between word boxes is wider than two word heights: with one
    column assumed (``--psm 4``), a line runs across a page's columns, its side column and its
    print header. Within a piece, the spaces come from the image (``_spaces``)."""
    word_height = statistics.median(w[3] for w in words)
    pieces = [[words[0]]]
    for word in words[1:]:
        last = pieces[-1][-1]
        if word[0] - (last[0] + last[2]) > 2 * word_height:
            pieces.append([word])
        else:
            pieces[-1].append(word)
    return [list(zip(_spaces(piece, ink), piece, strict=True)) for piece in pieces]


def _spaces(words: list[Word], ink: Any) -> list[str]:
    """What goes before each word: Tesseract's Korean model ends a word at nearly every
    syllable (``인 공 지능``), so a space is kept only where the image has one. Its word widths
    are unreliable (a syllable 4 or 180 pixels wide), its left edges are not: the blank before a
    word is the widest run of empty pixel columns, across the words' usual height, that ends
    within 0.3 heights of the word's left edge; one of ``SPACE`` heights is a space (on the
    corpus's pages the blank between two syllables of a word is 0-0.25 heights, a space
    0.33-0.6). The usual height, not the line's box: a line running across two columns whose
    rows do not align has a box as tall as two rows."""
    top = int(statistics.median(w[1] for w in words))
    bottom = int(statistics.median(w[1] + w[3] for w in words))
    height = max(1, bottom - top)
    left, right = words[0][0], max(w[0] + w[2] for w in words)
    blank = ~ink[top:bottom, left:right].any(axis=0)
    runs: list[tuple[int, int]] = []  # (end, length) of each blank run, in page pixels
    start = None
    for i, empty in enumerate([*blank.tolist(), False]):
        if empty and start is None:
            start = i
        elif not empty and start is not None:
            runs.append((left + i, i - start))
            start = None
    out = [""]
    for word in words[1:]:
        before = max((n for end, n in runs if abs(end - word[0]) <= 0.3 * height), default=0)
        out.append(" " if before >= SPACE * height else "")
    return out


def _one_size(lines: list[TextLine]) -> list[TextLine]:
    """Lines within 20% of the page's usual size get that size: a paragraph's lines must agree
    (OCR'd heights vary with the glyphs), headings and small print keep their own."""
    if not lines:
        return lines
    usual = statistics.median(t.size for t in lines)
    return [replace(t, size=usual) if abs(t.size - usual) <= 0.2 * usual else t for t in lines]


_JAMO = re.compile("[\u3131-\u318e]")


def _junk(word: str, confidence: float) -> bool:
    """Nothing, a word Tesseract barely believes, or loose jamo (a speck read as ㄴ, ㅋ)."""
    return not word or confidence < 20 or len(_JAMO.findall(word)) * 2 >= len(word)


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
