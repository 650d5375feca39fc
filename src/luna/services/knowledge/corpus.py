"""The corpus as operators keep it in the admin dashboard: browse items, see their versions, change tags.

Listing, reading, replacing and deleting items are what the API's ``/admin/items`` routes and the
dashboard's corpus view do; this service adds what an operator needs on top: chunk counts per item,
the version history (every version's chunks stay in SQL, archived once a newer version replaces
them, so each version's size and date can be read back) and editing tags.

Tags live in SQL and, for filtering, in every chunk's vector payload and lexical document. Changing
them commits SQL first (the source of truth) and then rewrites the item's points and lexical documents
with the new payload; the embeddings come from the cache, so this is quick. Should the vector write
fail, search still shows the new tags (results are read back from SQL) and a reindex of the item
brings the filters in line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from luna.domain.errors import InvalidInput, NotFound
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.ports.sql import Database, UnitOfWork
from luna.services.knowledge.ingest import IngestRequest, IngestResult
from luna.services.knowledge.ingest_rules import clean_tags
from luna.services.knowledge.knowledge import KnowledgeBase

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class CorpusItem:
    item: Item
    #: Searchable chunks (of the current version).
    chunks: int
    #: Chunks of earlier versions, kept for provenance.
    archived_chunks: int


@dataclass(frozen=True, slots=True)
class CorpusPage:
    items: list[CorpusItem]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class ItemVersion:
    version: int
    chunks: int
    #: When the version's chunks were written (None when the store has no time for them).
    indexed_at: datetime | None
    current: bool


class CorpusService:
    def __init__(self, database: Database, knowledge: KnowledgeBase) -> None:
        self._database = database
        self._knowledge = knowledge

    def page(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        status: ItemStatus | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> CorpusPage:
        """Items newest first, with chunk counts (``query``: part of title or URL; ``tag``: a tag)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if offset < 0:
            raise InvalidInput("offset must not be negative")
        query = query.strip() if query and query.strip() else None
        tag = tag.strip() if tag and tag.strip() else None
        with self._database.unit_of_work(read_only=True) as uow:
            items, total = _listed(uow, query, tag, status, limit, offset)
            chunks = {
                item.item_id: uow.chunks.list_for_item(item.item_id, include_archived=True) for item in items
            }
        return CorpusPage(
            items=[_counted(item, chunks[item.item_id]) for item in items],
            total=total,
            limit=limit,
            offset=offset,
        )

    def items(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        status: ItemStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Item], int]:
        """Items newest first without chunk counts, and how many match (the API pages up to 200)."""
        with self._database.unit_of_work(read_only=True) as uow:
            return _listed(uow, query, tag, status, limit, offset)

    def item(self, item_id: str) -> Item:
        with self._database.unit_of_work(read_only=True) as uow:
            item = uow.items.get(item_id)
        if item is None:
            raise NotFound(f"No item with id {item_id!r}.")
        return item

    def passages(self, item_id: str) -> list[ItemChunk]:
        """The current passages of a document in reading order (what a reader opens from a source)."""
        with self._database.unit_of_work(read_only=True) as uow:
            if uow.items.get(item_id) is None:
                raise NotFound(f"No item with id {item_id!r}.")
            return sorted(uow.chunks.list_for_item(item_id), key=lambda chunk: chunk.chunk_idx)

    def new_version(
        self,
        item: Item,
        data: bytes,
        *,
        filename: str | None,
        declared_type: str | None,
        kind: str | None = None,
        tags: Sequence[str] = (),
        title: str | None = None,
        added_by: str,
        added_via: str,
    ) -> IngestResult:
        """Index ``data`` as the next version of ``item``; kind and source stay the item's unless given."""
        request = IngestRequest(
            data=data,
            filename=filename,
            declared_type=declared_type,
            kind=kind or item.kind,
            source=item.source or "upload",
            tags=tags,
            title=title,
            added_by=added_by,
            added_via=added_via,
        )
        return self._knowledge.ingest.replace(item.item_id, request)

    def get(self, item_id: str) -> CorpusItem:
        item, chunks = self._item_and_chunks(item_id)
        return _counted(item, chunks)

    def versions(self, item_id: str) -> list[ItemVersion]:
        """Every version of the item that still has chunks, newest first."""
        item, chunks = self._item_and_chunks(item_id)
        by_version: dict[int, list[ItemChunk]] = {}
        for chunk in chunks:
            version = chunk.metadata.get("version")
            by_version.setdefault(version if isinstance(version, int) else item.version, []).append(chunk)
        return [
            ItemVersion(
                version=version,
                chunks=len(members),
                indexed_at=min((c.created_at for c in members if c.created_at is not None), default=None),
                current=version == item.version,
            )
            for version, members in sorted(by_version.items(), reverse=True)
        ]

    def set_tags(self, item_id: str, tags: Sequence[str]) -> Item:
        """Replace the item's tags (cleaned like at ingest) in SQL and in the search indexes."""
        cleaned = clean_tags(tags)
        with self._database.unit_of_work() as uow:
            item = uow.items.get(item_id)
            if item is None:
                raise NotFound(f"No item with id {item_id!r}.")
            uow.items.update(item_id, tags=cleaned)
            current = list(uow.chunks.list_for_item(item_id))
            uow.commit()
        updated = replace(item, tags=cleaned)
        if updated.status == ItemStatus.INDEXED and current:
            indexer = self._knowledge.indexer
            indexer.write_vectors(updated, current)
            indexer.lexical.apply(
                add=indexer.lexical_documents(updated, current), remove=[chunk.chunk_id for chunk in current]
            )
        logger.info("tags of item %s set to %s", item_id, cleaned)
        return updated

    def delete(self, item_id: str) -> int:
        """Remove the item with its chunks, vectors and blobs; return how many chunks went with it."""
        return self._knowledge.ingest.delete(item_id)

    def _item_and_chunks(self, item_id: str) -> tuple[Item, Sequence[ItemChunk]]:
        with self._database.unit_of_work(read_only=True) as uow:
            item = uow.items.get(item_id)
            chunks = uow.chunks.list_for_item(item_id, include_archived=True) if item is not None else []
        if item is None:
            raise NotFound(f"No item with id {item_id!r}.")
        return item, chunks


def _listed(
    uow: UnitOfWork, query: str | None, tag: str | None, status: ItemStatus | None, limit: int, offset: int
) -> tuple[list[Item], int]:
    found = list(uow.items.list(query=query, tag=tag, status=status, limit=limit, offset=offset))
    return found, uow.items.count(query=query, tag=tag, status=status)


def _counted(item: Item, chunks: Sequence[ItemChunk]) -> CorpusItem:
    archived = sum(1 for chunk in chunks if chunk.archived)
    return CorpusItem(item=item, chunks=len(chunks) - archived, archived_chunks=archived)
