"""Which kind of document a byte string is, decided by its content.

Uploads arrive with whatever name and Content-Type the client chose; a ``.pdf`` that is really a
JPEG must be refused with a message that says so, before any parser touches it. A magic number is
proof, so a real PDF is read whatever it is called; text has none, so text that was promised as a
binary format (``bild.png``, a server's ``application/pdf``) is refused too, instead of indexing
whatever stands in for the file (a renamed note, an error page). A text name (``verbrauch.csv``) is
no such promise whatever type came with it: Windows declares every ``.csv`` as
``application/vnd.ms-excel`` once Excel is installed, and servers copy that. Otherwise the file name
only breaks the tie between Markdown and plain text, the one case the content cannot decide.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from pathlib import PurePath

from luna.domain.documents import Unreadable, unreadable
from luna.domain.errors import UnsupportedType

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
PLAIN_TEXT = "text/plain"

SUPPORTED: tuple[str, ...] = (PDF, DOCX, HTML, MARKDOWN, PLAIN_TEXT)
#: What the local extractor reads, as its health detail says it (the dashboards translate this text).
READ_FORMATS = "PDF, DOCX, HTML, law XML, Markdown, text, CSV/TSV, JSON; no OCR"
ACCEPTED = (
    "PDF, DOCX, HTML, Markdown, plain text (UTF-8 or Latin-1; CSV, JSON and law XML read by their structure)"
)
FILE_EXTENSIONS: dict[str, str] = {
    PDF: ".pdf",
    DOCX: ".docx",
    HTML: ".html",
    MARKDOWN: ".md",
    PLAIN_TEXT: ".txt",
}

#: Text names that say how the text is read (as a table, as JSON, as a law's XML), and declared types
#: that say so for a text without such a name (a URL's ``text/csv``).
_READ_BY_STRUCTURE = frozenset({".csv", ".tsv", ".json", ".xml"})
_DECLARED_STRUCTURE = {"text/csv": ".csv", "text/tab-separated-values": ".tsv"}

_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
_TEXT_SUFFIXES = frozenset({".txt", ".text"})
# Names only text files carry; such a name outranks a binary type declared with it.
_TEXT_NAMES = _MARKDOWN_SUFFIXES | _TEXT_SUFFIXES | {".csv", ".tsv", ".html", ".htm", ".json", ".xml"}
# Legacy Office names and types under which portals export HTML tables ("Excel-Export" as .xls).
_HTML_EXPORT_SUFFIXES = frozenset({".xls", ".doc"})
_HTML_EXPORT_DECLARED = frozenset({"application/vnd.ms-excel", "application/msword"})

# Formats recognised only to name them in the refusal; order matters where prefixes overlap.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x7fELF", "ELF executable"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Microsoft Office document (.doc/.xls/.ppt)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"{\\rtf", "RTF document"),
    (b"%!PS", "PostScript document"),
)
_ZIP_MEMBERS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.xml", "Excel workbook (XLSX)"),
    ("ppt/presentation.xml", "PowerPoint presentation (PPTX)"),
    ("content.xml", "OpenDocument file (ODT/ODS/ODP)"),
    ("META-INF/container.xml", "EPUB e-book"),
)
# Names and declared types that promise a format with a magic number, which text cannot have.
_BINARY_SUFFIXES = frozenset(
    {".pdf", ".docx", ".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".epub"}
    | {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"}
    | {".zip", ".gz", ".tgz", ".7z", ".rar", ".exe", ".dll", ".mp3", ".mp4", ".mov", ".wav", ".avi"}
    | {".sqlite", ".parquet"}
)
_BINARY_DECLARED_FAMILIES = ("image/", "audio/", "video/", "font/")
_BINARY_DECLARED_PREFIXES = (
    "application/vnd.ms-",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
_BINARY_DECLARED = frozenset(
    {PDF, DOCX, "application/msword", "application/epub+zip", "application/zip", "application/gzip"}
    | {"application/x-zip-compressed", "application/x-gzip", "application/x-7z-compressed"}
    | {"application/vnd.rar", "application/x-rar-compressed", "application/x-msdownload"}
)
_TEXT_KINDS = {HTML: "HTML", MARKDOWN: "Markdown text", PLAIN_TEXT: "plain text"}
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_SHARE = 0.01

_HTML_START = re.compile(r"<(!doctype\s+html|html)\b", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"<(head|body|div|p|h[1-6]|table|article|section|main|span|ul|ol|li|br|a|meta|title)\b[^>]*>",
    re.IGNORECASE,
)
_XML_PROLOGUE = re.compile(r"^(\s*(<\?xml[^>]*\?>|<!--.*?-->))*\s*", re.DOTALL)
_MD_STRONG = (
    re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE),  # ATX heading
    # Possessive runs: each is followed by what it cannot match, so they mean the same, but a line of
    # 50,000 spaces before "- x" no longer backtracks between them (30 s, the whole server waiting).
    re.compile(
        r"^[ \t]*+\|?[ \t]*+:?-{3,}+:?[ \t]*+(?:\|[ \t]*+:?-{3,}+:?[ \t]*+)++\|?[ \t]*+$", re.MULTILINE
    ),  # table rule
    re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE),  # fenced code
    re.compile(r"^[^\s\-=|].*\n {0,3}=+[ \t]*$", re.MULTILINE),  # setext heading
)
_MD_WEAK = (
    re.compile(r"^ {0,3}([-*+]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE),  # list item
    re.compile(r"\[[^\]\n]{1,300}\]\([^)\s]+\)"),  # link (bounded: a line of "[" read once per "[")
    re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"),  # strong emphasis
)


def _refuse(detected: str) -> UnsupportedType:
    return UnsupportedType(
        f"Unsupported file type: detected {detected}; accepted are {ACCEPTED}.",
        details={"detected": detected, "accepted": list(SUPPORTED)},
    )


def _binary_promise(filename: str | None, declared: str | None, kind: str) -> str | None:
    """How the upload promised a binary format, in words for the refusal; None when it did not.

    A declared text type outranks the name: a server that answers ``text/html`` for
    ``…/Datei:Bild.png`` serves a web page about an image, and says so. A text name outranks a
    declared binary type: the type is mostly derived from the name by an operating system's table
    (``application/vnd.ms-excel`` for every ``.csv`` on Windows with Excel), the name by a person. HTML
    under a legacy Office name or type (``.xls``, ``application/msword``) is how portals export
    tables for Excel and Word, which open it; only markup earns that, since a CSV or a note cannot be
    told from a file that stands in for the real one. Without a declared type, or with a generic one
    (``application/octet-stream``), the name's ending is the promise.
    """
    media = (declared or "").split(";", 1)[0].strip().lower()
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if media.startswith("text/") or suffix in _TEXT_NAMES:
        return None
    html_export = kind == HTML
    family = media.startswith(_BINARY_DECLARED_FAMILIES) and not media.endswith("+xml")  # SVG is text
    binary_type = family or media in _BINARY_DECLARED or media.startswith(_BINARY_DECLARED_PREFIXES)
    if binary_type and not (html_export and media in _HTML_EXPORT_DECLARED):
        return f"it was declared as {media}"
    if suffix in _BINARY_SUFFIXES and not (html_export and suffix in _HTML_EXPORT_SUFFIXES):
        return f"its name ends in {suffix}"
    return None


def _broken_promise(promise: str, kind: str) -> UnsupportedType:
    found = _TEXT_KINDS[kind]
    return UnsupportedType(
        f"Unsupported file type: {promise}, a binary format, but the content is {found}. Send text "
        f"as .txt, .md or .html; accepted are {ACCEPTED}.",
        details={"detected": found, "promised": promise, "accepted": list(SUPPORTED)},
    )


def _is_pdf(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-")


def _binary_kind(data: bytes) -> str | None:
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith(b"RIFF") and len(data) >= 12:
        return {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}.get(
            data[8:12], "RIFF media"
        )
    if data[4:8] == b"ftyp":
        return "HEIC image" if data[8:12] in (b"heic", b"heix", b"mif1") else "MP4/QuickTime media"
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        return "Windows executable"
    return None


def _zip_kind(data: bytes) -> str:
    """DOCX when the archive holds a Word body; otherwise the name of what the archive is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise unreadable(
            f"The file is a damaged or incomplete ZIP archive (a DOCX?): {exc}", Unreadable.DAMAGED
        ) from exc
    if "word/document.xml" in names:
        return DOCX
    for member, kind in _ZIP_MEMBERS:
        if member in names:
            raise _refuse(kind)
    raise _refuse("ZIP archive")


def decode_text(data: bytes) -> str:
    """Decode a text document (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252/Latin-1).

    The result is NFC-normalised, so that "ü" typed as u + combining diaeresis matches "ü" in search.
    Raises UnsupportedType when the bytes are binary rather than text.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        raise _refuse("binary data")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Latin-1 never fails; cp1252 first because it is what German Windows editors write (€, „“).
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
    if "\x00" in text or controls > _MAX_CONTROL_SHARE * len(text):
        raise _refuse("binary data")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _text_kind(text: str, filename: str | None, declared: str | None) -> str:
    head = _XML_PROLOGUE.sub("", text[:8192], count=1)
    if _HTML_START.match(head) or (head.startswith("<") and _HTML_TAG.search(head)):
        return HTML
    if head.startswith("<svg") or (head.startswith("<") and "<svg" in head[:512]):
        raise _refuse("SVG image")
    if head.startswith("<") and re.match(r"<[A-Za-z_][\w.:-]*[\s/>]", head):
        raise _refuse("XML document")
    if any(pattern.search(text) for pattern in _MD_STRONG):
        return MARKDOWN
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix in _MARKDOWN_SUFFIXES or (declared or "").startswith(MARKDOWN):
        return MARKDOWN
    if suffix in _TEXT_SUFFIXES:
        return PLAIN_TEXT
    return MARKDOWN if any(pattern.search(text) for pattern in _MD_WEAK) else PLAIN_TEXT


def detect_media_type(data: bytes, filename: str | None = None, declared: str | None = None) -> str:
    """The media type of ``data``, one of :data:`SUPPORTED`.

    Content decides: PDF by its ``%PDF-`` header, DOCX by a ZIP holding ``word/document.xml``, HTML by
    its markup, Markdown by headings, tables or code fences. Text with only weak Markdown signs (lists,
    links) is Markdown unless the name ends in ``.txt``; text without any is plain unless the name (or
    the declared type) says Markdown. Raises ``Unprocessable`` for empty input and ``UnsupportedType``,
    naming what was found, for anything else, and for text whose name or declared type promised a
    binary format (``bild.png``, ``notiz.pdf``) without a text name to outrank it (``tarif.csv``).
    """
    if not data.strip():
        raise unreadable("The file is empty: there is no text to extract.", Unreadable.EMPTY)
    if _is_pdf(data):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(b"PK\x05\x06"):
        raise _refuse("empty ZIP archive")
    binary = _binary_kind(data)
    if binary is not None:
        raise _refuse(binary)
    text = decode_text(data)
    if not text.strip():
        raise unreadable("The file is empty: there is no text to extract.", Unreadable.EMPTY)
    kind = _text_kind(text, filename, declared)
    promise = _binary_promise(filename, declared, kind)
    if promise is not None:
        raise _broken_promise(promise, kind)
    return kind


def stored_extension(media_type: str, filename: str | None = None, declared: str | None = None) -> str:
    """The extension a stored upload of ``media_type`` keeps: its type's, except that plain text keeps
    a name or declared type that says how it was read (``tarife.csv``, ``text/csv``). A re-read reads the
    stored file by that name again; stored as ``.txt``, a CSV table came back as one run-on paragraph."""
    if media_type == PLAIN_TEXT:
        suffix = PurePath(filename or "").suffix.lower()
        if suffix in _READ_BY_STRUCTURE:
            return suffix
        named = _DECLARED_STRUCTURE.get((declared or "").split(";")[0].strip().lower())
        if named is not None:
            return named
    return FILE_EXTENSIONS.get(media_type, ".bin")
