"""German federal law in its official XML (gesetze-im-internet.de, ``<dokumente><norm>…``) to blocks.

Read as HTML, such a file gives every element's text as a paragraph of its own: the abbreviation before
every section ("StromGVV"), the structure's sort keys ("010"), dates and the table of contents, and the
file name as title. Its structure says what each part is: the first norm's metadata name the law
(``langue``, ``kurzue``, ``jurabk``), a norm with a ``gliederungseinheit`` opens a part ("Teil 1
Allgemeine Bestimmungen", nested by its ``gliederungskennzahl``), a norm with an ``enbez`` is a section
("§ 2 Vertragsschluss") whose ``<P>`` are its paragraphs and ``<DL>`` its enumerations. The blocks are the
ones the Markdown edition of the same law gives (heading levels, "1. …" items, the title with its
abbreviation), so a law reads the same whichever file a customer uploads. Footnotes, tables of contents
and repealed sections' notes ("(weggefallen)" stays as the section's text) are left out as the Markdown
edition leaves them.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from luna.adapters.extract.document import clean_line
from luna.domain.documents import BlockKind, TextBlock, Unreadable, unreadable

_ROOT = re.compile(rb"^(?:\s|<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->)*<dokumente[\s>]", re.DOTALL)
_TABLE_OF_CONTENTS = "Inhaltsübersicht"
#: The kinds of a law's status notes (``standtyp``) as the Markdown edition names them.
_STATUS = {"Stand": "Stand", "Sonst": "Sonstiges", "Neuf": "Neufassung", "Hinweis": "Hinweis"}
#: Digits of ``gliederungskennzahl`` per level ("010" Teil 1, "010020" its Abschnitt 2).
_KEY_DIGITS = 3


def is_law_xml(data: bytes) -> bool:
    """The file is a law in the gesetze-im-internet.de XML format."""
    return _ROOT.match(data[:4096]) is not None and b"<norm" in data[:200_000]


def law_xml_content(data: bytes) -> tuple[str | None, list[TextBlock]]:
    """The law's title and blocks; raises ``Unprocessable`` for a damaged file."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise unreadable(f"The law's XML could not be read ({exc}).", Unreadable.DAMAGED) from exc
    norms = root.findall("norm")
    if not norms:
        return None, []
    title = _title(norms[0])
    blocks = [TextBlock(BlockKind.HEADING, title, level=1)] if title else []
    facts = _facts(norms[0])
    if facts:
        blocks.append(TextBlock(BlockKind.PARAGRAPH, "\n".join(facts)))
    part_level = 1
    for norm in norms[1:]:
        part = norm.find("metadaten/gliederungseinheit")
        if part is not None:
            part_level = _part_level(part)
            text = _joined(part.findtext("gliederungsbez"), part.findtext("gliederungstitel"))
            if text:
                blocks.append(TextBlock(BlockKind.HEADING, text, level=part_level))
            continue
        section = clean_line(norm.findtext("metadaten/enbez") or "")
        if not section or section == _TABLE_OF_CONTENTS:
            continue
        titel = norm.find("metadaten/titel")
        heading = _joined(section, _text(titel) if titel is not None else "")
        blocks.append(TextBlock(BlockKind.HEADING, heading, level=min(part_level + 1, 6)))
        content = norm.find("textdaten/text/Content")
        if content is not None:
            blocks += _content_blocks(content)
    return title, blocks


def _title(norm: etree._Element) -> str | None:
    """ "Verordnung über … (Stromgrundversorgungsverordnung – StromGVV)", as the Markdown edition names it."""
    long_name = clean_line(norm.findtext("metadaten/langue") or "")
    short_name = clean_line(norm.findtext("metadaten/kurzue") or "")
    abbreviation = _abbreviation(norm)
    named = " – ".join(name for name in (short_name, abbreviation) if name)
    if long_name:
        return f"{long_name} ({named})" if named else long_name
    return named or None


def _abbreviation(norm: etree._Element) -> str:
    """The official abbreviation ("EEG 2023"), else the documentation's ("EEG 2014", from the first
    version's year)."""
    official = clean_line(norm.findtext("metadaten/amtabk") or "")
    return official or clean_line(norm.findtext("metadaten/jurabk") or "")


def _facts(norm: etree._Element) -> list[str]:
    meta = norm.find("metadaten")
    if meta is None:
        return []
    found = _joined(meta.findtext("fundstelle/periodikum"), meta.findtext("fundstelle/zitstelle"))
    juris = clean_line(meta.findtext("jurabk") or "")
    facts = [
        ("Abkürzung", _abbreviation(norm)),
        ("Juris-Abkürzung", juris if juris != _abbreviation(norm) else None),
        ("Ausfertigungsdatum", meta.findtext("ausfertigung-datum")),
        ("Fundstelle", found),
    ]
    facts += [
        (
            _STATUS.get(clean_line(status.findtext("standtyp") or ""), "Hinweis"),
            status.findtext("standkommentar"),
        )
        for status in meta.iterfind("standangabe")
    ]
    return [f"- {name}: {clean_line(value)}" for name, value in facts if value and clean_line(value)]


def _part_level(part: etree._Element) -> int:
    key = clean_line(part.findtext("gliederungskennzahl") or "")
    return min(1 + max(1, len(key) // _KEY_DIGITS), 5)


def _content_blocks(content: etree._Element) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    for child in content:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "P":
            blocks += _paragraph_blocks(child)
        elif tag == "DL":
            blocks += _items(child, 0)
        elif tag == "table":
            table = _table(child)
            if table is not None:
                blocks.append(table)
    return blocks


def _paragraph_blocks(paragraph: etree._Element) -> list[TextBlock]:
    """A ``<P>``: its own text, then the enumerations and tables it holds, each a block."""
    blocks: list[TextBlock] = []
    own: list[str] = [paragraph.text or ""]
    for child in paragraph:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("DL", "table"):
            blocks += [_text_block(own)] if clean_line("".join(own)) else []
            own = []
            blocks += _items(child, 0) if tag == "DL" else [t for t in [_table(child)] if t is not None]
        elif tag == "BR":
            own.append(" ")
        elif tag != "FnR":  # a footnote's marker
            own.append(_text(child))
        own.append(child.tail or "")
    if clean_line("".join(own)):
        blocks.append(_text_block(own))
    return blocks


def _items(enumeration: etree._Element, depth: int) -> list[TextBlock]:
    """Each item of a ``<DL>`` as a paragraph "1. …" (nested ones indented), as the Markdown edition has
    them."""
    blocks: list[TextBlock] = []
    marker = ""
    for child in enumeration:
        if child.tag == "DT":
            marker = clean_line(_text(child))
        elif child.tag == "DD":
            text = _item_text(child)
            if text:
                blocks.append(TextBlock(BlockKind.PARAGRAPH, f"{'    ' * depth}{marker} {text}".rstrip()))
            for inner in (dl for dl in child.iter("DL") if _item_of(dl) is child):
                blocks += _items(inner, depth + 1)
    return blocks


def _item_text(item: etree._Element) -> str:
    """An item's text without the enumerations nested in it (their tails, the text after them, kept)."""
    bare = copy.deepcopy(item)
    for nested in list(bare.iter("DL")):
        parent = nested.getparent()
        if parent is None or _item_of(nested) is not bare:
            continue
        previous = nested.getprevious()
        if previous is not None:
            previous.tail = f"{previous.tail or ''} {nested.tail or ''}"
        else:
            parent.text = f"{parent.text or ''} {nested.tail or ''}"
        parent.remove(nested)
    return clean_line(_text(bare))


def _item_of(dl: etree._Element) -> etree._Element | None:
    """The ``<DD>`` a nested enumeration belongs to."""
    parent = dl.getparent()
    while parent is not None and parent.tag != "DD":
        parent = parent.getparent()
    return parent


def _table(table: etree._Element) -> TextBlock | None:
    rows = [[clean_line(_text(entry)) for entry in row.iter("entry")] for row in table.iter("row")]
    return TextBlock.table(rows)


def _text(element: etree._Element) -> str:
    """The element's text, a line break ``<BR/>`` read as a space ("…Absatz 1)<BR/>Technische …")."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(" " if child.tag == "BR" else _text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _text_block(parts: list[str]) -> TextBlock:
    return TextBlock(BlockKind.PARAGRAPH, clean_line("".join(parts)))


def _joined(*parts: str | None) -> str:
    return clean_line(" ".join(part for part in parts if part and part.strip()))
