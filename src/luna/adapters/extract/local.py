"""In-process text extraction: the embedded default, no server and no Java.

The format is sniffed from the content (``luna.domain.media_types``); the declared type and file name
decide between Markdown and plain text, and text they promised as a binary format is refused. Each
format has its own module: ``pdf`` (pdfplumber), ``word`` (python-docx), ``webpage`` (lxml), ``law_xml``
(German federal law in its official XML, lxml), ``delimited`` (CSV and TSV as a table), ``json_text``
(JSON as headings, texts and tables), ``text`` (markdown-it and plain text). None does OCR, so a scanned
PDF is refused with ``Unprocessable`` instead of being stored without text.
"""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from luna.adapters.extract.delimited import delimited_table
from luna.adapters.extract.document import build_document
from luna.adapters.extract.json_text import json_content
from luna.adapters.extract.law_xml import is_law_xml, law_xml_content
from luna.adapters.extract.pdf import pdf_content
from luna.adapters.extract.text import markdown_document, plain_text_blocks
from luna.adapters.extract.webpage import html_page
from luna.adapters.extract.word import word_content
from luna.domain import media_types
from luna.domain.documents import ExtractedDocument
from luna.domain.health import ComponentHealth, HealthStatus

_LIBRARIES = ("pdfplumber", "python-docx", "lxml", "markdown-it-py")


def _is_delimited(filename: str | None, declared: str) -> bool:
    """A CSV or TSV by its name or its declared type (``text/csv``, ``text/tab-separated-values``)."""
    named = (filename or "").lower().endswith((".csv", ".tsv"))
    return named or declared.split(";")[0].strip().lower() in ("text/csv", "text/tab-separated-values")


def _is_json(filename: str | None, declared: str, text: str) -> bool:
    """JSON by its name or declared type, or a text that opens like a JSON object or array."""
    named = (filename or "").lower().endswith(".json") or "json" in declared.split(";")[0].lower()
    return named or text.lstrip()[:1] in ("{", "[")


class LocalExtractor:
    """Extracts PDF, DOCX, HTML, law XML, Markdown and plain text in the calling thread (thread-safe,
    stateless)."""

    def extract(self, data: bytes, media_type: str, filename: str | None = None) -> ExtractedDocument:
        detected = media_types.detect_media_type(data, filename=filename, declared=media_type)
        if detected == media_types.PDF:
            pdf = pdf_content(data)
            return build_document(
                detected,
                pdf.blocks,
                filename=filename,
                metadata_title=pdf.title,
                pages=pdf.pages,
                metadata=pdf.metadata,
            )
        if detected == media_types.DOCX:
            word = word_content(data)
            return build_document(
                detected, word.blocks, filename=filename, metadata_title=word.title, metadata=word.metadata
            )
        if is_law_xml(data):  # a law from gesetze-im-internet.de: its structure, not its markup's text
            title, law = law_xml_content(data)
            return build_document(detected, law, filename=filename, metadata_title=title)
        text = media_types.decode_text(data)
        if detected == media_types.HTML:
            page = html_page(text)
            return build_document(
                detected, page.blocks, filename=filename, metadata_title=page.title, metadata=page.metadata
            )
        table = delimited_table(text) if _is_delimited(filename, media_type) else None
        if table is not None:
            return build_document(detected, [table], filename=filename)
        read = json_content(text) if _is_json(filename, media_type, text) else None
        if read is not None:
            return build_document(detected, read[1], filename=filename, metadata_title=read[0])
        if detected == media_types.MARKDOWN:
            md = markdown_document(text)
            return build_document(
                detected, md.blocks, filename=filename, metadata_title=md.title, metadata=md.metadata
            )
        return build_document(detected, plain_text_blocks(text, titled=True), filename=filename)

    def health(self) -> ComponentHealth:
        """Up when every parser library is installed; reports their versions."""
        started = time.perf_counter()
        versions: dict[str, str] = {}
        missing: list[str] = []
        for library in _LIBRARIES:
            try:
                versions[library] = version(library)
            except PackageNotFoundError:
                missing.append(library)
        summary = ", ".join(f"{name} {v}" for name, v in versions.items())
        return ComponentHealth(
            name="extract",
            status=HealthStatus.DOWN if missing else HealthStatus.UP,
            backend="local",
            latency_ms=(time.perf_counter() - started) * 1000,
            version=summary,
            detail=f"missing: {', '.join(missing)}" if missing else media_types.READ_FORMATS,
            extra={"libraries": versions, "formats": list(media_types.SUPPORTED), "ocr": False},
        )
