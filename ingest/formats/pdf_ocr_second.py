"""A second reading of the words Debian's Korean model cannot read: Latin and Han inside Korean.

Tesseract's ``kor`` data reads Latin and Han as Hangul or as noise (``(www.khan.co.kr)`` as
``(^/0//.60230106\\5.0007)``, ``(杭州)`` as ``(@#\\)``, ``(VR)`` as ``(\\')``), and reading the
page with ``kor+eng`` reads more Hangul as Latin than Latin right. So the page is read with
``kor`` alone, and only the words it doubts (``doubtful``: a low confidence, or no Hangul in a
reading that is not a number) are read again, all of a page's at once, from one image that
stacks their crops: with ``eng`` and with ``chi_tra`` (Korean writes Han in its traditional
forms). A word takes the other reading only when that one is what its model reads well (Latin
letters, Han characters) and surer than the Korean one (``choose``). kor also reads Latin surely
as Hangul or digits (``AI`` as ``시`` at 93%, ``CD`` as ``00``): a word whose characters enclose
another number of holes than its ink (``pdf_ocr_shapes``) is read again too (``misshapen``), and
the holes then choose between the readings; a 시 as short as capitals that begins a longer word
(``AI타운`` read as ``시타운``) is split off first (``latin_heads``).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from .pdf_ocr_shapes import holes, ink_holes, true_runs

Word = tuple[int, int, int, int, str]  # left, top, width, height (pixels), text
Read = tuple[Any, Word, float]  # the Tesseract line's key, the word, its confidence
# (png, langs, psm) -> Tesseract's TSV
Tesseract = Callable[[bytes, Sequence[str], str], str]

LATIN, HAN = "eng", "chi_tra"
DOUBT = 60.0  # a Korean reading below this confidence is doubted
SURE = 80.0  # the least confidence of an eng reading that replaces a Korean one
SURE_SHAPE = 40.0  # ... when its holes are the ink's and the Korean's are not (pdf_ocr_shapes)
SURE_GARBLED = 40.0  # ... when the Korean is unsure and holds no Hangul syllable (kor's Latin)
SHORT = 0.9  # Hangul from ink this much of the usual syllable height or less may be Latin
CAPITAL = 0.65  # ... and Latin capitals are at least this tall (``latin_heads``)
SURE_HAN = 50.0  # the least confidence of each Han word (chi_tra reads Han surely or not at all)
NOISE = 30.0  # the Korean reading of Han is noise: below this confidence
SURE_GLOSS = 90.0  # ... or in brackets below DOUBT, where chi_tra's words are this sure
PAD = 12  # pixels of white around each crop
GAP = 40  # pixels of white between stacked crops

_HANGUL = re.compile("[\uac00-\ud7a3]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"[(\[]?[+\-]?\d[\d.,:%~\-]*[)\]]?[.,]?")
_LETTER = re.compile("[A-Za-z]")
_HAN_WORD = re.compile("[^\u3400-\u9fff\uf900-\ufaff]*[\u3400-\u9fff\uf900-\ufaff].*")
_BRACKETS = re.compile("[()\\[\\]]+")  # kept at any confidence: chi_tra is unsure of them alone
_LATIN_TRAIL = re.compile("(?<=[)\\]'’”])[A-Za-z0-9|]{1,2}$|(?<=[A-Za-z])[:!]$")
_TRAIL = re.compile("(?<=[)\\]])[^\u3400-\u9fff\uf900-\ufaff]+$")


def doubtful(text: str, confidence: float) -> bool:
    """A Korean reading to check: not sure, or no Hangul in it and not a number."""
    return confidence < DOUBT or (not _HANGUL.search(text) and not _NUMBER.fullmatch(text))


def misshapen(ink: Any, word: Word, after: int | None, usual: float) -> Word | None:
    """Hangul read from ink shorter than the page's usual syllable (as Latin capitals are), or
    a number, that encloses another number of holes than its characters do (``AI`` read as
    ``시``, ``CD`` as ``00``): the word boxed by its ink, else None. The ink is looked for
    across the word's box up to the next word's left edge (``after``; kor's box of a syllable
    may reach over the next two) and a third of the usual height above and below it."""
    left, top, width, height, text = word
    want = holes(text.strip())
    number = not _HANGUL.search(text) and bool(_NUMBER.fullmatch(text.strip()))
    if want is None or ink is None or not (number or _HANGUL.search(text)):
        return None
    right = left + width if after is None or after <= left else min(left + width, after)
    reach = int(usual / 3)
    rows = ink[max(0, top - reach) : top + height + reach, max(0, left) : right].any(axis=1).nonzero()[0]
    cols = ink[max(0, top - reach) : top + height + reach, max(0, left) : right].any(axis=0).nonzero()[0]
    if not len(rows) or (not number and rows[-1] - rows[0] + 1 > SHORT * usual):
        return None
    y0, y1 = max(0, top - reach) + int(rows[0]), max(0, top - reach) + int(rows[-1]) + 1
    x0, x1 = max(0, left) + int(cols[0]), max(0, left) + int(cols[-1]) + 1
    if want == ink_holes(ink, (x0 - 1, y0 - 1, x1 + 1, y1 + 1)):
        return None
    return (x0, y0, x1 - x0, y1 - y0, text)


def second_readings(
    gray: Any, reads: list[Read], langs: Sequence[str], tesseract: Tesseract, ink: Any = None
) -> list[Read]:
    """``reads`` with each run of doubtful words on a line replaced by one word, the better of
    its three readings (``choose``); unchanged without ``eng`` and ``chi_tra``."""
    if LATIN not in langs or HAN not in langs:
        return reads
    syllables = [w[3] for _, w, _ in reads if _HANGUL.search(w[4])]
    usual = statistics.median(syllables) if syllables else 0
    runs: list[list[int]] = []  # indexes into reads of consecutive doubtful words of one line
    reads, heads = latin_heads(reads, ink, usual)
    for i, (key, word, confidence) in enumerate(reads):
        after = reads[i + 1][1][0] if i + 1 < len(reads) and reads[i + 1][0] == key else None
        inked = misshapen(ink, word, after, usual)
        if inked is not None:
            reads[i] = (key, inked, confidence)
        elif not doubtful(word[4].strip(), confidence):
            continue
        alone = i in heads or i - 1 in heads  # a head is read by itself (not with 의료 in 시 의 료)
        if runs and runs[-1][-1] == i - 1 and reads[i - 1][0] == key and not alone:
            runs[-1].append(i)
        else:
            runs.append([i])
    runs = [r for r in (_trim(run, reads) for run in runs) if r]
    if not runs:
        return reads
    boxes = [_box([reads[i][1] for i in run]) for run in runs]
    png, bands = _stack(gray, boxes)
    latin = _by_band(tesseract(png, [LATIN], "6"), bands)
    han = _by_band(tesseract(png, [HAN], "6"), bands)
    out = list(reads)
    for n, run in enumerate(runs):
        korean = " ".join(reads[i][1][4].strip() for i in run)
        confidence = min(reads[i][2] for i in run)
        x0, y0, x1, y1 = boxes[n]
        # the holes are looked at only where the ink is short enough to be Latin (a box of a
        # whole line's height holds its neighbours' holes)
        short = ink is not None and (y1 - y0 <= SHORT * usual or not _HANGUL.search(korean))
        shown = ink_holes(ink, (x0 - 2, y0 - 2, x1 + 2, y1 + 2)) if short else None
        text, sure = choose(
            korean,
            confidence,
            _fits(latin[n], x1 - x0, y1 - y0, 0.3),
            _fits(han[n], x1 - x0, y1 - y0, 0.5),
            shown,
        )
        if text == korean:
            continue
        key = reads[run[0]][0]
        x0, y0, x1, y1 = boxes[n]
        out[run[0]] = (key, (x0, y0, x1 - x0, y1 - y0, text), sure)
        for i in run[1:]:
            out[i] = (key, reads[i][1], -1.0)  # dropped below
    return [r for r in out if r[2] >= 0]


def latin_heads(reads: list[Read], ink: Any, usual: float) -> tuple[list[Read], set[int]]:
    """Each word kor begins with 시 where the ink of that 시 is short: its first syllable as a word
    of its own, boxed by its ink, which ``misshapen`` then finds (kor reads ``AI`` as ``시``, in
    ``AI타운`` as part of a word of Hangul whose ink is as tall as a syllable); and their indexes."""
    if ink is None or not usual:
        return list(reads), set()
    out: list[Read] = []
    heads: set[int] = set()
    for key, word, confidence in reads:
        head = _short_si(ink, word, usual) if word[4].startswith("시") else None
        if head is None:
            out.append((key, word, confidence))
            continue
        heads.add(len(out))
        out.append((key, (*head, "시"), confidence))
        if word[4][1:]:
            left = head[0] + head[2]
            rest = (left, word[1], max(1, word[0] + word[2] - left), word[3], word[4][1:])
            out.append((key, rest, confidence))
    return out, heads


def _short_si(ink: Any, word: Word, usual: float) -> tuple[int, int, int, int] | None:
    """The ink box (left, top, width, height) of the 시 a word begins with, when both its parts
    are ``CAPITAL`` to ``SHORT`` syllables tall: a blob, then a narrow stroke (A and I; the ㅣ of a
    real 시 is as tall as the syllable). The first blob is the one at the box's left edge, whole
    (kor's box may start inside it)."""
    left, top, width, height, _ = word
    reach = int(usual / 3)
    y0, x0 = max(0, top - reach), max(0, left - int(usual / 2))
    band = ink[y0 : top + height + reach, x0 : left + width]
    # (first, after last) column of each run of ink, in band, from the one at the box's left edge
    parts = [(a, b) for a, b in true_runs(band.any(axis=0)) if b > left - x0 - 2]
    if len(parts) < 2 or parts[1][1] - parts[1][0] > 0.15 * usual:
        return None
    rows = band[:, parts[0][0] : parts[1][1]].any(axis=1).nonzero()[0]
    tall = [band[:, a:b].any(axis=1).nonzero()[0] for a, b in parts[:2]]
    if any(not CAPITAL * usual <= r[-1] - r[0] + 1 <= SHORT * usual for r in tall):
        return None
    return (x0 + parts[0][0], y0 + int(rows[0]), parts[1][1] - parts[0][0], int(rows[-1] - rows[0]) + 1)


def _trim(run: list[int], reads: list[Read]) -> list[int]:
    """A run that holds a word without Hangul less the Hangul words at its ends: the 으 of
    "yama@kyunghyang.com으로", which eng reads as "2", stays Korean."""
    if all(_HANGUL.search(reads[i][1][4]) for i in run):
        return run
    while _HANGUL.search(reads[run[0]][1][4]):
        run = run[1:]
    while _HANGUL.search(reads[run[-1]][1][4]):
        run = run[:-1]
    return run


def choose(
    korean: str,
    confidence: float,
    latin: list[tuple[str, float]],
    han: list[tuple[str, float]],
    shown: int | None = None,
) -> tuple[str, float]:
    """The reading to keep, and its confidence: eng's where it reads Latin letters surer than
    ``SURE`` (``SURE_GARBLED`` where the Korean is unsure and holds no Hangul) and than the
    Korean, unless the Korean's holes are the ink's (``shown``, when the
    ink is short enough to be Latin or the Korean has no Hangul) and eng's are not; eng's
    above ``SURE_SHAPE`` where its holes are the ink's and the Korean's are not; chi_tra's
    where the Korean was noise (below ``NOISE``), or a doubted run in brackets whose kept
    chi_tra words are all ``SURE_GLOSS`` sure, and chi_tra's sure words (``SURE_HAN``), at
    least half of them, hold Han; else the Korean."""
    options = [(korean, confidence)]
    if latin:
        text = " ".join(w for w, _ in latin)
        sure = min(c for _, c in latin)
        # what eng read of the Hangul after the Latin: a letter or two after its closing bracket
        # or quote ("(R&D)S" for "(R&D)을", "CD-ROM'2|" for "CD-ROM'의"), a mark after its
        # letters ("AI:" for "AI와")
        text = _LATIN_TRAIL.sub("", _capital_i(text)) if not korean.endswith((":", "!")) else _capital_i(text)
        fits = shown is not None and holes(text) == shown
        unfit = shown is not None and holes(korean) not in (None, shown)
        if _LETTER.search(text) and fits and unfit and sure >= SURE_SHAPE:
            return text, max(sure, confidence)
        misfit = shown is not None and holes(korean) == shown and not fits  # eng's 신 as "Al"
        # kor's reading of Latin it cannot read is unsure noise without a Hangul syllable (dropped
        # below 20%: CD-ROM' read as 00-8\0)|' at 9%): there eng's letters count from SURE_GARBLED
        garbled = confidence < NOISE and not _HANGUL.search(korean)
        if _LETTER.search(text) and sure >= (SURE_GARBLED if garbled else SURE) and not misfit:
            options.append((text, sure))
    # chi_tra reads a Hangul syllable beside the Han as Latin or digits (이 as 0|): of its
    # words (less what trails their closing bracket, and the words after it: 시 read as 人; and
    # the words from its first of Latin letters: the Hangul after CD-ROM' read as 引), the sure
    # ones with Han, and brackets
    trimmed = [(_TRAIL.sub("", w), c) for w, c in han]
    closing = next((i for i, (w, _) in enumerate(trimmed) if w.endswith((")", "]"))), len(trimmed))
    letters = next((i for i, (w, _) in enumerate(trimmed) if len(_LETTER.findall(w)) >= 2), len(trimmed))
    trimmed = trimmed[: min(closing + 1, letters)]
    kept = [(w, c) for w, c in trimmed if c >= SURE_HAN and _HAN_WORD.fullmatch(w) or _BRACKETS.fullmatch(w)]
    # the Korean is noise: unsure, or no Hangul and not a number ((餘杭) as "(@4&1)" at 46%)
    noise = confidence < NOISE or not _HANGUL.search(korean) and not _NUMBER.fullmatch(korean)
    # or a gloss: kor unsure of a run in brackets that chi_tra reads as Han, every word surely
    # (정타이(正泰) read as "( 표 촛 )" at 42%)
    gloss = confidence < DOUBT and korean.startswith("(") and bool(kept)
    gloss = gloss and min(c for _, c in kept) >= SURE_GLOSS
    if (noise or gloss) and 2 * len(kept) >= len(trimmed) and _HAN.search("".join(w for w, _ in kept)):
        options.append(("".join(w for w, _ in kept), sum(c for _, c in kept) / len(kept)))
    return max(options, key=lambda o: o[1])


def _fits(words: list[tuple[str, float]], width: int, height: int, em: float) -> list[tuple[str, float]]:
    """``words``, or none when they hold more characters than the box has room for at ``em``
    heights each (eng reads a lone quote as "me")."""
    return words if sum(len(w) for w, _ in words) <= max(1.0, width / (em * max(1, height))) else []


def _capital_i(text: str) -> str:
    """``l`` or ``|`` read for ``I`` among capitals (``Al`` or ``A|`` for ``AI``, ``VR-Al``): in a
    word whose other letters are all capitals."""

    def fix(word: re.Match[str]) -> str:
        w = word.group()
        others = [c for c in w if c not in "l|"]
        capitals = others and all(c.isupper() for c in others)
        return w.replace("l", "I").replace("|", "I") if capitals else w

    return re.sub("[A-Za-z|]+", fix, text)


def _box(words: list[Word]) -> tuple[int, int, int, int]:
    return (
        min(w[0] for w in words),
        min(w[1] for w in words),
        max(w[0] + w[2] for w in words),
        max(w[1] + w[3] for w in words),
    )


def _stack(gray: Any, boxes: list[tuple[int, int, int, int]]) -> tuple[bytes, list[tuple[int, int]]]:
    """One image of the crops one above the other, as PNG, and each crop's rows in it."""
    import numpy as np

    from .base import optional_import

    pymupdf = optional_import("pymupdf", "pymupdf")
    width = max(x1 - x0 for x0, _, x1, _ in boxes) + 2 * PAD
    height = sum(y1 - y0 + GAP for _, y0, _, y1 in boxes) + GAP
    image = np.full((height, width), 255, dtype=np.uint8)
    bands, at = [], GAP
    for x0, y0, x1, y1 in boxes:
        image[at : at + y1 - y0, PAD : PAD + x1 - x0] = gray[y0:y1, x0:x1]
        bands.append((at - GAP // 2, at + y1 - y0 + GAP // 2))
        at += y1 - y0 + GAP
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, width, height, image.tobytes(), False)
    return pixmap.tobytes("png"), bands


def _by_band(tsv: str, bands: list[tuple[int, int]]) -> list[list[tuple[str, float]]]:
    """Tesseract's words (text, confidence) of the stacked image, crop by crop."""
    out: list[list[tuple[str, float]]] = [[] for _ in bands]
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or cells[0] != "5" or not cells[11].strip():
            continue
        middle = int(cells[7]) + int(cells[9]) // 2
        for n, (top, bottom) in enumerate(bands):
            if top <= middle < bottom:
                out[n].append((cells[11].strip(), float(cells[10])))
                break
    return out
