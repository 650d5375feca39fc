"""Rows of unruled tables in a PDF: cells set side by side on one line, each a text box of its own.

pdfminer's layout analysis puts text that stands apart into boxes of its own, which keeps the columns of a
brochure apart and scatters a form: an invoice's "Zahlbetrag" and its "300,00", a price list's "Haushalt"
and its "8,12" come out as separate boxes, and a box of digits alone reads like an axis tick and was
dropped. Here the single-line boxes whose lines overlap in height are one row when one of them is a value
(digits and signs, or a code mostly of digits) and another holds words: the row is read left to right as
one line ("Zahlbetrag 300,00"). Under a table whose rules frame only its header (pdfplumber then finds
the header row alone), such rows are the table's body, their cells put under the header's columns. Boxes
of running text stay as they are: two lines of prose side by side in two columns hold letters, and each
column keeps its own box; a chart's axis (numbers alone) and two labels side by side ("BIS 2033",
"WÄRMEPOTENZIAL") are no such row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

#: Two boxes are on one row when their vertical centres lie this share of a line's height apart or less.
_SAME_ROW = 0.5
#: A row continues a header-only table when it starts at most this many line heights below the table.
_TABLE_GAP_LINES = 2.5


@dataclass(frozen=True, slots=True)
class Line:
    """A text line of a page: where it stands (points from the top), its text, median font size, weight."""

    page: int
    top: float
    bottom: float
    text: str
    size: float
    bold: bool
    #: The cells of a row read as one line ("Zahlbetrag 300,00"): data, never a heading.
    row: bool = False

    @property
    def style(self) -> tuple[float, bool]:
        return round(self.size * 2) / 2, self.bold


@dataclass(frozen=True, slots=True)
class Box:
    """A text box of a page: its horizontal extent and its lines, in pdfminer's reading order."""

    x0: float
    x1: float
    lines: list[Line]


@dataclass(slots=True)
class HeaderOnlyTable:
    """A ruled table whose extraction found its header row alone: its columns, where it ends so far and
    the rows found under it (header first)."""

    columns: list[tuple[float, float]]
    bottom: float
    rows: list[list[str]]


def merge_rows(boxes: Sequence[Box], tables: Sequence[HeaderOnlyTable] = ()) -> list[Box]:
    """``boxes`` with each row of figure-holding cells read as one line (in the place of its first
    cell), or added to the header-only table right above it (then it leaves the text)."""
    replaced: dict[int, Box | None] = {}
    for row in _rows([box for box in boxes if len(box.lines) == 1]):
        if not (any(_is_value(box) for box in row) and any(_has_letters(box) for box in row)):
            continue
        cells = sorted(row, key=lambda box: box.x0)
        table = next((t for t in tables if _continues(t, cells)), None)
        replaced.update({id(box): None for box in row})
        if table is None:
            replaced[id(min(row, key=boxes.index))] = _joined(cells)
        else:
            table.rows.append(_under_columns(cells, table.columns))
            table.bottom = max(box.lines[0].bottom for box in cells)
    kept = (replaced.get(id(box), box) for box in boxes)
    return [box for box in kept if box is not None]


def _rows(boxes: list[Box]) -> list[list[Box]]:
    """Single-line boxes grouped by the line they stand on, none overlapping another of its row."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (_middle(b), b.x0)):
        row = rows[-1] if rows else None
        if row is not None and _same_row(row[0], box) and not any(_overlap(box, other) for other in row):
            row.append(box)
        else:
            rows.append([box])
    return rows


def _continues(table: HeaderOnlyTable, cells: list[Box]) -> bool:
    line = cells[0].lines[0]
    height = line.bottom - line.top
    return 0 <= line.top - table.bottom <= _TABLE_GAP_LINES * height and all(
        _column(box, table.columns) is not None for box in cells
    )


def _under_columns(cells: list[Box], columns: list[tuple[float, float]]) -> list[str]:
    row = [""] * len(columns)
    for box in cells:
        at = _column(box, columns)
        assert at is not None  # checked by _continues
        row[at] = f"{row[at]} {box.lines[0].text}".strip()
    return row


def _column(box: Box, columns: list[tuple[float, float]]) -> int | None:
    """The header column the box overlaps most (None: it lies outside them all)."""
    overlaps = [min(box.x1, x1) - max(box.x0, x0) for x0, x1 in columns]
    best = max(range(len(columns)), key=lambda i: overlaps[i], default=None)
    return best if best is not None and overlaps[best] > 0 else None


def _joined(cells: list[Box]) -> Box:
    first = cells[0].lines[0]
    text = " ".join(box.lines[0].text for box in cells)
    line = replace(
        first,
        top=min(box.lines[0].top for box in cells),
        bottom=max(box.lines[0].bottom for box in cells),
        text=text,
        bold=all(box.lines[0].bold for box in cells),
        row=True,
    )
    return Box(cells[0].x0, cells[-1].x1, [line])


def _middle(box: Box) -> float:
    return (box.lines[0].top + box.lines[0].bottom) / 2


def _same_row(a: Box, b: Box) -> bool:
    height = min(a.lines[0].bottom - a.lines[0].top, b.lines[0].bottom - b.lines[0].top)
    return abs(_middle(a) - _middle(b)) <= _SAME_ROW * height


def _overlap(a: Box, b: Box) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0)


def _is_value(box: Box) -> bool:
    """A cell of digits and signs ("300,00", "-0,00", "8,12", "19 %") or a code with more than twice as
    many digits as letters ("DE91100000000123456789"), as a form or price list sets it; "BIS 2033" is a
    label."""
    text = box.lines[0].text
    return sum(char.isdigit() for char in text) > 2 * sum(char.isalpha() for char in text)


def _has_letters(box: Box) -> bool:
    return any(char.isalpha() for char in box.lines[0].text)
