"""A chunk's text as a customer reads it: no table pipes, no HTML tags, no Markdown markers.

Chunks keep tables as Markdown (``| Gerät | Leistung | … |``), and documents written in Markdown or
pasted from web pages can carry HTML (``<td>``, ``<br>``, ``&nbsp;``). Shown as they are, a
recommendation card read "| --- | --- |". Here every table row becomes a line that names its columns
("Waschmaschine (40 °C): Leistung 2,0 kW · Energie je Einsatz 0,6 kWh", the same statements answers
quote), HTML becomes the text it shows, and Markdown emphasis, links and heading marks are dropped.

A card shows such a short excerpt; the dialog that shows the passage in full reads it as
:func:`reading_blocks`, where a table stays a table (its header and rows as plain cells).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from luna.domain.answer_tables import is_table, table_rows

#: Characters of a recommendation card's excerpt.
CARD_EXCERPT_CHARS = 200

_HTML_TAG = re.compile(r"</?[a-zA-Z][\w:-]*(?:\s[^<>]*)?/?>")
#: HTML to the text a browser shows, step by step: table rows become Markdown rows (a row of header
#: cells gets a rule below it, so the rows under it name their columns), list items bullets, block ends
#: line breaks; comments, scripts, styles and all other tags go.
_HTML_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.DOTALL | re.IGNORECASE), ""),
    (re.compile(r"(<\s*/\s*th\s*>\s*)<\s*/\s*tr\s*>", re.IGNORECASE), "\\1\n|-|"),
    (re.compile(r"<\s*tr\b[^>]*>", re.IGNORECASE), "\n|"),
    (re.compile(r"<\s*/\s*t[dh]\s*>", re.IGNORECASE), "|"),
    (re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE), "\n- "),
    (re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/table|/ul|/ol)\b[^>]*>", re.IGNORECASE), "\n"),
    (_HTML_TAG, ""),
)
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^[\s|:\-]+$")
_LIST_MARKER = re.compile(r"^\s*[-*+•]\s+")
_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class Table:
    """A Markdown (or HTML) table of a passage, every cell plain text, every row as wide as the header."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


#: A passage read in full: paragraphs (one string, their lines separated by "\n") and tables.
Block = str | Table


def reading_blocks(text: str) -> list[Block]:
    """``text`` in reading order: paragraphs of plain lines (as in :func:`readable_lines`) and tables."""
    blocks: list[Block] = []
    prose: list[str] = []
    table: list[str] = []
    for line in [*_lines(text), ""]:
        if _TABLE_LINE.match(line):
            table.append(line)
            continue
        if table and (found := _table(table)) is not None:
            if prose:
                blocks.append("\n".join(prose))
                prose = []
            blocks.append(found)
            table.clear()
        _flush_table(table, prose)
        if plain := _inline(line):
            prose.append(plain)
        elif prose and not line.strip():  # a blank line ends a paragraph
            blocks.append("\n".join(prose))
            prose = []
    if prose:
        blocks.append("\n".join(prose))
    return blocks


def readable_lines(text: str) -> list[str]:
    """``text`` as lines of plain prose: each paragraph, list item and table row on its own line."""
    readable: list[str] = []
    table: list[str] = []
    for line in [*_lines(text), ""]:
        if _TABLE_LINE.match(line):
            table.append(line)
            continue
        _flush_table(table, readable)
        if plain := _inline(line):
            readable.append(plain)
    return readable


def card_excerpt(text: str, limit: int = CARD_EXCERPT_CHARS) -> str:
    """The start of ``text`` as readable lines, cut at a word before ``limit`` characters."""
    joined = "\n".join(readable_lines(text))
    if len(joined) <= limit:
        return joined
    cut = joined[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > 0 else cut).rstrip(" ·:;,\n") + " …"


def _lines(text: str) -> list[str]:
    return _html_as_text(text).split("\n") if _HTML_TAG.search(text) else text.split("\n")


def _table(lines: list[str]) -> Table | None:
    """Lines of a Markdown table (header, rule, rows) as a :class:`Table`; None when they are none."""
    if not is_table("\n".join(lines)):
        return None
    header, _rule, *body = [_cells(line) for line in lines if line.strip()]
    rows = [row for row in body if any(row)]
    width = max(len(header), *(len(row) for row in rows)) if rows else len(header)
    return Table(_widened(header, width), tuple(_widened(row, width) for row in rows))


def _cells(line: str) -> list[str]:
    return [_inline(cell) for cell in line.strip().strip("|").split("|")]


def _widened(cells: list[str], width: int) -> tuple[str, ...]:
    return tuple(cells + [""] * (width - len(cells)))


def _html_as_text(text: str) -> str:
    """HTML as the text a browser shows, its table rows as Markdown rows (read like any table)."""
    for pattern, replacement in _HTML_STEPS:
        text = pattern.sub(replacement, text)
    return html.unescape(text)


def _flush_table(table: list[str], readable: list[str]) -> None:
    """A Markdown table as one statement per row; rows without a header rule as their cells."""
    if not table:
        return
    block = "\n".join(table)
    if is_table(block):
        readable.extend(_inline(row.text) for row in table_rows(block))
    else:
        for line in table:
            shown = [cell for cell in _cells(line) if cell]
            if shown and not _TABLE_RULE.match(line):
                readable.append(" · ".join(shown))
    table.clear()


def _inline(text: str) -> str:
    """One line without Markdown marks: headings, list bullets, emphasis, code ticks, links, images."""
    text = _HEADING_MARK.sub("", text)
    text = _LIST_MARKER.sub("• ", text)
    text = _LINK.sub(r"\1", _IMAGE.sub(r"\1", text))
    text = _EMPHASIS.sub(r"\2", text)
    return _SPACES.sub(" ", text).strip()
