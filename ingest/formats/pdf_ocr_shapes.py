"""What the ink of an OCR'd word shows, to check a reading against: its holes, the shape of
its quotes (``curly_quotes``), and bullets (``bullets``: a triangle, diamond, square or disc).

A glyph's holes (the white it encloses: one in ``A``, ``o``, ``ㅇ``, ``ㅁ``, two in ``B``, ``8``,
``ㅃ``, none in ``I``, ``시``, ``ㅅ``) are the same in nearly every typeface and at any size, so a
reading whose characters enclose another number of holes than the ink does is wrong. Debian's
``kor`` data has no Latin letters and reads ``AI`` surely as ``시`` (no hole; the ink has
``A``'s), and eng reads ``신`` as ``Al`` as surely (one hole; the ink has none): the holes tell
the two apart where the confidences cannot (``pdf_ocr_second``).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from typing import Any

Word = tuple[int, int, int, int, str]  # left, top, width, height (pixels), text
Read = tuple[Any, Word, float]  # the Tesseract line's key, the word, its confidence

# holes of each Hangul syllable's initial consonant (ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ)
# and final one (none ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ);
# vowels have none
_INITIAL = (0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1)
_FINAL = (0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1)
_OTHER = {
    **dict.fromkeys("ADOPQRabdegopq0469@#", 1),
    **dict.fromkeys("B8%&", 2),
    **dict.fromkeys("CEFGHIJKLMNSTUVWXYZcfhijklmnrstuvwxyz12357.,;:!?'\"-()[]/~+*<>=_|‘’“”·", 0),
}
_HANGUL = re.compile("[\uac00-\ud7a3]")
LEAST = 3  # pixels: a smaller enclosed white is a speck of the scan, not a hole


def holes(text: str) -> int | None:
    """The holes the characters of ``text`` enclose, or None when one of them is not known
    (Han, symbols: their holes vary with the typeface)."""
    n = 0
    for char in text:
        if "\uac00" <= char <= "\ud7a3":
            code = ord(char) - 0xAC00
            n += _INITIAL[code // 588] + _FINAL[code % 28]
        elif char in _OTHER:
            n += _OTHER[char]
        elif not char.isspace():
            return None
    return n


def ink_holes(ink: Any, box: tuple[int, int, int, int]) -> int:
    """The holes of the ink inside ``box`` (x0, y0, x1, y1 in pixels): white regions of at
    least ``LEAST`` pixels that do not reach the box's edge (white is 4-connected, so ink that
    touches at a corner closes a hole)."""
    import numpy as np
    from scipy import ndimage

    x0, y0, x1, y1 = box
    crop = np.pad(ink[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)], 1, constant_values=False)
    white, count = ndimage.label(~crop)
    if count == 0:
        return 0
    edge = np.unique(np.concatenate([white[0], white[-1], white[:, 0], white[:, -1]]))
    sizes = np.bincount(white.ravel(), minlength=count + 1)
    sizes[edge] = 0
    return int((sizes[1:] >= LEAST).sum())


_QUOTES = re.compile("['\"‘’“”]")
OPENING = -0.1  # a mark heavier below than above by this share of its ink: ‘ (a comma turned over)
CLOSING = 0.22  # heavier above by this much: ’ (a raised comma); a straight ' tapers less


def curly_quotes(reads: list[Read], usual: float, ink: Any) -> list[Read]:
    """Quotes written as the image shows them. kor's data reads every quote straight (``'``,
    ``"``) and often a single one as double; a text layer keeps ‘ ’ “ ”. Each quote of a
    word is matched, left to right, with the marks its ink shows at the top of the line: one
    or two small blobs (``_marks``), each ``‘`` when more of its ink is in its lower half than
    in its upper half, ``’`` when much more is in its upper half, else straight (an upright
    wedge tapers downwards a little). A word whose quotes and marks do not pair is left."""
    tops: dict[Any, list[int]] = {}
    for key, word, _ in reads:
        if _HANGUL.search(word[4]):
            tops.setdefault(key, []).append(word[1])
    out = []
    for key, word, confidence in reads:
        found = _QUOTES.findall(word[4])
        if found and key in tops and usual:
            marks = _marks(ink, word, statistics.median(tops[key]), usual)
            if len(marks) == len(found):
                pieces = _QUOTES.split(word[4])
                text = pieces[0] + "".join(m + p for m, p in zip(marks, pieces[1:], strict=True))
                word = (*word[:4], text)
        out.append((key, word, confidence))
    return out


def _marks(ink: Any, word: Word, top: float, usual: float) -> list[str]:
    """The quote marks near ``word`` whose ink sits at the top of its line (``top``), left to
    right: blobs 0.15-0.45 of the usual syllable height tall, each pair closer than a third of
    that one double mark."""
    import numpy as np
    from scipy import ndimage

    reach = int(usual / 3)
    left, y0 = max(0, word[0] - reach), max(0, int(top) - reach)
    window = ink[y0 : int(top + usual), left : word[0] + word[2] + reach]
    blobs, _ = ndimage.label(window, structure=np.ones((3, 3)))
    shapes = []
    for n, (rows, cols) in enumerate(ndimage.find_objects(blobs)):
        height = rows.stop - rows.start
        near = word[0] - reach / 2 <= left + (cols.start + cols.stop) / 2 <= word[0] + word[2] + reach / 2
        high = y0 + rows.start <= top + 0.15 * usual and y0 + rows.stop <= top + 0.5 * usual
        if near and high and 0.15 * usual <= height <= 0.45 * usual:
            ys = np.nonzero(blobs[rows, cols] == n + 1)[0]
            heavy = ((ys < height / 2).sum() - (ys >= height / 2).sum()) / len(ys)
            shape = "‘" if heavy <= OPENING else "’" if heavy >= CLOSING else "'"
            shapes.append((cols.start, cols.stop, height, shape))
    shapes.sort()
    marks: list[str] = []
    last = (0, 0, 0, "")
    for start, stop, height, shape in shapes:
        # the two halves of a double mark: close together, as tall as each other, one shape
        twin = start - last[1] < usual / 3 and abs(height - last[2]) <= 0.25 * height and shape == last[3]
        if marks and twin and len(marks[-1]) == 1:
            marks[-1] = {"‘": "“", "’": "”"}.get(shape, '"')
        else:
            marks.append(shape)
        last = (start, stop, height, shape)
    return marks


def true_runs(mask: Any) -> list[tuple[int, int]]:
    """The runs of True in a 1-d ``mask`` as (first, after last) indexes: the columns of ink in a
    word's band, or the blank ones between a line's words."""
    import numpy as np

    edges = np.flatnonzero(np.diff(np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


# A bullet's outline: its width row by row (over its widest row) as a function of its height
# (0 at the top, 1 at the bottom); and the mark, solid and hollow (None where a hollow one has
# the shape of a letter: □ is ㅁ, ○ is ㅇ or O)
_OUTLINES: dict[str, tuple[Callable[[float], float], str, str | None]] = {
    "up": (lambda t: t, "▲", "△"),
    "down": (lambda t: 1 - t, "▼", "▽"),
    "diamond": (lambda t: 1 - abs(2 * t - 1), "◆", "◇"),
    "square": (lambda t: 1.0, "■", None),
    "circle": (lambda t: 2 * (t * (1 - t)) ** 0.5, "●", None),
}
BULLET = 0.35  # a bullet is at least this many usual syllable heights tall (a middle dot is less)
OUTLINE_FIT = 0.1  # the most its widths may differ from the outline's on average, in its width


def bullets(reads: list[Read], usual: float, ink: Any) -> list[Read]:
    """Bullets written as such: kor reads ``△`` as ``ㅅ`` or ``^``, ``▲`` as ``소``, ``◇`` as ``<>``,
    and eng reads both triangles as ``A``. Where the first blob of ink a word's box touches is
    shaped like a triangle, a diamond, a square or a disc (``bullet``), the word's reading of it
    (its first character, or the two chevrons of a diamond) is that mark; when the reading has
    more, or the box more ink, the mark is a word of its own, boxed by its ink, and the rest of
    the word follows it (``◇'해외`` read as ``<>'``; ``▲2019`` boxed with the 2)."""
    if not usual:
        return reads
    out: list[Read] = []
    for key, word, confidence in reads:
        found = bullet(ink, word, usual)
        if found is None:
            out.append((key, word, confidence))
            continue
        mark, (x0, y0, x1, y1) = found
        rest = word[4][2:] if word[4].startswith("<>") else word[4][1:]
        out.append((key, (x0, y0, x1 - x0, y1 - y0, mark), max(confidence, 60.0)))
        if rest.strip():
            right = word[0] + word[2]
            out.append((key, (x1, word[1], max(1, right - x1), word[3], rest), confidence))
    return out


def bullet(ink: Any, word: Word, usual: float) -> tuple[str, tuple[int, int, int, int]] | None:
    """The mark the first blob of ink of ``word`` shows, and its box (x0, y0, x1, y1), or None:
    the leftmost blob the word's box touches, whole within a third of a syllable around the
    box, at least ``BULLET`` syllables tall, as wide as tall (within 0.75-1.4), one run of ink
    in every row, centred, widths row by row within ``OUTLINE_FIT`` of an outline's; solid (no
    hole, ink fills what it encloses) or hollow (one hole, a stroke around it)."""
    import numpy as np
    from scipy import ndimage

    left, top, width, height, _ = word
    reach = int(usual / 3)
    y0, x0 = max(0, top - reach), max(0, left - reach)
    window = ink[y0 : top + height + reach, x0 : left + width + reach]
    blobs, _ = ndimage.label(window, structure=np.ones((3, 3)))
    touched = set(blobs[top - y0 : top - y0 + height, left - x0 : left - x0 + width].ravel().tolist()) - {0}
    if not touched:
        return None
    objects = ndimage.find_objects(blobs)
    label = min(touched, key=lambda n: objects[n - 1][1].start)
    rows, cols = objects[label - 1]
    blob = blobs[rows, cols] == label
    tall, wide = blob.shape
    if cols.start == 0 or cols.stop == window.shape[1] or tall < BULLET * usual:
        return None  # it runs on past the window: part of a wider glyph or a rule
    if not 0.75 <= wide / tall <= 1.4:
        return None
    filled = ndimage.binary_fill_holes(blob)
    n_holes = ink_holes(blob, (0, 0, wide, tall))
    share = blob.sum() / filled.sum()
    if not (n_holes == 0 and share >= 0.95 or n_holes == 1 and share <= 0.7):
        return None
    spans = []
    for row in filled:
        runs = true_runs(row)
        if len(runs) != 1:
            return None
        spans.append(runs[0])
    widths = np.array([(b - a) / wide for a, b in spans])
    centres = np.array([(a + b) / 2 / wide for a, b in spans])
    if np.abs(centres - 0.5).max() > 0.15:
        return None
    t = (np.arange(tall) + 0.5) / tall
    for outline, solid, hollow in _OUTLINES.values():
        if np.abs(widths - np.array([outline(v) for v in t])).mean() <= OUTLINE_FIT:
            mark = solid if n_holes == 0 else hollow
            if mark is not None:
                return mark, (x0 + cols.start, y0 + rows.start, x0 + cols.stop, y0 + rows.stop)
    return None
