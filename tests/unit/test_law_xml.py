"""A law in its official XML (gesetze-im-internet.de) reads like its Markdown edition: title with its
abbreviation, parts and sections as headings, enumerations as items (``luna.adapters.extract.law_xml``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from luna.adapters.extract.local import LocalExtractor
from luna.domain.chunking import chunk_document
from luna.domain.documents import BlockKind
from luna.domain.errors import Unprocessable

LAWS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "gesetze"

LAW = """<?xml version="1.0" encoding="UTF-8"?>
<dokumente doknr="BJNR0001"><norm doknr="BJNR0001"><metadaten><jurabk>MusterG 2020</jurabk>
<amtabk>MusterG</amtabk><ausfertigung-datum>2020-01-02</ausfertigung-datum>
<fundstelle><periodikum>BGBl I</periodikum><zitstelle>2020, 1</zitstelle></fundstelle>
<kurzue>Mustergesetz</kurzue><langue>Gesetz über das Muster</langue>
<standangabe><standtyp>Stand</standtyp><standkommentar>Zuletzt geändert 2025</standkommentar></standangabe>
</metadaten><textdaten><text format="XML"><Content><P></P></Content></text>
<fussnoten><Content><P>(+++ Textnachweis ab: 2020 +++)</P></Content></fussnoten></textdaten></norm>
<norm><metadaten><jurabk>MusterG 2020</jurabk><enbez>Inhaltsübersicht</enbez></metadaten>
<textdaten><text format="XML"><Content><P>§ 1 Zweck</P></Content></text></textdaten></norm>
<norm><metadaten><jurabk>MusterG 2020</jurabk><gliederungseinheit>
<gliederungskennzahl>010</gliederungskennzahl><gliederungsbez>Teil 1</gliederungsbez>
<gliederungstitel>Allgemeines</gliederungstitel></gliederungseinheit>
</metadaten></norm>
<norm><metadaten><jurabk>MusterG 2020</jurabk><enbez>§ 1</enbez>
<titel format="XML">Pflichten</titel></metadaten>
<textdaten><text format="XML"><Content><P>(1) Der Lieferant muss angeben:<DL Type="arabic"><DT>1.</DT>
<DD><LA>den Preis,</LA></DD><DT>2.</DT><DD><LA>die Frist, und zwar<DL Type="alpha"><DT>a)</DT>
<DD><LA>in Tagen</LA></DD></DL></LA></DD></DL></P><P>(2) Die Frist beträgt zwei Wochen.</P></Content></text>
</textdaten></norm>
</dokumente>
"""


@pytest.fixture(scope="module")
def law() -> list[tuple[str, int | None, str]]:
    doc = LocalExtractor().extract(LAW.encode(), "application/xml", "musterg.xml")
    assert doc.title == "Gesetz über das Muster (Mustergesetz – MusterG)"
    return [(block.kind.name, block.level, block.text) for block in doc.blocks]


def test_the_title_facts_parts_and_sections_become_headings_and_paragraphs(
    law: list[tuple[str, int | None, str]],
) -> None:
    assert law[:4] == [
        ("HEADING", 1, "Gesetz über das Muster (Mustergesetz – MusterG)"),
        (
            "PARAGRAPH",
            None,
            "- Abkürzung: MusterG\n- Juris-Abkürzung: MusterG 2020\n- Ausfertigungsdatum: 2020-01-02\n"
            "- Fundstelle: BGBl I 2020, 1\n- Stand: Zuletzt geändert 2025",
        ),
        ("HEADING", 2, "Teil 1 Allgemeines"),
        ("HEADING", 3, "§ 1 Pflichten"),
    ]


def test_enumerations_are_items_nested_ones_indented(law: list[tuple[str, int | None, str]]) -> None:
    assert [text for _, _, text in law[4:]] == [
        "(1) Der Lieferant muss angeben:",
        "1. den Preis,",
        "2. die Frist, und zwar",
        "    a) in Tagen",
        "(2) Die Frist beträgt zwei Wochen.",
    ]


def test_footnotes_the_table_of_contents_and_sort_keys_are_left_out(
    law: list[tuple[str, int | None, str]],
) -> None:
    text = " ".join(text for _, _, text in law)
    assert "Textnachweis" not in text and "Inhaltsübersicht" not in text and "010" not in text


def test_a_damaged_law_file_is_unprocessable_and_says_why() -> None:
    with pytest.raises(Unprocessable, match="XML could not be read"):
        LocalExtractor().extract(LAW.encode()[:700], "application/xml", "musterg.xml")


@pytest.mark.skipif(not (LAWS / "xml").is_dir(), reason="the shared corpus is not beside the repository")
@pytest.mark.parametrize("name", ["stromgvv", "geg"])
def test_the_official_xml_reads_like_the_markdown_edition(name: str) -> None:
    extractor = LocalExtractor()
    xml = extractor.extract((LAWS / "xml" / f"{name}.xml").read_bytes(), "application/xml", f"{name}.xml")
    markdown = extractor.extract((LAWS / f"{name}.md").read_bytes(), "text/markdown", f"{name}.md")

    assert (xml.title, xml.blocks[1]) == (markdown.title, markdown.blocks[1])
    headings = [b.text for b in xml.blocks if b.kind is BlockKind.HEADING]
    assert headings == [b.text for b in markdown.blocks if b.kind is BlockKind.HEADING]
    xml_chunks, markdown_chunks = chunk_document(xml), chunk_document(markdown)
    assert abs(len(xml_chunks) - len(markdown_chunks)) <= len(markdown_chunks) // 10
