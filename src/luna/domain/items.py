"""Knowledge items (documents, pages, notes) and the chunks they are split into for retrieval.

An item is one ingested source; its chunks are what the lexical and vector indexes hold. When a new
version of an item is ingested, its old chunks are archived (``metadata["archived"] = True``) rather than
deleted, so earlier answers that cite them stay explainable (seed 001 §4, Wissenspflege).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

#: The payload fields every chunk point carries (see ``services.indexing.chunk_payload``) and so the only
#: keys a search filter may name. A filter on any other key could never match, and each new key would
#: make the vector store build a payload index (seconds and megabytes under its global lock), so an
#: unknown key is refused instead of searched.
FILTERABLE_CHUNK_FIELDS = frozenset(
    {
        "chunk_id",
        "item_id",
        "title",
        "kind",
        "source",
        "tags",
        "url",
        "version",
        "section",
        "page",
        "chunk_idx",
    }
)
#: The filterable fields that hold integers; the others hold text (``tags`` a list of texts).
INTEGER_CHUNK_FIELDS = frozenset({"version", "page", "chunk_idx"})


class ItemStatus(StrEnum):
    """Where an item is in ingestion: only ``indexed`` items are visible to search."""

    PENDING = "pending"
    INDEXED = "indexed"
    FAILED = "failed"


@dataclass(slots=True)
class Item:
    """One ingested source. ``sha256`` of its content is unique, so the same file is not ingested twice."""

    item_id: str
    kind: str
    source: str | None = None
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    url: str | None = None
    sha256: str | None = None
    version: int = 1
    status: ItemStatus = ItemStatus.PENDING
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    #: Who added it (``admin``, ``user:<uuid>``, ``job:<name>``, ``system``) and the way in (``api``,
    #: ``url``, ``dashboard``, ``cli``, ``job``, ``demo``); None for items older than the record.
    added_by: str | None = None
    added_via: str | None = None


@dataclass(slots=True)
class ItemChunk:
    """A stored passage of an item; ``qdrant_id`` is the ID of its vector, ``chunk_idx`` its position."""

    chunk_id: str
    item_id: str
    chunk_idx: int
    text: str
    qdrant_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def archived(self) -> bool:
        """Superseded by a newer version of its item: kept for provenance, left out of search."""
        return self.metadata.get("archived") is True
