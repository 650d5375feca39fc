"""Write the binary German sample documents (DOCX and PDF) into ``docs/samples``.

The samples are Luna's demo data and the extraction tests' fixtures; the Markdown and HTML samples
beside them are written by hand. The content is invented but realistic. Output is reproducible (fixed
dates), so re-running this script does not change committed files without a reason. The script (and
its note, ``docs/samples.md``) lies beside the folder, not in it: ``luna ingest docs/samples`` reads
every file there, and this one is no sample.

    .venv/bin/python docs/make_samples.py
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF
from fpdf.fonts import FontFace

SAMPLES = Path(__file__).resolve().parent / "samples"
FIXED_DATE = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
ORGANISATION = "Stadtwerke Musterstadt Netz GmbH"

HEAT_PUMP_TABLE = [
    ("Gebäude", "Baujahr", "Heizlast", "Vorlauftemperatur", "erwartete JAZ"),
    ("Neubau (KfW 40)", "2022", "4,5 kW", "30 °C", "4,6"),
    ("saniert (Dämmung, neue Fenster)", "1978", "7,0 kW", "40 °C", "3,8"),
    ("teilsaniert (neue Fenster)", "1965", "10,5 kW", "50 °C", "3,2"),
    ("unsaniert", "1958", "14,0 kW", "55 °C", "2,8"),
]

NETWORK_PRICES = [
    ("Kundengruppe", "Grundpreis (€/a)", "Arbeitspreis (ct/kWh)", "Leistungspreis (€/kW/a)"),
    ("Haushalt ohne Leistungsmessung (SLP)", "60,00", "8,12", "–"),
    ("Gewerbe ohne Leistungsmessung (SLP)", "85,00", "7,64", "–"),
    ("Steuerbare Verbrauchseinrichtung, Modul 2", "0,00", "3,25", "–"),
    ("Leistungsmessung unter 2.500 h/a", "0,00", "6,48", "21,90"),
    ("Leistungsmessung ab 2.500 h/a", "0,00", "2,71", "114,60"),
]

MODULE_3_WINDOWS = [
    ("Zeitfenster", "Uhrzeit", "Arbeitspreis (ct/kWh)"),
    ("Niedriglast", "00:00 – 06:00 Uhr", "3,25"),
    ("Standardlast", "06:00 – 17:00 und 20:00 – 24:00 Uhr", "8,12"),
    ("Hochlast", "17:00 – 20:00 Uhr", "12,18"),
]


def make_docx(path: Path) -> None:
    """ "Wärmepumpe im Einfamilienhaus": a title, two heading levels, paragraphs, a list and a table."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    props = doc.core_properties
    props.title = "Wärmepumpe im Einfamilienhaus"
    props.author = "Energieberatung Musterstadt"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_modified_by = "Energieberatung Musterstadt"
    props.revision = 1

    doc.add_heading("Wärmepumpe im Einfamilienhaus", level=0)
    doc.add_paragraph(
        "Eine Wärmepumpe entzieht der Umgebung (Luft, Erdreich oder Grundwasser) Wärme und hebt sie mit "
        "Strom auf die Temperatur, die das Heizsystem braucht. Aus einer Kilowattstunde Strom werden so drei "
        "bis fünf Kilowattstunden Wärme. Dieses Merkblatt fasst zusammen, worauf es bei Planung und Betrieb "
        "im Einfamilienhaus ankommt."
    )
    doc.add_heading("Auslegung", level=1)
    doc.add_heading("Heizlast", level=2)
    doc.add_paragraph(
        "Grundlage jeder Planung ist die raumweise Heizlastberechnung nach DIN EN 12831. Eine Faustformel "
        "über den bisherigen Öl- oder Gasverbrauch (z. B. Verbrauch in kWh geteilt durch 2.000 "
        "Volllaststunden) ist für eine erste Schätzung brauchbar, ersetzt die Berechnung aber nicht. "
        "Eine zu groß gewählte Wärmepumpe taktet häufig und verschleißt schneller."
    )
    doc.add_heading("Vorlauftemperatur und Jahresarbeitszahl", level=2)
    doc.add_paragraph(
        "Je niedriger die Vorlauftemperatur, desto effizienter arbeitet die Wärmepumpe. Die "
        "Jahresarbeitszahl (JAZ) gibt an, wie viel Wärme pro Kilowattstunde Strom über ein ganzes Jahr "
        "erzeugt wird. Die folgende Tabelle zeigt typische Werte für Luft-Wasser-Wärmepumpen."
    )
    table = doc.add_table(rows=0, cols=len(HEAT_PUMP_TABLE[0]))
    table.style = "Table Grid"
    for row in HEAT_PUMP_TABLE:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    doc.add_paragraph(
        "Auch in unsanierten Häusern ist eine Wärmepumpe möglich, wenn einzelne Heizkörper gegen größere "
        "getauscht werden. Ein hydraulischer Abgleich ist in jedem Fall Pflicht."
    )
    doc.add_heading("Betrieb und Stromtarif", level=1)
    doc.add_paragraph(
        "Ein Haus mit 150 m² Wohnfläche und 10,5 kW Heizlast braucht bei einer JAZ von 3,2 rund 6.500 kWh "
        "Strom im Jahr. Mit einem Wärmepumpentarif von 27 ct/kWh statt 36 ct/kWh im Haushaltstarif sinken "
        "die Stromkosten um knapp 600 Euro. Voraussetzung ist ein separater Zähler und die Teilnahme an der "
        "netzorientierten Steuerung nach § 14a EnWG."
    )
    for tip in (
        "Heizkurve nach der ersten Heizperiode anpassen, statt Thermostate herunterzudrehen.",
        "Warmwasser in den Mittagsstunden bereiten, wenn der Strom am günstigsten ist.",
        "Außeneinheit mit ausreichend Abstand zum Nachbargrundstück aufstellen (Schallschutz).",
    ):
        doc.add_paragraph(tip, style="List Bullet")
    doc.add_heading("Förderung", level=1)
    doc.add_paragraph(
        "Der Einbau wird über die Bundesförderung für effiziente Gebäude mit 30 bis 70 % der förderfähigen "
        "Kosten bezuschusst. Der Antrag muss vor Beginn der Arbeiten gestellt werden."
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(_with_fixed_timestamps(buffer.getvalue()))


def _with_fixed_timestamps(archive_bytes: bytes) -> bytes:
    """The same ZIP with every member dated FIXED_DATE; python-docx stamps the current time."""
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    output = io.BytesIO()
    with source, zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))
    return output.getvalue()


class _PricePdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(
            0, 10, f"{ORGANISATION} · Preisblatt Netzentgelte 2026 · Seite {self.page_no()} von 2", align="C"
        )


def _heading(pdf: FPDF, text: str, size: int) -> None:
    pdf.set_font("Helvetica", style="B", size=size)
    pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", size=10.5)
    pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, rows: Sequence[Sequence[str]], widths: tuple[int, ...]) -> None:
    pdf.set_font("Helvetica", size=9.5)
    with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"), line_height=6) as table:
        for row in rows:
            table.row(row)
    pdf.ln(4)


def make_pdf(path: Path) -> None:
    """ "Netzentgelte 2026": two pages, a price table on page 1, text and a second table on page 2."""
    pdf = _PricePdf(format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # €, „“ and – in the core fonts
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title("Netzentgelte 2026")
    pdf.set_author(ORGANISATION)
    pdf.set_subject("Preisblatt für die Nutzung des Stromverteilernetzes")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)

    pdf.add_page()
    _heading(pdf, "Netzentgelte 2026", 18)
    _paragraph(
        pdf,
        "Die Stadtwerke Musterstadt Netz GmbH veröffentlicht hiermit die ab dem 1. Januar 2026 geltenden "
        "Entgelte für die Nutzung des Stromverteilernetzes. Die Preise wurden auf Grundlage der von der "
        "Bundesnetzagentur festgelegten Erlösobergrenze ermittelt. Gegenüber dem Vorjahr sinkt der "
        "Arbeitspreis für Haushaltskunden um 0,9 ct/kWh, weil der Bund seit 2025 einen Teil der Kosten "
        "für den Ausbau der Übertragungsnetze trägt.",
    )
    _heading(pdf, "Preisblatt Niederspannung", 13)
    _table(pdf, NETWORK_PRICES, (62, 34, 36, 38))
    _paragraph(
        pdf,
        "Alle Preise verstehen sich netto, zuzüglich Konzessionsabgabe, Umlagen, Stromsteuer und "
        "Umsatzsteuer. Das Entgelt für den Messstellenbetrieb wird gesondert ausgewiesen; für ein "
        "intelligentes Messsystem beträgt es für Haushalte mit einem Verbrauch bis 6.000 kWh höchstens "
        "30 Euro im Jahr.",
    )

    pdf.add_page()
    _heading(pdf, "Steuerbare Verbrauchseinrichtungen nach § 14a EnWG", 13)
    _paragraph(
        pdf,
        "Für Wärmepumpen, Wallboxen, Klimaanlagen und Batteriespeicher mit mehr als 4,2 kW Anschlussleistung "
        "gewährt der Netzbetreiber ein reduziertes Netzentgelt. Im Gegenzug darf er den Netzbezug dieser "
        "Geräte bei drohender Überlastung vorübergehend auf 4,2 kW begrenzen. Kunden wählen zwischen der "
        "pauschalen Reduzierung (Modul 1, 165,00 Euro im Jahr) und der prozentualen Reduzierung des "
        "Arbeitspreises um 60 % (Modul 2), die einen separaten Zählpunkt voraussetzt.",
    )
    _paragraph(
        pdf,
        "Wer Modul 1 gewählt hat, kann zusätzlich das zeitvariable Netzentgelt (Modul 3) vereinbaren. "
        "Dann gelten für den gesamten Verbrauch die folgenden Zeitfenster, die sich an der typischen "
        "Auslastung des Ortsnetzes orientieren:",
    )
    _table(pdf, MODULE_3_WINDOWS, (40, 80, 50))
    _heading(pdf, "Hinweise", 13)
    _paragraph(
        pdf,
        "Die Abrechnung erfolgt monatlich bzw. jährlich nach Wahl des Lieferanten. Änderungen der "
        "Netzentgelte werden spätestens am 15. Oktober des Vorjahres veröffentlicht. Rückfragen richten "
        "Sie bitte an netzentgelte@stadtwerke-musterstadt.example.",
    )
    pdf.output(str(path))


def main() -> None:
    make_docx(SAMPLES / "waermepumpe-im-einfamilienhaus.docx")
    make_pdf(SAMPLES / "netzentgelte-2026.pdf")
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".docx", ".pdf"):
            print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
