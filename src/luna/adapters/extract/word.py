"""DOCX to blocks with python-docx, walking the document body in reading order.

Word keeps structure explicitly (heading styles, tables, list numbering): paragraphs styled Title or
Heading N become headings with their level, consecutive list paragraphs one paragraph with a line per
item, and tables Markdown tables. A document written without heading styles (a leaflet typed with bold
or larger text for its headings) gets its headings from that formatting, as a PDF's are found: a short
paragraph without a closing full stop, set larger than the body text (levels by size) or all in bold.
Content controls (``w:sdt``, e.g. a cover page) are walked into; headers, footers and comments are not
part of the text.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.styles.style import CharacterStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from luna.adapters.extract.document import clean_line
from luna.domain.chunking import legal_heading_level
from luna.domain.documents import BlockKind, TextBlock, Unreadable, unreadable
from luna.domain.errors import Unprocessable

_HEADING_STYLE = re.compile(r"^(Heading|Überschrift)\s+(\d)$")
_TITLE_STYLES = frozenset({"Title", "Titel"})
logger = logging.getLogger(__name__)
_MAX_UNPACKED_BYTES = 256 * 2**20
_STYLE_DEPTH = 5  # custom styles are based on built-in ones; this many base styles are followed
_HEADING_SIZE_RATIO = 1.15  # as for PDF headings
_MAX_HEADING_CHARS = 150
_DEFAULT_BODY_POINTS = 11.0  # Word's body text when no run says otherwise


@dataclass(frozen=True, slots=True)
class WordContent:
    title: str | None
    blocks: list[TextBlock]
    metadata: dict[str, str]


class _Styles:
    """Heading level and name of each paragraph style, looked up once per document: python-docx finds a
    paragraph's style (the default one by scanning every style) on each ``paragraph.style``, 8 ms a
    paragraph, so a 43 KB file of 2 MB plain paragraphs kept a core busy for four minutes."""

    def __init__(self) -> None:
        self._known: dict[str | None, tuple[int | None, str]] = {}

    def heading_level(self, paragraph: Paragraph) -> int | None:
        return self._facts(paragraph)[0]

    def is_list_item(self, paragraph: Paragraph) -> bool:
        properties = paragraph._p.pPr
        numbered = properties is not None and properties.numPr is not None
        return numbered or self._facts(paragraph)[1].startswith("List")

    def _facts(self, paragraph: Paragraph) -> tuple[int | None, str]:
        style_id: str | None = paragraph._p.style
        if style_id not in self._known:
            style = paragraph.style
            name = (style.name or "") if style is not None else ""
            self._known[style_id] = (_style_level(style), name)
        return self._known[style_id]


def _style_level(style: CharacterStyle | None) -> int | None:
    for _ in range(_STYLE_DEPTH):
        if style is None:
            return None
        name = style.name or ""
        if name in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(2))
        style = style.base_style
    return None


def _body_items(document: Document) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of the body in order, including those inside content controls."""

    def walk(parent: object) -> Iterator[Paragraph | Table]:
        for child in parent.iterchildren():  # type: ignore[attr-defined]
            if child.tag == qn("w:p"):
                yield Paragraph(child, document._body)
            elif child.tag == qn("w:tbl"):
                yield Table(child, document._body)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from walk(content)

    yield from walk(document.element.body)


def _table_block(table: Table) -> TextBlock | None:
    return TextBlock.table([[cell.text for cell in row.cells] for row in table.rows])


def _formatted_levels(paragraphs: list[Paragraph]) -> dict[int, int]:
    """Heading levels of paragraphs set as headings by direct formatting (by ``id`` of the paragraph),
    for a document that uses no heading style."""
    sizes: Counter[float | None] = Counter()
    bold = total = 0
    for paragraph in paragraphs:
        for run in paragraph.runs:
            sizes[_points(run.font.size)] += len(run.text)
            bold, total = bold + (len(run.text) if run.bold else 0), total + len(run.text)
    body = sizes.most_common(1)[0][0] if sizes else None
    bold_body = bold > total / 2  # a document set all in bold: boldness tells nothing
    shaped = [p for p in paragraphs if _heading_shape(p.text)]
    larger = sorted(
        {size for p in shaped if (size := _size(p)) is not None and _bigger(size, body)}, reverse=True
    )
    levels = {size: rank for rank, size in enumerate(larger, start=1)}
    bold_level = min(len(levels) + 1, 6)
    found: dict[int, int] = {}
    for paragraph in shaped:
        size = _size(paragraph)
        if size is not None and size in levels:
            found[id(paragraph)] = min(levels[size], 6)
        elif not bold_body and all(run.bold for run in paragraph.runs if run.text.strip()):
            found[id(paragraph)] = bold_level
    return found


def _points(size: object) -> float | None:
    return None if size is None else round(float(getattr(size, "pt", 0.0)) * 2) / 2


def _size(paragraph: Paragraph) -> float | None:
    """The font size all of the paragraph's text is set in (None: inherited, or mixed)."""
    sizes = {_points(run.font.size) for run in paragraph.runs if run.text.strip()}
    return sizes.pop() if len(sizes) == 1 else None


def _bigger(size: float, body: float | None) -> bool:
    return size >= (body or _DEFAULT_BODY_POINTS) * _HEADING_SIZE_RATIO


def _heading_shape(text: str) -> bool:
    flat = " ".join(text.split())
    return (
        0 < len(flat) <= _MAX_HEADING_CHARS
        and not flat.endswith((".", ",", ";"))
        and any(c.isalpha() for c in flat)
    )


def _blocks(document: Document) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    list_lines: list[str] = []
    items = list(_body_items(document))
    paragraphs = [item for item in items if isinstance(item, Paragraph)]
    styles = _Styles()
    styled = any(styles.heading_level(paragraph) is not None for paragraph in paragraphs)
    formatted = {} if styled else _formatted_levels([p for p in paragraphs if not styles.is_list_item(p)])

    def close_list() -> None:
        if list_lines:
            blocks.append(TextBlock(BlockKind.PARAGRAPH, "\n".join(list_lines)))
            list_lines.clear()

    for item in items:
        if isinstance(item, Table):
            close_list()
            table = _table_block(item)
            if table is not None:
                blocks.append(table)
            continue
        text = "\n".join(clean_line(line) for line in item.text.split("\n") if line.strip())
        if not text:
            continue
        if styles.is_list_item(item) and styles.heading_level(item) is None:
            list_lines.append(f"- {text}")
            continue
        close_list()
        level = styles.heading_level(item) or formatted.get(id(item)) or legal_heading_level(text)
        kind = BlockKind.HEADING if level is not None else BlockKind.PARAGRAPH
        blocks.append(TextBlock(kind, " ".join(text.split()) if level else text, level=level))
    close_list()
    return blocks


def _metadata(document: Document) -> dict[str, str]:
    props = document.core_properties
    values: dict[str, str | datetime | None] = {
        "author": props.author,
        "subject": props.subject,
        "keywords": props.keywords,
        "created": props.created,
        "modified": props.modified,
    }
    return {
        key: value.isoformat() if isinstance(value, datetime) else clean_line(value)
        for key, value in values.items()
        if value
    }


def _check_unpacked_size(data: bytes) -> None:
    """Refuse archives that inflate far beyond any real document (a "zip bomb") before parsing them."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > _MAX_UNPACKED_BYTES:
        limit = _MAX_UNPACKED_BYTES // 2**20
        raise Unprocessable(
            f"The DOCX file unpacks to {unpacked // 2**20} MiB, more than the {limit} MiB allowed."
        )


def word_content(data: bytes) -> WordContent:
    """Read a DOCX; raises ``Unprocessable`` for damaged files and other Word formats (e.g. .docm)."""
    _check_unpacked_size(data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(document)
    except Exception as exc:  # python-docx, lxml and zipfile raise many types on damaged input
        # The library's own words (class names, member names, attribute errors) help a developer, not
        # the person who uploaded the file: they go to the log, the answer names the problem.
        logger.info("unreadable DOCX: %s: %s", type(exc).__name__, exc)
        raise unreadable(
            "The DOCX file is damaged or not a Word document (it could not be unpacked and read).",
            Unreadable.DAMAGED,
        ) from exc
    return WordContent(document.core_properties.title or None, blocks, _metadata(document))
