"""Content sniffing: the bytes decide the format, a name or Content-Type cannot smuggle a file past it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from luna.domain import media_types
from luna.domain.errors import Unprocessable, UnsupportedType
from luna.domain.media_types import decode_text, detect_media_type
from luna.web.admin.pages_admin_upload import refusal

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def _zip(*members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("netzentgelte-2026.pdf", media_types.PDF),
        ("waermepumpe-im-einfamilienhaus.docx", media_types.DOCX),
        ("foerderung-heizungstausch.html", media_types.HTML),
        ("stromtarife-und-lastverschiebung.md", media_types.MARKDOWN),
    ],
)
def test_the_samples_are_recognised_whatever_their_name(sample: str, expected: str) -> None:
    data = (SAMPLES / sample).read_bytes()
    assert detect_media_type(data, filename="upload.bin") == expected
    assert detect_media_type(data, filename=None, declared="application/octet-stream") == expected


def test_a_pdf_named_txt_is_still_a_pdf() -> None:
    assert detect_media_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", filename="notiz.txt") == media_types.PDF


def test_html_fragments_and_documents_are_html() -> None:
    assert detect_media_type(b"<!DOCTYPE html><html><body><p>Strom</p></body></html>") == media_types.HTML
    fragment = "<!-- Export -->\n<div><h1>Netzentgelte</h1><p>Größere Anschlüsse</p></div>".encode()
    assert detect_media_type(fragment) == media_types.HTML


def test_markdown_structure_decides_over_a_txt_name() -> None:
    text = "# Strompreise für Haushalte\n\n| Tarif | Preis |\n| --- | --- |\n| Grundversorgung | 32 ct |\n"
    assert detect_media_type(text.encode(), filename="tarife.txt") == media_types.MARKDOWN


@pytest.mark.parametrize(
    "table",
    [
        "| Tarif | Preis |\n| --- | ---: |\n| A | 1 |\n",
        "Tarif | Preis\n:--- | ---\nA | 1\n",
        "a|b\n---|---\n",
    ],
)
def test_a_table_rule_with_or_without_outer_bars_is_markdown(table: str) -> None:
    assert detect_media_type(table.encode(), filename="tarife.txt") == media_types.MARKDOWN


@pytest.mark.timeout(60)  # each took minutes before, with the interpreter lock held: the server stood still
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Strom Netzentgelt.\n" + " " * 200_000 + "- x", media_types.PLAIN_TEXT),  # 50,000 spaces: 30 s
        ("[" * 200_000, media_types.PLAIN_TEXT),
        ("Siehe [" + "x" * 200_000 + "](https://example.org)", media_types.PLAIN_TEXT),
    ],
)
def test_long_runs_of_spaces_or_brackets_are_read_once(text: str, expected: str) -> None:
    assert detect_media_type(text.encode()) == expected


def test_the_name_breaks_the_tie_between_markdown_and_plain_text() -> None:
    plain = "Die Wärmepumpe läuft nachts.\n\nSie spart Geld.".encode()
    listed = "Vorteile:\n- günstig\n- leise\n".encode()
    assert detect_media_type(plain) == media_types.PLAIN_TEXT
    assert detect_media_type(plain, filename="notiz.md") == media_types.MARKDOWN
    assert detect_media_type(plain, declared="text/markdown; charset=utf-8") == media_types.MARKDOWN
    assert detect_media_type(listed) == media_types.MARKDOWN
    assert detect_media_type(listed, filename="liste.txt") == media_types.PLAIN_TEXT


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"\x7fELF\x02\x01\x01\x00", "ELF executable"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "Windows executable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "legacy Microsoft Office"),
        (_zip("xl/workbook.xml", "[Content_Types].xml"), "Excel workbook"),
        (_zip("readme.txt"), "ZIP archive"),
        (b"\x00\x01\x02\x03binary\x00\xff", "binary data"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG image"),
        (b'<?xml version="1.0"?><zaehler><wert>3</wert></zaehler>', "XML document"),
    ],
)
def test_other_formats_are_refused_naming_what_was_found(data: bytes, detected: str) -> None:
    with pytest.raises(UnsupportedType) as caught:
        detect_media_type(data, filename="dokument.pdf")
    assert detected in caught.value.message
    assert "accepted are PDF, DOCX, HTML, Markdown, plain text" in caught.value.message
    assert caught.value.details["accepted"] == list(media_types.SUPPORTED)


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", "\ufeff".encode()])
def test_empty_files_are_unprocessable(data: bytes) -> None:
    with pytest.raises(Unprocessable, match="empty"):
        detect_media_type(data)


def test_a_damaged_zip_is_unprocessable_not_unsupported() -> None:
    docx = (SAMPLES / "waermepumpe-im-einfamilienhaus.docx").read_bytes()
    with pytest.raises(Unprocessable, match="damaged or incomplete ZIP"):
        detect_media_type(docx[: len(docx) // 2])


def test_latin1_and_utf16_text_decode_with_umlauts() -> None:
    text = "Größere Maßnahmen für Wärmepumpen – 30 €"
    assert decode_text(text.encode("cp1252")) == text
    assert decode_text(text.encode("utf-16")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == text
    assert detect_media_type(text.encode("cp1252")) == media_types.PLAIN_TEXT


def test_decoded_text_is_nfc_normalised_with_unix_line_ends() -> None:
    decomposed = "Zählerstand\r\nÜbergabe".replace("ä", "a\u0308").replace("Ü", "U\u0308")
    assert decode_text(decomposed.encode()) == "Zählerstand\nÜbergabe"


NOTE = "Die Wärmepumpe läuft nachts.\n\nSie spart Geld.".encode()
PAGE = b"<!DOCTYPE html><html><body><p>Strompreise</p></body></html>"
CSV = b"Zeit;kWh\n00:00;1,2\n"


@pytest.mark.parametrize(
    ("data", "filename", "declared", "promise"),
    [
        (NOTE, "bild.png", None, "its name ends in .png"),
        (NOTE, "Foto.JPG", "application/octet-stream", "its name ends in .jpg"),
        (b"# Preise\n\n| a | b |\n| --- | --- |\n", "preise.pdf", None, "its name ends in .pdf"),
        (PAGE, "bericht.docx", "", "its name ends in .docx"),
        (NOTE, "bild.png", "image/png", "it was declared as image/png"),
        (NOTE, "download", "application/pdf", "it was declared as application/pdf"),
        (NOTE, None, "application/vnd.ms-excel", "it was declared as application/vnd.ms-excel"),
        (CSV, "verbrauch.xls", "application/vnd.ms-excel", "it was declared as application/vnd.ms-excel"),
        (CSV, "verbrauch.xls", None, "its name ends in .xls"),
        (NOTE, "brief.doc", "application/msword", "it was declared as application/msword"),
        (PAGE, "export.xls", "application/pdf", "it was declared as application/pdf"),
        (PAGE, "preise.pdf", "application/vnd.ms-excel", "its name ends in .pdf"),
    ],
    ids=[
        "png-name",
        "jpg-name",
        "markdown-as-pdf",
        "html-as-docx",
        "png-type",
        "pdf-type",
        "xls-type",
        "csv-as-xls",
        "csv-named-xls",
        "note-as-doc",
        "html-export-declared-pdf",
        "html-export-named-pdf",
    ],
)
def test_text_promised_as_a_binary_format_is_refused(
    data: bytes, filename: str | None, declared: str | None, promise: str
) -> None:
    with pytest.raises(UnsupportedType) as caught:
        detect_media_type(data, filename=filename, declared=declared)
    assert promise in caught.value.message and "a binary format" in caught.value.message
    assert "accepted are PDF, DOCX, HTML, Markdown, plain text" in caught.value.message
    assert caught.value.details["promised"] == promise


@pytest.mark.parametrize(
    ("data", "filename", "declared", "expected"),
    [
        (NOTE, "notiz.txt", None, media_types.PLAIN_TEXT),
        (NOTE, "notiz.md", "text/markdown", media_types.MARKDOWN),
        (CSV, "verbrauch.csv", "text/csv", media_types.PLAIN_TEXT),
        (PAGE, "seite.html", "text/html", media_types.HTML),
        (NOTE, "LIESMICH", None, media_types.PLAIN_TEXT),
        (NOTE, "export.bin", "application/octet-stream", media_types.PLAIN_TEXT),
        (PAGE, "Datei:Bild.png", "text/html", media_types.HTML),  # a server's page about an image
        (NOTE, "bild.png", "text/plain; charset=utf-8", media_types.PLAIN_TEXT),
        (CSV, "verbrauch.csv", "application/vnd.ms-excel", media_types.PLAIN_TEXT),  # Windows with Excel
        (CSV, "Verbrauch.TSV", "application/vnd.ms-excel", media_types.PLAIN_TEXT),
        (NOTE, "notiz.txt", "application/pdf", media_types.PLAIN_TEXT),
        (NOTE, "notiz.markdown", "application/octet-stream", media_types.MARKDOWN),
        (PAGE, "seite.htm", "application/x-msdownload", media_types.HTML),
        (b'{"preis_ct_kwh": 31.2}', "tarif.json", "application/zip", media_types.PLAIN_TEXT),
    ],
    ids=[
        "txt",
        "md",
        "csv",
        "html",
        "no-extension",
        "bin",
        "page-about-a-png",
        "declared-text",
        "csv-declared-xls",
        "tsv-declared-xls",
        "txt-declared-pdf",
        "markdown-name",
        "htm-declared-exe",
        "json-declared-zip",
    ],
)
def test_text_with_a_text_name_or_a_declared_text_type_is_accepted(
    data: bytes, filename: str, declared: str | None, expected: str
) -> None:
    assert detect_media_type(data, filename=filename, declared=declared) == expected


EXCEL_EXPORT = (
    b'<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8"></head>'
    b"<body><table><tr><td>Netzentgelt</td><td>8,14 ct/kWh</td></tr></table></body></html>"
)


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (EXCEL_EXPORT, "netzentgelte.xls", "application/vnd.ms-excel"),
        (EXCEL_EXPORT, "netzentgelte.xls", None),
        (b"<table><tr><td>Netzentgelt</td></tr></table>", "export.xls", "application/octet-stream"),
        (PAGE, "bericht.doc", "application/msword"),
        (PAGE, None, "application/vnd.ms-excel"),
    ],
    ids=["xls-declared", "xls-name", "bare-table", "doc", "declared-only"],
)
def test_html_exported_under_a_legacy_office_name_or_type_is_read_as_html(
    data: bytes, filename: str | None, declared: str | None
) -> None:
    assert detect_media_type(data, filename=filename, declared=declared) == media_types.HTML


def test_a_real_excel_file_named_csv_is_refused_as_what_it_is() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    with pytest.raises(UnsupportedType, match="legacy Microsoft Office document"):
        detect_media_type(ole, filename="verbrauch.csv", declared="application/vnd.ms-excel")


def test_a_real_pdf_is_read_whatever_name_or_type_it_came_with() -> None:
    pdf = (SAMPLES / "netzentgelte-2026.pdf").read_bytes()
    assert detect_media_type(pdf, filename="bild.png", declared="image/png") == media_types.PDF


def test_the_upload_page_says_in_german_why_a_text_named_png_was_not_taken() -> None:
    with pytest.raises(UnsupportedType) as caught:
        detect_media_type(NOTE, filename="bild.png", declared="image/png")  # what a browser sends
    message, duplicate_of = refusal(caught.value, max_mb=50, name="bild.png")
    assert message == (  # not "type not supported, text is allowed", which contradicts itself
        "„bild.png“ wurde als Bild (image/png) hochgeladen, enthält aber reinen Text. Soll dieser Text "
        "eingelesen werden, benennen Sie die Datei in .txt, .md oder .csv um und laden Sie sie erneut hoch."
    )
    assert duplicate_of is None
