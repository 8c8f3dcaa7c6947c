"""Tables on a PDF page (PyMuPDF ``page.find_tables``, or on a scanned page the grid of rules
found in its image), stored one row per line.

A row alone ("2025년 2.35억 위안 0.34억 위안") does not say what its numbers are, so each cell is
stored after its column's header: "2025년 매출 2.35억 위안, 순이익 0.34억 위안". A row is one
line, so a passage never cuts it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import optional_import
from .pdf_lines import TextLine


@dataclass(frozen=True)
class Table:
    x0: float
    y0: float
    x1: float
    y1: float
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def holds(self, line: TextLine) -> bool:
        cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
        return self.x0 <= cx <= self.x1 and self.y0 <= cy <= self.y1


@dataclass(frozen=True)
class Grid:
    """A ruled table seen in a page's image (``pdf_ocr.ruled_grids``): where its rules run, in
    PDF points, left to right and top to bottom."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]


def pymupdf_rect(box: Sequence[float]) -> Any:
    return optional_import("pymupdf", "pymupdf").Rect(box)


def _cell(box: Sequence[float] | None, lines: Sequence[TextLine]) -> str:
    """A cell's text from the page's lines whose centre lies in it (PyMuPDF's own cell text
    reorders small glyphs: "1.82억 위안" came out "182억위안 .")."""
    if box is None:
        return ""
    x0, y0, x1, y1 = box
    inside = [t for t in lines if x0 <= (t.x0 + t.x1) / 2 <= x1 and y0 <= (t.y0 + t.y1) / 2 <= y1]
    inside.sort(key=lambda t: (round(t.y0), t.x0))
    return re.sub(r"\s+", " ", " ".join(t.text for t in inside)).strip()


def find_tables(page: Any, lines: Sequence[TextLine], grids: Sequence[Grid] = ()) -> list[Table]:
    """Ruled tables of two or more columns and rows, holding text of the main area's lines; on a
    page read by OCR, those of the ``grids`` its image shows."""
    if grids:
        return grid_tables(grids, lines)
    drawings = [d["rect"] for d in page.get_drawings()]
    if len(drawings) < 3:  # no rules drawn: no ruled table (and find_tables is slow)
        return []
    found: list[Table] = []
    for table in page.find_tables(strategy="lines").tables:
        box = pymupdf_rect(table.bbox)
        if sum(1 for rect in drawings if box.intersects(rect)) < table.row_count + 1:
            continue  # a page rule or a box around text, not a ruled grid
        cells = [[_cell(box, lines) for box in row.cells] for row in table.rows]
        cells = [row for row in cells if any(row)]
        if len(cells) < 2 or max(len(r) for r in cells) < 2:
            continue
        x0, y0, x1, y1 = table.bbox
        candidate = Table(x0, y0, x1, y1, tuple(cells[0]), tuple(tuple(r) for r in cells[1:]))
        if any(candidate.holds(t) for t in lines):
            found.append(candidate)
    return found


def grid_tables(grids: Sequence[Grid], lines: Sequence[TextLine]) -> list[Table]:
    """A table per grid: its cells' text from the lines inside them (OCR reads a row across its
    cells as pieces of one line)."""
    found: list[Table] = []
    for grid in grids:
        cells = [
            [_cell((x0, y0, x1, y1), lines) for x0, x1 in itertools.pairwise(grid.xs)]
            for y0, y1 in itertools.pairwise(grid.ys)
        ]
        cells = [row for row in cells if any(row)]
        if len(cells) >= 2 and len(grid.xs) >= 3:
            rows = tuple(tuple(r) for r in cells[1:])
            found.append(Table(grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1], tuple(cells[0]), rows))
    return found


def table_lines(table: Table) -> list[str]:
    """One line per body row: its first cell, then every other cell after its column's header."""
    out: list[str] = []
    for row in table.rows:
        label, *rest = row
        pairs = [f"{h} {v}".strip() for h, v in zip(table.header[1:], rest, strict=False) if v]
        line = ", ".join(pairs)
        out.append(f"{label} {line}".strip() if label else line)
    return out
