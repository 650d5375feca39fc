"""Behaviour suite for the Extractor port, on LocalExtractor and on TikaExtractor.

No Tika server can run on this machine (no Java, no Tika jar offline), so TikaExtractor is held to
Tika's REST protocol instead: a protocol test server (``TikaProtocolServer`` below, an ``http.server``
thread on 127.0.0.1) implements ``PUT /rmeta/html`` by returning fixed answers in Tika's format (JSON
metadata list with the XHTML text in ``X-TIKA:content``) for the sample documents, HTTP 422 for anything
it does not know, as Tika does for unparseable input, and ``GET /version``.

The samples are Luna's German demo documents in ``docs/samples`` (made by ``docs/make_samples.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from luna.adapters.extract import pdf as pdf_module
from luna.adapters.extract.local import LocalExtractor
from luna.adapters.extract.tika import TikaExtractor
from luna.domain import media_types
from luna.domain.chunking import chunk_document
from luna.domain.documents import BlockKind, ExtractedDocument
from luna.domain.errors import Unavailable, Unprocessable, UnsupportedType
from luna.domain.health import HealthStatus
from luna.ports.extract import Extractor

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
PDF_SAMPLE = (SAMPLES / "netzentgelte-2026.pdf").read_bytes()
DOCX_SAMPLE = (SAMPLES / "waermepumpe-im-einfamilienhaus.docx").read_bytes()
MD_SAMPLE = (SAMPLES / "stromtarife-und-lastverschiebung.md").read_bytes()
HTML_SAMPLE = (SAMPLES / "foerderung-heizungstausch.html").read_bytes()
LAW_TEXT = """Verordnung über Musterentgelte

§ 1 Anwendungsbereich
Diese Verordnung gilt für Netzbetreiber, z. B. Verteilernetzbetreiber.

§ 2 Begriffsbestimmungen
(1) Netzentgelt ist das Entgelt für die Nutzung des Netzes.
(2) Die Regelung nach § 1 Abs. 1 gilt entsprechend.
"""


def _text_less_pdf() -> bytes:
    """A scan-like PDF: one page with a drawn rectangle and no text objects."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


TEXT_LESS_PDF = _text_less_pdf()


def _tika_answer(xhtml_body: str, **metadata: Any) -> list[dict[str, Any]]:
    content = f'<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n<title></title>\n</head>\n<body>{xhtml_body}</body></html>'
    return [
        {"X-TIKA:content": content, "X-TIKA:Parsed-By": ["org.apache.tika.parser.DefaultParser"], **metadata}
    ]


# What Tika 3 answers for the sample PDF (abridged): one div per page, text without table structure.
TIKA_PDF = _tika_answer(
    """<div class="page"><p/>
<p>Netzentgelte 2026
Die Stadtwerke Musterstadt Netz GmbH veröffentlicht hiermit die ab dem 1. Januar 2026 geltenden
Entgelte für die Nutzung des Stromverteilernetzes. Gegenüber dem Vorjahr sinkt der Arbeitspreis für
Haushaltskunden um 0,9 ct/kWh, weil der Bund seit 2025 einen Teil der Kosten für den Ausbau der
Übertragungsnetze trägt.</p>
<p>Preisblatt Niederspannung
Kundengruppe Grundpreis (€/a) Arbeitspreis (ct/kWh)
Haushalt ohne Leistungsmessung (SLP) 60,00 8,12 –</p>
<p/>
</div>
<div class="page"><p/>
<p>Steuerbare Verbrauchseinrichtungen nach § 14a EnWG
Für Wärmepumpen, Wallboxen, Klimaanlagen und Batteriespeicher mit mehr als 4,2 kW Anschlussleistung
gewährt der Netzbetreiber ein reduziertes Netzentgelt.</p>
<p/>
</div>
""",
    **{
        "Content-Type": "application/pdf",
        "xmpTPg:NPages": "2",
        "dc:title": "Netzentgelte 2026",
        "dc:creator": "Stadtwerke Musterstadt Netz GmbH",
        "dcterms:created": "2026-01-15T09:00:00Z",
    },
)
# What Tika 3 answers for the sample DOCX (abridged): Title and Heading N styles as h1/hN, tables as tables.
TIKA_DOCX = _tika_answer(
    """<h1 class="title">Wärmepumpe im Einfamilienhaus</h1>
<p>Eine Wärmepumpe entzieht der Umgebung (Luft, Erdreich oder Grundwasser) Wärme.</p>
<h1>Auslegung</h1>
<h2>Heizlast</h2>
<p>Grundlage jeder Planung ist die raumweise Heizlastberechnung nach DIN EN 12831.</p>
<h2>Vorlauftemperatur und Jahresarbeitszahl</h2>
<table><tbody>
<tr><td><p>Gebäude</p></td><td><p>Baujahr</p></td><td><p>Heizlast</p></td></tr>
<tr><td><p>Neubau (KfW 40)</p></td><td><p>2022</p></td><td><p>4,5 kW</p></td></tr>
<tr><td><p>unsaniert</p></td><td><p>1958</p></td><td><p>14,0 kW</p></td></tr>
</tbody></table>
<h1>Betrieb und Stromtarif</h1>
<ul><li>Warmwasser in den Mittagsstunden bereiten, wenn der Strom am günstigsten ist.</li></ul>
""",
    **{"dc:title": "Wärmepumpe im Einfamilienhaus", "dc:creator": "Energieberatung Musterstadt"},
)
TIKA_TEXT_LESS = _tika_answer('<div class="page"><p/>\n</div>\n', **{"xmpTPg:NPages": "1"})


class TikaProtocolServer:
    """Protocol test server: answers Tika's REST calls with fixed answers chosen by the body's SHA-256."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, Any]] = {
            hashlib.sha256(PDF_SAMPLE).hexdigest(): (200, TIKA_PDF),
            hashlib.sha256(DOCX_SAMPLE).hexdigest(): (200, TIKA_DOCX),
            hashlib.sha256(TEXT_LESS_PDF).hexdigest(): (200, TIKA_TEXT_LESS),
        }
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.stall = threading.Event()  # while clear, bodies answered with STALL never get an answer
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> TikaProtocolServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stall.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, data: bytes, status: int, payload: Any) -> None:
        self.answers[hashlib.sha256(data).hexdigest()] = (status, payload)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/version":
                    self._send(200, b"Apache Tika 3.2.3\n", "text/plain")
                else:
                    self._send(404, b"Not Found", "text/plain")

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(("PUT", self.path, dict(self.headers.items())))
                if self.path != "/rmeta/html":
                    self._send(404, b"Not Found", "text/plain")
                    return
                status, payload = server.answers.get(hashlib.sha256(body).hexdigest(), (422, None))
                if payload == "STALL":
                    server.stall.wait(timeout=30)
                    return
                if payload is None:
                    self._send(status, b"Unprocessable Entity", "text/plain")
                    return
                self._send(status, json.dumps(payload).encode(), "application/json")

        return Handler


@pytest.fixture(scope="module")
def tika_server() -> Iterator[TikaProtocolServer]:
    with TikaProtocolServer() as server:
        yield server


@pytest.fixture(scope="module", params=["local", "tika"])
def extractor(request: pytest.FixtureRequest, tika_server: TikaProtocolServer) -> Iterator[Extractor]:
    if request.param == "local":
        yield LocalExtractor()
        return
    tika = TikaExtractor(tika_server.url, timeout_sec=10)
    yield tika
    tika.close()


@pytest.fixture(scope="module")
def extracted(extractor: Extractor) -> dict[str, ExtractedDocument]:
    """Each sample extracted once per extractor (PDF parsing is the slow part of this suite)."""
    return {
        "pdf": extractor.extract(PDF_SAMPLE, "application/pdf", "netzentgelte-2026.pdf"),
        "docx": extractor.extract(DOCX_SAMPLE, media_types.DOCX, "waermepumpe-im-einfamilienhaus.docx"),
        "md": extractor.extract(MD_SAMPLE, "text/markdown", "stromtarife-und-lastverschiebung.md"),
        "html": extractor.extract(HTML_SAMPLE, "text/html", "foerderung-heizungstausch.html"),
    }


def _headings(doc: ExtractedDocument) -> list[tuple[str, int | None]]:
    return [(block.text, block.level) for block in doc.blocks if block.kind is BlockKind.HEADING]


# --- the behaviour every extractor shares -------------------------------------------------------------


def test_pdf_blocks_carry_their_page_numbers(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["pdf"]
    assert (doc.media_type, doc.title, doc.pages) == (media_types.PDF, "Netzentgelte 2026", 2)
    assert {block.page for block in doc.blocks} == {1, 2}
    page_two = " ".join(block.text for block in doc.blocks if block.page == 2)
    assert "Steuerbare Verbrauchseinrichtungen nach § 14a EnWG" in page_two
    assert "Übertragungsnetze" not in page_two
    assert doc.metadata["author"] == "Stadtwerke Musterstadt Netz GmbH"


FRONT_MATTER = """---
title: Einspeisevergütung Leitfaden
author: Max Mustermann
date: 2026-01-01
tags: [pv, eeg]
---
# Vergütung

Die Einspeisevergütung beträgt 8,03 ct/kWh.
"""


def test_markdown_front_matter_gives_title_and_metadata_and_is_no_text(extractor: Extractor) -> None:
    """Read as a rule and a setext heading, the whole YAML block was the title customers saw."""
    doc = extractor.extract(FRONT_MATTER.encode(), "text/markdown", "leitfaden.md")

    assert doc.title == "Einspeisevergütung Leitfaden"
    assert doc.metadata == {"author": "Max Mustermann", "tags": "pv, eeg", "date": "2026-01-01"}
    assert [block.text for block in doc.blocks] == [
        "Vergütung",
        "Die Einspeisevergütung beträgt 8,03 ct/kWh.",
    ]


@pytest.mark.parametrize(
    "opening",
    [
        "---\nStand: 2024\n---\n",
        "---\ntitle: [nicht geschlossen\n---\n",
        "---\n\nText\n\n---\n",
        "---\ntitle: Preisblatt\ndate: 2024-02-30\n---\n",  # a date PyYAML cannot build: ValueError, 500
        "---\ntitle: Preisblatt\nx: " + "[" * 5000 + "\n---\n",  # RecursionError
        '---\ntitle: x\na: &a ["l","l","l"]\nb: &b [*a,*a,*a]\ntags: *b\n---\n',  # aliases
    ],
)
def test_a_leading_rule_that_is_no_front_matter_stays_text(extractor: Extractor, opening: str) -> None:
    doc = extractor.extract(f"{opening}\nDanach.\n".encode(), "text/markdown", "regeln.md")

    assert doc.blocks[-1].text == "Danach." and len(doc.blocks) >= 2
    assert doc.metadata == {}


def test_docx_headings_keep_their_levels_and_tables_their_header(
    extracted: dict[str, ExtractedDocument],
) -> None:
    doc = extracted["docx"]
    assert doc.title == "Wärmepumpe im Einfamilienhaus"
    headings = _headings(doc)
    assert headings[0] == ("Wärmepumpe im Einfamilienhaus", 1), "the Title style is a top-level heading"
    assert ("Auslegung", 1) in headings and ("Heizlast", 2) in headings
    assert headings.index(("Auslegung", 1)) < headings.index(("Heizlast", 2))
    [table, *_] = [block for block in doc.blocks if block.kind is BlockKind.TABLE]
    header, rule, *rows = table.text.split("\n")
    assert header.startswith("| Gebäude | Baujahr | Heizlast |") and rule.startswith("| --- |")
    assert rows[0].startswith("| Neubau (KfW 40) | 2022 | 4,5 kW |")


def test_markdown_keeps_headings_paragraphs_and_tables(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["md"]
    assert doc.title == "Stromtarife und Lastverschiebung"
    assert ("Lastverschiebung im Haushalt", 2) in _headings(doc)
    assert ("Rechenbeispiel Waschmaschine", 3) in _headings(doc)
    [table] = [block for block in doc.blocks if block.kind is BlockKind.TABLE]
    assert table.text.split("\n")[0] == "| Gerät | Leistung | Energie je Einsatz | verschiebbar |"
    assert "| Wärmepumpe | 2,5 kW | 15 bis 40 kWh pro Tag | teilweise, mit Pufferspeicher |" in table.text


def test_html_keeps_the_main_content_without_navigation(extracted: dict[str, ExtractedDocument]) -> None:
    doc = extracted["html"]
    assert doc.title == "Förderung für den Heizungstausch 2026"
    assert ("Zuschüsse im Überblick", 2) in _headings(doc)
    assert any(
        b.kind is BlockKind.TABLE and "| Klimageschwindigkeitsbonus | 20 % |" in b.text for b in doc.blocks
    )
    for boilerplate in (
        "Startseite",
        "Beratungstermine",
        "Impressum",
        "Newsletter",
        "dataLayer",
        "font-family",
    ):
        assert boilerplate not in doc.text


@pytest.mark.parametrize(
    ("sample", "words"),
    [
        ("pdf", ["veröffentlicht", "Übertragungsnetze", "Wärmepumpen", "Grundpreis (€/a)"]),
        ("docx", ["Wärmepumpe", "Gebäude", "günstigsten"]),
        ("md", ["größte", "Überlastung", "Gerät", "Börsenpreis"]),
        ("html", ["Förderfähige Kosten", "Umfeldmaßnahmen", "Öl- oder Gasheizung"]),
    ],
)
def test_umlauts_and_sharp_s_survive(
    extracted: dict[str, ExtractedDocument], sample: str, words: list[str]
) -> None:
    text = extracted[sample].text
    assert all(word in text for word in words), [word for word in words if word not in text]


def test_law_lines_in_plain_text_become_headings(extractor: Extractor) -> None:
    doc = extractor.extract(LAW_TEXT.encode(), "text/plain", "musterentgelte.txt")
    assert doc.media_type == media_types.PLAIN_TEXT
    assert _headings(doc) == [
        ("Verordnung über Musterentgelte", 1),
        ("§ 1 Anwendungsbereich", 5),
        ("§ 2 Begriffsbestimmungen", 5),
    ]
    assert doc.title == "Verordnung über Musterentgelte"
    chunks = chunk_document(doc)
    assert [(chunk.section, chunk.text[:3]) for chunk in chunks] == [
        ("§ 1 Anwendungsbereich", "Die"),
        ("§ 2 Begriffsbestimmungen", "(1)"),
    ]
    assert chunks[1].text.split("\n")[1] == "(2) Die Regelung nach § 1 Abs. 1 gilt entsprechend."


def test_latin1_text_is_read_with_its_umlauts(extractor: Extractor) -> None:
    doc = extractor.extract("Größere Wärmepumpen für Straßenzüge.".encode("cp1252"), "text/plain", "alt.txt")
    assert doc.text == "Größere Wärmepumpen für Straßenzüge."


def test_the_content_decides_not_the_name_or_declared_type(
    extractor: Extractor, extracted: dict[str, ExtractedDocument]
) -> None:
    doc = extractor.extract(PDF_SAMPLE, "text/plain", "notiz.txt")
    assert doc.media_type == media_types.PDF and doc.blocks == extracted["pdf"].blocks


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "PNG image"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "ELF executable"),
        ("Rechnung März: 120 €".encode(), "declared as application/pdf, a binary format, but the content is"),
    ],
)
def test_unsupported_formats_are_refused(extractor: Extractor, data: bytes, detected: str) -> None:
    with pytest.raises(UnsupportedType, match=detected):
        extractor.extract(data, "application/pdf", "rechnung.pdf")


def test_a_zip_that_is_not_a_word_file_is_refused(extractor: Extractor) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedType, match="Excel workbook"):
        extractor.extract(buffer.getvalue(), media_types.DOCX, "tabelle.docx")


def test_empty_input_is_unprocessable(extractor: Extractor) -> None:
    with pytest.raises(Unprocessable, match="empty"):
        extractor.extract(b"", "text/plain", "leer.txt")


def test_a_pdf_without_text_is_unprocessable_and_says_why(extractor: Extractor) -> None:
    with pytest.raises(Unprocessable, match=r"No text found.*OCR is not available"):
        extractor.extract(TEXT_LESS_PDF, "application/pdf", "scan.pdf")


def test_health_reports_up_with_versions(extractor: Extractor) -> None:
    health = extractor.health()
    assert health.status is HealthStatus.UP and health.name == "extract"
    assert health.version


# --- LocalExtractor: what only in-process parsing gives ---------------------------------------------


@pytest.fixture(scope="module")
def local() -> LocalExtractor:
    return LocalExtractor()


@pytest.fixture(scope="module")
def local_pdf(local: LocalExtractor) -> ExtractedDocument:
    return local.extract(PDF_SAMPLE, "application/pdf", "netzentgelte-2026.pdf")


def test_pdf_tables_are_tables_with_header_rows_intact(local_pdf: ExtractedDocument) -> None:
    tables = [block for block in local_pdf.blocks if block.kind is BlockKind.TABLE]
    assert [table.page for table in tables] == [1, 2]
    prices = tables[0].text.split("\n")
    assert (
        prices[0] == "| Kundengruppe | Grundpreis (€/a) | Arbeitspreis (ct/kWh) | Leistungspreis (€/kW/a) |"
    )
    assert "| Haushalt ohne Leistungsmessung (SLP) | 60,00 | 8,12 | – |" in prices
    assert "| Gewerbe ohne Leistungsmessung (SLP) | 85,00 | 7,64 | – |" in prices, (
        "a wrapped cell stays in its row"
    )
    assert len(prices) == 2 + 5
    paragraphs = " ".join(block.text for block in local_pdf.blocks if block.kind is BlockKind.PARAGRAPH)
    assert "60,00" not in paragraphs, "table cells must not leak into the running text"


def test_pdf_headings_come_from_font_size_and_running_footers_are_dropped(
    local_pdf: ExtractedDocument,
) -> None:
    assert _headings(local_pdf) == [
        ("Netzentgelte 2026", 1),
        ("Preisblatt Niederspannung", 2),
        ("Steuerbare Verbrauchseinrichtungen nach § 14a EnWG", 2),
        ("Hinweise", 2),
    ]
    assert "Seite 1 von 2" not in local_pdf.text


def test_pdf_chunks_cite_pages_and_keep_the_price_table_whole(local_pdf: ExtractedDocument) -> None:
    chunks = chunk_document(local_pdf)
    [prices] = [chunk for chunk in chunks if chunk.kind == "table" and "Kundengruppe" in chunk.text]
    assert (prices.page, prices.section) == (1, "Preisblatt Niederspannung")
    assert {chunk.page for chunk in chunks} == {1, 2}


def _two_column_pdf() -> bytes:
    """Two columns of body text under a heading, with a hyphenated line break in each column."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 10, "Zweispaltiger Bericht", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    top = pdf.get_y() + 4
    left = "Links steht die erste Spalte. Die Wärme-\npumpe läuft im Winter. Das Strom-\nund Gasnetz bleibt."
    right = "Rechts steht die zweite Spalte. Sie beschreibt die Photovoltaik auf dem Dach der Schule."
    pdf.set_xy(15, top)
    pdf.multi_cell(80, 5, left)
    pdf.set_xy(110, top)
    pdf.multi_cell(80, 5, right)
    return bytes(pdf.output())


def test_pdf_columns_are_read_one_after_the_other_with_hyphenation_undone(local: LocalExtractor) -> None:
    doc = local.extract(_two_column_pdf(), "application/pdf", "bericht.pdf")
    assert _headings(doc) == [("Zweispaltiger Bericht", 1)]
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [
        "Links steht die erste Spalte. Die Wärmepumpe läuft im Winter. Das Strom- und Gasnetz bleibt.",
        "Rechts steht die zweite Spalte. Sie beschreibt die Photovoltaik auf dem Dach der Schule.",
    ]


def _report_with_folios() -> bytes:
    """Two pages whose top margin holds the page number beside the chapter's name, as brochures set it
    (a different name on each page, so it does not repeat), and a numbered figure caption in the body."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    for folio, body in (
        ("3 | KLIMAZIEL 2040", "1 | Der Wärmebedarf wird zu 68 % aus fossilen Energieträgern gedeckt."),
        ("ENERGIE- UND KLIMAKONZEPT | 4", "Die Stadtverwaltung wird bis 2035 klimaneutral."),
    ):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(15, 8)
        pdf.cell(0, 5, folio)
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(15, 60)
        pdf.multi_cell(170, 5, body)
    return bytes(pdf.output())


def test_pdf_folios_are_dropped_and_numbered_captions_kept(local: LocalExtractor) -> None:
    doc = local.extract(_report_with_folios(), "application/pdf", "energieplan.pdf")

    assert "KLIMAZIEL" not in doc.text and "KLIMAKONZEPT" not in doc.text
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [
        "1 | Der Wärmebedarf wird zu 68 % aus fossilen Energieträgern gedeckt.",
        "Die Stadtverwaltung wird bis 2035 klimaneutral.",
    ]


def test_docx_lists_become_one_paragraph_with_a_line_per_item(local: LocalExtractor) -> None:
    doc = local.extract(DOCX_SAMPLE, media_types.DOCX, "waermepumpe-im-einfamilienhaus.docx")
    [tips] = [block for block in doc.blocks if block.text.startswith("- ")]
    assert len(tips.text.split("\n")) == 3
    assert doc.metadata["author"] == "Energieberatung Musterstadt"


def test_html_without_landmarks_keeps_headings_and_drops_menus_and_banners(local: LocalExtractor) -> None:
    page = """<html><head><title>Strompreise | Stadtwerke</title></head><body>
    <div class="top"><ul><li><a href="/">Start</a></li><li><a href="/tarife">Tarife</a></li></ul></div>
    <div id="cookie-consent">Wir verwenden Cookies. <a href="#">Akzeptieren</a></div>
    <div class="content"><h1>Strompreise 2026</h1>
    <p>Der Arbeitspreis steigt um 1,2 ct/kWh.<br>Der Grundpreis bleibt.</p>
    <h2>Gründe</h2><p>Höhere Netzentgelte und die Umlage für Offshore-Netzanschlüsse.</p></div>
    </body></html>"""
    doc = local.extract(page.encode(), "text/html", None)
    assert doc.title == "Strompreise 2026"
    assert _headings(doc) == [("Strompreise 2026", 1), ("Gründe", 2)]
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [
        "Der Arbeitspreis steigt um 1,2 ct/kWh.\nDer Grundpreis bleibt.",
        "Höhere Netzentgelte und die Umlage für Offshore-Netzanschlüsse.",
    ]


def test_deeply_nested_html_is_read_whole_or_refused(local: LocalExtractor) -> None:
    """Past 256 levels libxml2 stopped reading without an error: the page was stored with its first
    paragraph only."""

    def page(depth: int) -> bytes:
        nested = "<div>" * depth + "<p>Tief im Dokument: 8,12 ct/kWh.</p>" + "</div>" * depth
        return f"<html><body><p>Anfang.</p>{nested}<p>Ende.</p></body></html>".encode()

    doc = local.extract(page(200), "text/html", None)
    texts = [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH]
    assert texts == ["Anfang.", "Tief im Dokument: 8,12 ct/kWh.", "Ende."]
    for deep in (300, 100_000):  # 100,000 levels was refused as "No text found"
        with pytest.raises(Unprocessable, match="nested deeper than 256 levels"):
            local.extract(page(deep), "text/html", None)


def test_html_source_line_breaks_are_spaces_and_only_br_breaks_a_line(local: LocalExtractor) -> None:
    """A page's source wraps its paragraphs; read as line breaks, a quoted answer stopped at "Dazu
    gehören neben dem" (the demo subsidy page)."""
    page = """<html><body><main><h1>Förderung</h1>
      <p>Förderfähig sind Kosten bis 30.000 Euro. Dazu gehören neben dem
        Gerät auch die Demontage der alten Heizung.<br>Stand: Januar</p>
      Lose Zeilen
      im Text.
      <pre>Zeile 1
Zeile 2</pre></main></body></html>"""
    doc = local.extract(page.encode(), "text/html", None)
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [
        "Förderfähig sind Kosten bis 30.000 Euro. Dazu gehören neben dem Gerät auch die Demontage der alten "
        "Heizung.\nStand: Januar",
        "Lose Zeilen im Text.",
        "Zeile 1\nZeile 2",
    ]


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nthis is not a pdf body at all", PDF_SAMPLE[: len(PDF_SAMPLE) // 3]],
    ids=["garbage", "truncated"],
)
def test_a_damaged_pdf_is_unprocessable(local: LocalExtractor, data: bytes) -> None:
    with pytest.raises(Unprocessable):
        local.extract(data, "application/pdf", "kaputt.pdf")


def test_a_pdf_of_more_pages_than_luna_reads_is_refused_before_they_are_read(
    local: LocalExtractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100,000 empty pages took 45 s of CPU to be refused as "no text"."""
    monkeypatch.setattr(pdf_module, "MAX_PDF_PAGES", 3)
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(4):
        pdf.add_page()
        pdf.cell(0, 10, f"Seite {number + 1}: Netzentgelte")

    with pytest.raises(Unprocessable, match="The PDF has 4 pages; Luna reads at most 3 of one file"):
        local.extract(bytes(pdf.output()), "application/pdf", "lang.pdf")


def test_a_password_protected_pdf_says_so(local: LocalExtractor) -> None:
    """It said "The PDF could not be read (PdfminerException: )."."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Vertraulicher Tarif")
    pdf.set_encryption(owner_password="besitzer", user_password="geheim")

    with pytest.raises(Unprocessable, match="encrypted with a password"):
        local.extract(bytes(pdf.output()), "application/pdf", "geschuetzt.pdf")


def test_a_docx_that_unpacks_to_hundreds_of_megabytes_is_refused_before_parsing(
    local: LocalExtractor,
) -> None:
    buffer = io.BytesIO()
    zeros = b"\0" * 2**20
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/filler.bin", "w", force_zip64=True) as filler:
            for _ in range(300):  # 300 MiB of zeros pack into about 300 KB
                filler.write(zeros)
    with pytest.raises(Unprocessable, match="unpacks to 300 MiB"):
        local.extract(buffer.getvalue(), media_types.DOCX, "bombe.docx")


def test_a_docx_with_forged_sizes_is_refused_without_library_internals(local: LocalExtractor) -> None:
    import struct

    data = bytearray(next(SAMPLES.glob("*.docx")).read_bytes())
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # central and local headers
        at = 0
        while (at := data.find(signature, at)) != -1:
            data[at + offset : at + offset + 4] = struct.pack("<I", 7)  # "unpacks to 7 bytes"
            at += 4
    with pytest.raises(Unprocessable) as refused:
        local.extract(bytes(data), media_types.DOCX, "gefälscht.docx")
    assert refused.value.message.startswith("The DOCX file is damaged")
    assert "Error" not in refused.value.message and "CRC" not in refused.value.message


def test_local_health_lists_the_parser_libraries(local: LocalExtractor) -> None:
    health = local.health()
    assert health.backend == "local"
    assert set(health.extra["libraries"]) == {"pdfplumber", "python-docx", "lxml", "markdown-it-py"}


# --- TikaExtractor: the REST protocol and its failures ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_tika_receives_a_put_of_the_document_with_its_sniffed_type(tika_server: TikaProtocolServer) -> None:
    with closing(TikaExtractor(tika_server.url)) as tika:
        tika.extract(PDF_SAMPLE, "application/octet-stream", "preise.bin")
    method, path, headers = tika_server.requests[-1]
    assert (method, path) == ("PUT", "/rmeta/html")
    assert headers["Content-Type"] == "application/pdf" and headers["Accept"] == "application/json"


def test_tika_is_not_asked_for_text_formats(tika_server: TikaProtocolServer) -> None:
    before = len(tika_server.requests)
    with closing(TikaExtractor(tika_server.url)) as tika:
        tika.extract(MD_SAMPLE, "text/markdown", "tarife.md")
        tika.extract(HTML_SAMPLE, "text/html", "foerderung.html")
    assert len(tika_server.requests) == before


def test_an_unreachable_tika_server_is_unavailable_and_reported_down() -> None:
    with closing(TikaExtractor(f"http://127.0.0.1:{_free_port()}", timeout_sec=2)) as tika:
        with pytest.raises(Unavailable, match="not reachable"):
            tika.extract(PDF_SAMPLE, "application/pdf", "preise.pdf")
        health = tika.health()
    assert health.status is HealthStatus.DOWN and health.backend == "tika"


def test_a_document_tika_cannot_parse_is_unprocessable(tika_server: TikaProtocolServer) -> None:
    unknown = b"%PDF-1.4\n% a PDF the protocol server has no answer for\n"
    with (
        closing(TikaExtractor(tika_server.url)) as tika,
        pytest.raises(Unprocessable, match="could not read"),
    ):
        tika.extract(unknown, "application/pdf", "kaputt.pdf")


def test_a_tika_server_error_is_unavailable(tika_server: TikaProtocolServer) -> None:
    failing = b"%PDF-1.4\n% the server fails on this one\n"
    tika_server.answer(failing, 503, {"error": "overloaded"})
    with closing(TikaExtractor(tika_server.url)) as tika, pytest.raises(Unavailable, match="HTTP 503"):
        tika.extract(failing, "application/pdf", "preise.pdf")


def test_a_stalled_tika_server_times_out_as_unavailable(tika_server: TikaProtocolServer) -> None:
    stalled = b"%PDF-1.4\n% the server never answers this one\n"
    tika_server.answer(stalled, 200, "STALL")
    with (
        closing(TikaExtractor(tika_server.url, timeout_sec=0.3)) as tika,
        pytest.raises(Unavailable, match="Timeout"),
    ):
        tika.extract(stalled, "application/pdf", "preise.pdf")
