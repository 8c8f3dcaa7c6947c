"""Text columns narrower than the document's: where a hard-wrapped line ended on its margin.

A newsletter mixes full-width pages with two-column ones, even on one page. Measured against the
document's width (90 columns), every line of a 40-column text column looked short, so none was
rejoined and each wrapped line became a "sentence" of its own (``보고서는 중국 271개 저고도 경제
산업``). A line's column is the widest of the lines around it (:data:`COLUMN_WINDOW` either side,
within its run of lines between blank lines) where that lies between :data:`MIN_COLUMN` and the
full-line share of the document's width, among lines one of which ends a sentence (prose, not a
table of names or figures). There ``clean.joiner`` rejoins a line only where the next line's first
word would not have fitted on it: a heading, a list item or a table row ends where its author
ended it.

Pure functions over widths and flags; ``clean.py`` measures them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_COLUMN = 0.35  # a text column is at least this share of the document's width
COLUMN_WINDOW = 3  # lines either side whose widths tell a line's text column
_FIGURE = re.compile(r"\d[\d,.]*")


def text_columns(
    widths: Sequence[int], blank: Sequence[bool], ends: Sequence[bool], width: int, full_line: float
) -> list[int]:
    """Each line's text column (display width) where it is narrower than the document's
    ``width``, else 0. ``blank``: the line is empty; ``ends``: the line ends a sentence."""
    out = [0] * len(widths)
    start = 0
    for end in range(len(widths) + 1):
        if end < len(widths) and not blank[end]:
            continue
        for i in range(start, end):
            lo, hi = max(start, i - COLUMN_WINDOW), min(end, i + COLUMN_WINDOW + 1)
            column = max(widths[lo:hi])
            prose = any(ends[lo:hi])
            if prose and hi - lo >= 3 and MIN_COLUMN * width <= column < full_line * width:
                out[i] = column
        start = end + 1
    return out


def is_row(text: str) -> bool:
    """A table row set as text: cells apart by two spaces, or three figures or more."""
    return "  " in text.strip() or len(_FIGURE.findall(text)) >= 3
