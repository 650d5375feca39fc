"""Invoices and price lists set their figures apart from their labels, without rules: the figure stays
with its label (``luna.adapters.extract.pdf_rows``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from luna.adapters.extract.local import LocalExtractor
from luna.domain.documents import BlockKind, ExtractedDocument

INVOICE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "corpus"
    / "dokumente"
    / "zugferd-beispielrechnung-elektron.pdf"
)


def invoice_pdf() -> bytes:
    """A bill as utilities set one: totals as label left, amount right; a tax table whose header alone is
    ruled; a chart's axis of years; two columns of prose."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 10, "Stromrechnung 2025", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.ln(4)
    for label, amount in (("Arbeitspreis", "812,40"), ("Grundpreis", "120,00"), ("Zahlbetrag", "932,40")):
        y = pdf.get_y()
        pdf.set_xy(20, y)
        pdf.cell(60, 6, label)
        pdf.set_xy(160, y)
        pdf.cell(30, 6, amount, align="R")
        pdf.ln(8)
    pdf.ln(6)
    y = pdf.get_y()
    for x, header in ((20, "Steuerart"), (80, "Netto"), (140, "Steuer")):
        pdf.set_xy(x, y)
        pdf.cell(60, 7, header, border=1)
    y += 10
    for x, cell in ((22, "Umsatzsteuer"), (82, "932,40"), (142, "177,16")):
        pdf.set_xy(x, y)
        pdf.cell(40, 6, cell)
    pdf.set_xy(20, y + 20)
    for x, year in ((20, "2020"), (60, "2030"), (100, "2040")):
        pdf.set_x(x)
        pdf.cell(20, 6, year)
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def invoice() -> ExtractedDocument:
    return LocalExtractor().extract(invoice_pdf(), "application/pdf", "rechnung.pdf")


def test_an_amount_set_apart_stays_with_its_label(invoice: ExtractedDocument) -> None:
    paragraphs = [block.text for block in invoice.blocks if block.kind is BlockKind.PARAGRAPH]
    assert "Arbeitspreis 812,40" in paragraphs
    assert "Zahlbetrag 932,40" in paragraphs


def test_rows_under_a_ruled_header_become_the_table_s_body(invoice: ExtractedDocument) -> None:
    [table] = [block.text for block in invoice.blocks if block.kind is BlockKind.TABLE]
    assert table.split("\n") == [
        "| Steuerart | Netto | Steuer |",
        "| --- | --- | --- |",
        "| Umsatzsteuer | 932,40 | 177,16 |",
    ]
    assert "177,16" not in " ".join(b.text for b in invoice.blocks if b.kind is not BlockKind.TABLE)


def test_an_axis_of_numbers_alone_is_still_dropped(invoice: ExtractedDocument) -> None:
    assert "2030" not in invoice.text


@pytest.mark.skipif(not INVOICE.exists(), reason="the shared corpus is not beside the repository")
def test_a_real_zugferd_invoice_keeps_its_totals_and_its_full_title() -> None:
    doc = LocalExtractor().extract(INVOICE.read_bytes(), "application/pdf", INVOICE.name)
    paragraphs = [block.text for block in doc.blocks if block.kind is BlockKind.PARAGRAPH]
    assert {"Bruttosumme 300,00", "Zahlbetrag 300,00", "Steuerbetrag 47,90"} <= set(paragraphs)
    assert doc.title == "Baurechnung (204) Nr. 181301674 vom 25.04.2018"
    assert "| Umsatzsteuer S ( ) |  |  | 252,10 | 19 | 47,90 |" in doc.text
