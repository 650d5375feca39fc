"""Text extraction by an Apache Tika server (REST), for deployments that already run one.

Protocol: ``PUT {tika_url}/rmeta/html`` with the document as body and its sniffed Content-Type. The
recursive-metadata endpoint answers JSON: one object per (embedded) document, the first being the
document itself, holding its metadata (``dc:title``, ``xmpTPg:NPages`` …) and its text as XHTML in
``X-TIKA:content``. XHTML rather than ``/tika`` plain text because it keeps what the chunker needs:
``<div class="page">`` per PDF page, ``<h1>``–``<h6>`` from Word heading styles and ``<table>``. Within a
paragraph, text is split on blank lines and law structure lines ("§ 3 …") become headings, as for text.

Only PDF and DOCX go to the server: Tika does not improve on the in-process readers for HTML (no
boilerplate removal), Markdown (no Markdown parser) or plain text, so those formats are handed to
:class:`~luna.adapters.extract.local.LocalExtractor`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from luna.adapters.extract.document import build_document, clean_line
from luna.adapters.extract.local import LocalExtractor
from luna.adapters.extract.webpage import HtmlWalker, parse_html
from luna.domain import media_types
from luna.domain.documents import ExtractedDocument, Unreadable, unreadable
from luna.domain.errors import Unavailable, UnsupportedType
from luna.domain.health import ComponentHealth, HealthStatus

_HEALTH_TIMEOUT_SEC = 5.0
_METADATA_KEYS = {
    "dc:creator": "author",
    "dc:subject": "subject",
    "meta:keyword": "keywords",
    "dcterms:created": "created",
    "dcterms:modified": "modified",
    "pdf:producer": "producer",
}


def _first(value: Any) -> str | None:
    """Tika reports repeated metadata as a list; Luna keeps the first value."""
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_line(str(value)) if value not in (None, "") else None


class TikaExtractor:
    """Extracts through a Tika server at ``url`` (e.g. ``http://tika:9998``); thread-safe."""

    def __init__(self, url: str, *, timeout_sec: float = 60.0) -> None:
        self._url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_sec)
        self._local = LocalExtractor()

    def close(self) -> None:
        self._client.close()

    def _parse(self, data: bytes, media_type: str) -> dict[str, Any]:
        try:
            response = self._client.put(
                f"{self._url}/rmeta/html",
                content=data,
                headers={"Content-Type": media_type, "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"The Tika server at {self._url} is not reachable ({type(exc).__name__})."
            ) from exc
        if response.status_code == 415:
            raise UnsupportedType(f"The Tika server does not support this file ({media_type}).")
        if response.status_code == 422:
            raise unreadable(
                "The Tika server could not read the document (encrypted or damaged?).", Unreadable.DAMAGED
            )
        if response.status_code >= 400:
            raise Unavailable(f"The Tika server answered HTTP {response.status_code}.")
        try:
            documents = response.json()
        except ValueError as exc:
            raise Unavailable("The Tika server sent an answer that is not JSON.") from exc
        if not isinstance(documents, list) or not documents or not isinstance(documents[0], dict):
            raise Unavailable("The Tika server sent an unexpected answer (no document metadata).")
        return documents[0]

    def extract(self, data: bytes, media_type: str, filename: str | None = None) -> ExtractedDocument:
        detected = media_types.detect_media_type(data, filename=filename, declared=media_type)
        if detected in (media_types.PDF, media_types.DOCX):
            return self._extract_office(data, detected, filename)
        return self._local.extract(data, media_type, filename)

    def _extract_office(self, data: bytes, media_type: str, filename: str | None) -> ExtractedDocument:
        document = self._parse(data, media_type)
        walker = HtmlWalker(paged=True, text_paragraphs=True)
        root = parse_html(str(document.get("X-TIKA:content") or ""))
        if root is not None:
            body = root.find("body")
            walker.walk(body if body is not None else root)
        pages_value = _first(document.get("xmpTPg:NPages"))
        return build_document(
            media_type,
            walker.blocks,
            filename=filename,
            metadata_title=_first(document.get("dc:title")),
            pages=int(pages_value) if pages_value and pages_value.isdigit() else None,
            metadata={
                name: value for key, name in _METADATA_KEYS.items() if (value := _first(document.get(key)))
            },
        )

    def health(self) -> ComponentHealth:
        """Asks ``GET /version``; down (never raising) when the server does not answer within 5 s."""
        started = time.perf_counter()
        try:
            response = self._client.get(f"{self._url}/version", timeout=_HEALTH_TIMEOUT_SEC)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            return ComponentHealth(
                name="extract",
                status=HealthStatus.DOWN,
                backend="tika",
                latency_ms=(time.perf_counter() - started) * 1000,
                detail=f"{self._url}: {type(exc).__name__}",
            )
        return ComponentHealth(
            name="extract",
            status=HealthStatus.UP,
            backend="tika",
            latency_ms=(time.perf_counter() - started) * 1000,
            version=clean_line(response.text) or None,
            detail=self._url,
        )
