"""A Word document typed without heading styles gets its headings from bold or larger text, as people
write leaflets (``luna.adapters.extract.word``)."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from luna.adapters.extract.local import LocalExtractor
from luna.domain import media_types


def _extract(document: object) -> list[tuple[str, int | None, str]]:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    doc = LocalExtractor().extract(buffer.getvalue(), media_types.DOCX, "merkblatt.docx")
    return [(block.kind.name, block.level, block.text) for block in doc.blocks]


def _leaflet(bold_body: bool = False) -> object:
    document = Document()
    title = document.add_paragraph().add_run("Merkblatt Wärmepumpentarif")
    title.bold, title.font.size = True, Pt(18)
    document.add_paragraph().add_run("Voraussetzungen").bold = True
    body = document.add_paragraph().add_run("Der Tarif setzt einen separaten Zähler voraus.")
    body.bold = bold_body
    document.add_paragraph().add_run("Preise").bold = True
    document.add_paragraph("Kurze Zeile ohne Punkt")
    return document


def test_larger_and_bold_paragraphs_are_headings_by_size_then_boldness() -> None:
    assert _extract(_leaflet()) == [
        ("HEADING", 1, "Merkblatt Wärmepumpentarif"),
        ("HEADING", 2, "Voraussetzungen"),
        ("PARAGRAPH", None, "Der Tarif setzt einen separaten Zähler voraus."),
        ("HEADING", 2, "Preise"),
        ("PARAGRAPH", None, "Kurze Zeile ohne Punkt"),
    ]


def test_in_a_document_set_all_in_bold_only_size_makes_a_heading() -> None:
    document = _leaflet(bold_body=True)
    for run in document.paragraphs[-1].runs:  # type: ignore[attr-defined]
        run.bold = True
    blocks = _extract(document)
    assert [text for kind, _, text in blocks if kind == "HEADING"] == ["Merkblatt Wärmepumpentarif"]


def test_a_document_with_heading_styles_keeps_them_alone() -> None:
    document = Document()
    document.add_heading("Tarife", level=1)
    document.add_paragraph().add_run("Nur fett").bold = True
    document.add_paragraph("Text.")
    assert _extract(document) == [
        ("HEADING", 1, "Tarife"),
        ("PARAGRAPH", None, "Nur fett"),
        ("PARAGRAPH", None, "Text."),
    ]


def test_each_paragraph_style_is_looked_up_once_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-docx scans every style for a paragraph's default one on each ``paragraph.style`` (8 ms a
    paragraph): a 43 KB file of short plain paragraphs kept a core busy for four minutes."""
    document = Document()
    document.add_heading("Netzentgelte", 1)
    for number in range(300):
        document.add_paragraph(f"Absatz {number} über den Arbeitspreis.")
    document.add_paragraph("Grundpreis", style="List Bullet")
    looked_up: list[object] = []
    style = Paragraph.style

    def counted(paragraph: Paragraph) -> object:
        looked_up.append(paragraph)
        return style.fget(paragraph)  # type: ignore[misc]

    monkeypatch.setattr(Paragraph, "style", property(counted, style.fset))
    blocks = _extract(document)
    assert blocks[0] == ("HEADING", 1, "Netzentgelte") and blocks[-1][2] == "- Grundpreis"
    assert len(blocks) == 302 and len(looked_up) <= 3  # heading, body and list style
