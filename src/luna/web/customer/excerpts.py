"""A chunk's text as a customer reads it: no table pipes, no HTML tags, no Markdown markers.

Chunks keep tables as Markdown (``| Gerät | Leistung | … |``), and documents written in Markdown or
pasted from web pages can carry HTML (``<td>``, ``<br>``, ``&nbsp;``). Shown as they are, a
recommendation card read "| --- | --- |". Here every table row becomes a line that names its columns
("Waschmaschine (40 °C): Leistung 2,0 kW · Energie je Einsatz 0,6 kWh", the same statements answers
quote), HTML becomes the text it shows, and Markdown emphasis, links and heading marks are dropped.
"""

from __future__ import annotations

import html
import re

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


def readable_lines(text: str) -> list[str]:
    """``text`` as lines of plain prose: each paragraph, list item and table row on its own line."""
    lines = _html_as_text(text).split("\n") if _HTML_TAG.search(text) else text.split("\n")
    readable: list[str] = []
    table: list[str] = []
    for line in [*lines, ""]:
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
            cells = [_inline(cell) for cell in line.strip().strip("|").split("|")]
            shown = [cell for cell in cells if cell]
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
