"""PDF to blocks with pdfplumber and pdfminer's layout analysis: text per page, tables as tables.

PDF has no paragraphs, headings or tables, only positioned characters, so structure is rebuilt:
- ruled tables are found and extracted as rows by pdfplumber (plain text would scatter their cells);
- the remaining text comes in pdfminer's text boxes, in its reading order, which keeps the columns of a
  two-column brochure apart; a box is split where the font size or weight changes;
- a short run of lines set larger than the body text (or bold, or a "§ 3 …" line) is a heading, its level
  ranked by font size; longer runs are paragraphs, their line breaks joined and hyphenation undone, and
  words the text layer split in two ("Um setzung") joined where the document writes them whole;
- rotated text (chart axes), boxes without letters (axis ticks, page numbers) and header/footer lines
  that repeat on every page are dropped, so that "Seite 1 von 2" does not end up in every chunk.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import pdfplumber
from pdfminer.layout import LTChar, LTTextBoxHorizontal, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

from luna.adapters.extract.document import clean_line, join_lines
from luna.adapters.extract.pdf_rows import Box, HeaderOnlyTable, Line, merge_rows
from luna.adapters.extract.split_words import join_split_words
from luna.domain.chunking import legal_heading_level
from luna.domain.documents import BlockKind, TextBlock, Unreadable, unreadable

_HEADING_SIZE_RATIO = 1.15
_MAX_HEADING_LINES = 3
_MAX_HEADING_CHARS = 150
_MARGIN_SHARE = 0.08  # top and bottom share of the page where running headers and footers live
_MAX_LETTERLESS_CHARS = 20  # a box of digits and signs this short is an axis tick or a page number
_PAGE_NUMBER = re.compile(r"^(seite|page)?\s*[-–]?\s*\d+(\s*(von|/|of)\s*\d+)?\s*[-–]?$", re.IGNORECASE)
#: A folio: the page number beside the chapter's name ("3 | KLIMAZIEL 2040", "GRUNDLAGEN … | 6"), which
#: changes with the chapter and so does not repeat.
_FOLIO = re.compile(r"^(\d{1,4}\s*[|│]\s*[^|│]{1,80}|[^|│]{1,80}[|│]\s*\d{1,4})$")
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")
_DATE_DEFAULTS = ("0000", "01", "01", "00", "00", "00")
_METADATA_KEYS = {
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
    "CreationDate": "created",
    "ModDate": "modified",
}

_Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(frozen=True, slots=True)
class PdfContent:
    title: str | None
    blocks: list[TextBlock]
    pages: int
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Table:
    page: int
    top: float
    block: TextBlock


def _metadata_text(value: Any) -> str:
    """A metadata value as text; PDF dates ("D:20260115090000Z") become ISO-8601 ("2026-01-15T09:00:00")."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    elif isinstance(value, PSLiteral):
        value = value.name
    text = clean_line(str(value))
    date = _PDF_DATE.match(text)
    if date is None:
        return text
    year, month, day, hour, minute, second = (
        part or default for part, default in zip(date.groups(), _DATE_DEFAULTS, strict=True)
    )
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}"


def _inside(x: float, y: float, boxes: list[_Box]) -> bool:
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _line(line: LTTextLine, page: int, height: float) -> Line | None:
    """A text line with its median font size and weight; None for rotated or empty lines."""
    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
    upright = [c for c in chars if c.upright]
    text = clean_line(line.get_text())
    if not text or not upright or len(upright) < len(chars) / 2:
        return None
    size = statistics.median(float(c.size) for c in upright)
    bold = all("bold" in c.fontname.lower() for c in upright)
    return Line(page, height - float(line.y1), height - float(line.y0), text, size, bold)


def _read_page(page: Any, number: int) -> tuple[list[list[Line]], list[_Table]]:
    """Text boxes (as lists of lines) in reading order outside the tables, and the tables; rows of an
    unruled table (cells side by side, :mod:`~luna.adapters.extract.pdf_rows`) read as one line each, or
    as the body of the table whose header alone is ruled."""
    tables = page.find_tables()
    bounds: list[_Box] = [(float(a), float(b), float(c), float(d)) for a, b, c, d in (t.bbox for t in tables)]
    height = float(page.height)
    boxes: list[Box] = []
    for box in page.layout:
        if not isinstance(box, LTTextBoxHorizontal):
            continue
        center = ((box.x0 + box.x1) / 2, height - (box.y0 + box.y1) / 2)
        lines = [x for x in (_line(raw, number, height) for raw in box) if x is not None]
        if lines and not _inside(*center, bounds):
            boxes.append(Box(float(box.x0), float(box.x1), lines))
    extracted = [(table, table.extract()) for table in tables]
    header_only = {id(table): _header_only(table, rows) for table, rows in extracted if len(rows) == 1}
    boxes = merge_rows(boxes, [t for t in header_only.values() if t is not None])
    found = [
        _Table(number, float(table.bbox[1]), block)
        for table, rows in extracted
        if (block := TextBlock.table(_rows_of(table, rows, header_only), page=number)) is not None
    ]
    text_boxes: list[list[Line]] = []
    for box in boxes:
        text = " ".join(x.text for x in box.lines)
        if any(ch.isalpha() for ch in text) or len(text) > _MAX_LETTERLESS_CHARS:
            text_boxes.append(box.lines)
    return text_boxes, found


def _header_only(table: Any, rows: list[list[str | None]]) -> HeaderOnlyTable | None:
    """A table whose extraction has its header row alone, with the header cells' horizontal extents."""
    cells = table.rows[0].cells
    if any(cell is None for cell in cells):
        return None
    columns = [(float(cell[0]), float(cell[2])) for cell in cells]
    return HeaderOnlyTable(columns, float(table.bbox[3]), [[cell or "" for cell in rows[0]]])


def _rows_of(
    table: Any, rows: list[list[str | None]], header_only: dict[int, HeaderOnlyTable | None]
) -> Sequence[Sequence[str | None]]:
    found = header_only.get(id(table))
    return found.rows if found is not None else rows


def _running_lines(boxes: list[list[Line]], page_heights: dict[int, float]) -> set[Line]:
    """Running header and footer lines: in the page margins and repeated (digits aside) on several pages,
    a bare page number, or a page number beside its chapter's name."""

    def in_margin(line: Line) -> bool:
        height = page_heights[line.page]
        return line.top < height * _MARGIN_SHARE or line.bottom > height * (1 - _MARGIN_SHARE)

    def shape(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text)

    margin_lines = [line for box in boxes for line in box if in_margin(line)]
    counts = Counter(shape for _, shape in {(line.page, shape(line)) for line in margin_lines})
    repeating = {shape for shape, count in counts.items() if count > 1}
    return {
        line
        for line in margin_lines
        if shape(line) in repeating or _PAGE_NUMBER.match(line.text) or _FOLIO.match(line.text)
    }


def _runs(box: list[Line]) -> list[list[Line]]:
    """Split a text box where the font style changes or a law structure line follows a finished sentence."""
    runs: list[list[Line]] = []
    for line in box:
        previous = runs[-1][-1] if runs else None
        new_section = previous is not None and (
            previous.text.endswith((".", ":", ";", ")")) and legal_heading_level(line.text) is not None
        )
        if previous is None or line.style != previous.style or new_section:
            runs.append([line])
        else:
            runs[-1].append(line)
    return runs


def _is_heading_shape(run: list[Line]) -> bool:
    text = " ".join(line.text for line in run)
    return (
        len(run) <= _MAX_HEADING_LINES
        and len(text) <= _MAX_HEADING_CHARS
        and not text.endswith((".", ",", ";"))
    )


def _continues_heading(previous: TextBlock | None, text: str, page: int, level: int) -> bool:
    """A heading set on two lines that layout analysis put in two boxes ("Kommunaler Energieplan" /
    "Winterthur"); two law headings in a row ("§ 5 (weggefallen)", "§ 6 …") stay apart."""
    return (
        previous is not None
        and previous.kind is BlockKind.HEADING
        and (previous.page, previous.level) == (page, level)
        and len(previous.text) + len(text) < _MAX_HEADING_CHARS
        and legal_heading_level(previous.text) is None
        and legal_heading_level(text) is None
    )


def _blocks(boxes: list[list[Line]], tables: list[_Table]) -> list[TextBlock]:
    """Classify runs of lines as headings or paragraphs and interleave the tables by position."""
    all_lines = [line for box in boxes for line in box]
    weights: Counter[float] = Counter()
    for line in all_lines:
        weights[line.style[0]] += len(line.text)
    body_size = weights.most_common(1)[0][0] if weights else 0.0
    body_is_bold = sum(len(x.text) for x in all_lines if x.bold) > sum(len(x.text) for x in all_lines) / 2
    runs = [run for box in boxes for run in _runs(box)]
    heading_sizes = sorted(
        {
            run[0].style[0]
            for run in runs
            if run[0].style[0] >= body_size * _HEADING_SIZE_RATIO and _is_heading_shape(run)
        },
        reverse=True,
    )
    size_levels = {size: min(rank, 6) for rank, size in enumerate(heading_sizes, start=1)}
    bold_level = min(len(size_levels) + 1, 6)

    blocks: list[TextBlock] = []
    pending = sorted(tables, key=lambda table: (table.page, table.top))
    for run in runs:
        first = run[0]
        while pending and (pending[0].page, pending[0].top) < (first.page, first.top):
            blocks.append(pending.pop(0).block)
        text = join_lines(line.text for line in run)
        level = None
        if _is_heading_shape(run):  # a row of cells ("Bruttosumme 300,00") is a heading by its size alone
            level = size_levels.get(first.style[0])
            if level is None and first.bold and not body_is_bold and not first.row:
                level = bold_level
            if level is None and len(run) == 1 and not first.row:
                level = legal_heading_level(text)
        if level is None:
            blocks.append(TextBlock(BlockKind.PARAGRAPH, text, first.page))
        elif _continues_heading(blocks[-1] if blocks else None, text, first.page, level):
            blocks[-1] = TextBlock(BlockKind.HEADING, f"{blocks[-1].text} {text}", first.page, level)
        else:
            blocks.append(TextBlock(BlockKind.HEADING, text, first.page, level))
    blocks += [table.block for table in pending]
    return blocks


#: Pages of one PDF Luna reads: a 10 MB file of 100,000 empty pages took 45 s of CPU to refuse, and the
#: upload limit allows five times that. The longest law texts here have about 600 pages.
MAX_PDF_PAGES: Final = 5_000


def pdf_content(data: bytes) -> PdfContent:
    """Read a PDF; raises ``Unprocessable`` for encrypted or damaged files and for too many pages."""
    declared = _declared_pages(data)
    if declared is not None and declared > MAX_PDF_PAGES:
        raise unreadable(
            f"The PDF has {declared:,} pages; Luna reads at most {MAX_PDF_PAGES:,} of one file: split it.",
            Unreadable.DAMAGED,
        )
    try:
        with pdfplumber.open(io.BytesIO(data), laparams={}) as pdf:
            metadata = {key: _metadata_text(value) for key, value in pdf.metadata.items() if value}
            boxes: list[list[Line]] = []
            tables: list[_Table] = []
            heights: dict[int, float] = {}
            for number, page in enumerate(pdf.pages, start=1):
                page_boxes, page_tables = _read_page(page, number)
                heights[number] = float(page.height)
                boxes += page_boxes
                tables += page_tables
                page.close()  # drop the page's parsed objects; long PDFs would otherwise pile them up
            page_count = len(pdf.pages)
    except Exception as exc:  # pdfminer raises many unrelated types on damaged input; all mean "cannot read"
        raise _refusal(exc) from exc
    running = _running_lines(boxes, heights)
    kept = [lines for lines in ([x for x in box if x not in running] for box in boxes) if lines]
    return PdfContent(
        title=metadata.get("Title"),
        blocks=join_split_words(_blocks(kept, tables)),
        pages=page_count,
        metadata={name: metadata[key] for key, name in _METADATA_KEYS.items() if metadata.get(key)},
    )


def _refusal(error: Exception) -> Exception:
    """Why a PDF cannot be read. pdfplumber wraps pdfminer's errors in its own, with an empty message
    ("PdfminerException: "): a password-protected file was reported as damaged."""
    cause = error.args[0] if type(error).__name__ == "PdfminerException" and error.args else error
    if isinstance(cause, PDFPasswordIncorrect):
        return unreadable(
            "The PDF is encrypted with a password; remove the protection and upload it again.",
            Unreadable.ENCRYPTED,
        )
    detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return unreadable(f"The PDF could not be read ({detail}).", Unreadable.DAMAGED)


def _declared_pages(data: bytes) -> int | None:
    """The page count the PDF's page tree declares, read without walking the pages (that alone took most
    of the 45 s); None when it cannot be read, which the full read then reports. A parse of its own:
    refused inside ``pdfplumber.open``, the file took 24 s anyway, since closing it walks every page."""
    try:
        catalog = PDFDocument(PDFParser(io.BytesIO(data))).catalog
        count = resolve1(resolve1(catalog.get("Pages")).get("Count"))
    except Exception:  # encrypted or damaged: pdfplumber's read below says which
        return None
    return count if isinstance(count, int) else None
