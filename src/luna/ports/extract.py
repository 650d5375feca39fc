"""Text extraction: bytes of a document in, text blocks with page and heading structure out.

Every extractor (in-process or a Tika server) returns the same shape, so that chunking, citations
with page numbers and table handling do not depend on the backend.
"""

from __future__ import annotations

from typing import Protocol

from luna.domain.documents import ExtractedDocument
from luna.domain.health import ComponentHealth


class Extractor(Protocol):
    def extract(self, data: bytes, media_type: str, filename: str | None = None) -> ExtractedDocument:
        """Extract text blocks; the content decides the format, ``media_type`` and ``filename`` are hints.

        Raises ``UnsupportedType`` for formats Luna does not read and for text that ``media_type`` or
        ``filename`` promised as a binary format (``bild.png``), ``Unprocessable`` for empty,
        broken or text-less documents, and ``Unavailable`` when a remote extractor cannot be reached.
        """
        ...

    def health(self) -> ComponentHealth: ...
