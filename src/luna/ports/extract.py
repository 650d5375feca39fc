"""Text extraction: bytes of a document in, text blocks with page and heading structure out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from luna.domain.health import ComponentHealth


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class TextBlock:
    kind: BlockKind
    text: str
    page: int | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    title: str | None
    media_type: str
    blocks: list[TextBlock] = field(default_factory=list)
    pages: int | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


class Extractor(Protocol):
    def extract(self, data: bytes, media_type: str, filename: str | None = None) -> ExtractedDocument: ...

    def health(self) -> ComponentHealth: ...
