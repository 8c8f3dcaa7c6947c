"""A PDF page's text lines with their boxes, the records the layout and table steps share."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffd]")  # a glyph the font lacked comes out as NUL


@dataclass(frozen=True)
class TextLine:
    page: int  # 0-based
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    text: str

    @property
    def chars(self) -> int:
        return len(self.text.replace(" ", ""))

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Column:
    x0: float
    x1: float

    def holds(self, line: TextLine, tol: float) -> bool:
        return line.x0 >= self.x0 - tol and line.x1 <= self.x1 + tol


def page_lines(page: Any, number: int, textpage: Any = None) -> list[TextLine]:
    """The page's horizontal text lines with their boxes (PyMuPDF's ``dict`` output)."""
    lines: list[TextLine] = []
    for block in page.get_text("dict", textpage=textpage)["blocks"]:
        for line in block.get("lines", ()):
            if abs(line["dir"][1]) > 0.01:  # rotated text: a watermark or a vertical label
                continue
            spans = [s for s in line["spans"] if s["text"]]
            text = _CONTROL.sub("", "".join(s["text"] for s in spans))
            if text.strip():
                x0, y0, x1, y1 = line["bbox"]
                size = max(s["size"] for s in spans)
                lines.append(TextLine(number, x0, y0, x1, y1, size, text.strip()))
    return lines


def rows(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows (vertical centres within half a line), top to bottom, left to right."""
    out: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: ((t.y0 + t.y1) / 2, t.x0)):
        centre = (line.y0 + line.y1) / 2
        if out:
            last = out[-1]
            ref = statistics.fmean((t.y0 + t.y1) / 2 for t in last)
            if abs(centre - ref) <= 0.5 * min(line.height, last[0].height):
                last.append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda t: t.x0) for row in out]


def merge_row(row: Sequence[TextLine]) -> TextLine:
    """A row's pieces as one line (a font change splits a line); a space where there is a gap."""
    text = row[0].text
    for left, piece in zip(row, row[1:], strict=False):
        text += (" " if piece.x0 - left.x1 > 0.25 * piece.size else "") + piece.text
    first, last = row[0], row[-1]
    return TextLine(
        first.page,
        first.x0,
        min(t.y0 for t in row),
        last.x1,
        max(t.y1 for t in row),
        max(t.size for t in row),
        text,
    )
