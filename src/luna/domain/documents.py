"""What text extraction produces: a document's text blocks with page and heading structure.

Value types, shared by every extractor (in-process or a Tika server), the chunker and ingestion; the
:class:`~luna.ports.extract.Extractor` port returns them, so chunking and citations with page numbers
do not depend on the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from luna.domain.errors import Unprocessable


class Unreadable(StrEnum):
    """Why a file could not be read: ``Unprocessable.details["reason"]``, so that the dashboards say
    "empty", "damaged" or "protected" instead of blaming a scan for every one."""

    EMPTY = "empty"
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    NO_TEXT = "no_text"


def unreadable(message: str, reason: Unreadable) -> Unprocessable:
    return Unprocessable(message, details={"reason": reason.value})


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"


def _table_cell(value: str | None) -> str:
    """One cell on one line, with pipes escaped so that the row keeps its column count."""
    return " ".join((value or "").split()).replace("|", "\\|")


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One unit of document structure.

    ``page`` is 1-based where the format has pages (PDF), else None. ``level`` is set for headings
    (1 = top). A TABLE block's text is a GitHub-style Markdown table whose first row is the header row;
    build it with :meth:`table` so every extractor writes tables the same way.
    """

    kind: BlockKind
    text: str
    page: int | None = None
    level: int | None = None

    @classmethod
    def table(cls, rows: Sequence[Sequence[str | None]], *, page: int | None = None) -> TextBlock | None:
        """A Markdown table block from rows of cells (first row = header); None when all cells are empty."""
        cleaned = [[_table_cell(cell) for cell in row] for row in rows]
        cleaned = [row for row in cleaned if any(row)]
        if not cleaned:
            return None
        width = max(len(row) for row in cleaned)
        padded = [row + [""] * (width - len(row)) for row in cleaned]
        lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in padded[1:]]
        return cls(BlockKind.TABLE, "\n".join(lines), page=page)


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    """The text of one document in reading order.

    ``media_type`` is the type detected from the content. ``metadata`` holds what the format tells
    about itself (author, creation date, producer …) as plain strings, for display and filtering.
    """

    title: str | None
    media_type: str
    blocks: list[TextBlock] = field(default_factory=list)
    pages: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)
