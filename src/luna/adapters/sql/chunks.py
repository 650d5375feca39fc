"""The ``item_chunks`` table: the passages of each item that the lexical and vector indexes hold."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import item_chunks, items, utc_now
from luna.domain.errors import Conflict, NotFound
from luna.domain.items import ItemChunk

_KEYS_PER_STATEMENT: Final = 500
"""IDs bound into one ``IN (…)``: far below SQLite's parameter limit, few round trips."""

_ACTIVE: Final = item_chunks.c.metadata["archived"].as_boolean().is_not(sa.true())
"""Not archived: chunks without the flag (or with it false) are current; ``IS NOT`` lets NULL through."""


class SqlChunkRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add_many(self, chunks: Sequence[ItemChunk]) -> None:
        """Insert all chunks in one statement.

        Unknown items and taken chunk IDs are looked up first and reported as domain errors: on PostgreSQL
        a constraint violation would abort the caller's whole transaction.
        """
        if not chunks:
            return
        rows = [_to_row(chunk) for chunk in chunks]
        item_keys = {row["item_id"] for row in rows}
        known_items = set(self._existing(items.c.item_id, item_keys))
        missing = sorted(str(key) for key in item_keys - known_items)
        if missing:
            raise NotFound(f"items {missing} not found", details={"item_ids": missing})
        chunk_keys = [row["chunk_id"] for row in rows]
        if len(set(chunk_keys)) != len(chunk_keys):
            raise Conflict("the same chunk_id is given twice")
        taken = sorted(str(key) for key in self._existing(item_chunks.c.chunk_id, chunk_keys))
        if taken:
            raise Conflict(f"chunks {taken} already exist", details={"chunk_ids": taken})
        self._connection().execute(sa.insert(item_chunks), rows)

    def list_for_item(self, item_id: str, *, include_archived: bool = False) -> Sequence[ItemChunk]:
        key = parse_uuid(item_id)
        if key is None:
            return []
        statement = (
            sa.select(item_chunks)
            .where(item_chunks.c.item_id == key, *_activity(include_archived))
            .order_by(item_chunks.c.chunk_idx, item_chunks.c.chunk_id)
        )
        return [_to_chunk(row) for row in self._connection().execute(statement)]

    def get_many(self, chunk_ids: Sequence[str]) -> list[ItemChunk]:
        """In the order asked, each once; a search hit pointing at a vanished chunk is simply dropped."""
        keys = list(dict.fromkeys(key for key in map(parse_uuid, chunk_ids) if key is not None))
        found: dict[uuid.UUID, ItemChunk] = {}
        for start in range(0, len(keys), _KEYS_PER_STATEMENT):
            batch = keys[start : start + _KEYS_PER_STATEMENT]
            statement = sa.select(item_chunks).where(item_chunks.c.chunk_id.in_(batch))
            found.update({row.chunk_id: _to_chunk(row) for row in self._connection().execute(statement)})
        return [found[key] for key in keys if key in found]

    def count(self, *, include_archived: bool = False) -> int:
        statement = sa.select(sa.func.count()).select_from(item_chunks).where(*_activity(include_archived))
        return int(self._connection().execute(statement).scalar_one())

    def archive_for_item(self, item_id: str) -> int:
        """One UPDATE that sets the flag inside each current chunk's metadata, keeping its other keys."""
        key = parse_uuid(item_id)
        if key is None:
            return 0
        connection = self._connection()
        statement = (
            sa.update(item_chunks)
            .where(item_chunks.c.item_id == key, _ACTIVE)
            .values(metadata=_with_archived_flag(connection.dialect.name))
            .returning(item_chunks.c.chunk_id)
        )
        return len(connection.execute(statement).all())

    def delete_for_item(self, item_id: str) -> int:
        key = parse_uuid(item_id)
        if key is None:
            return 0
        statement = (
            sa.delete(item_chunks).where(item_chunks.c.item_id == key).returning(item_chunks.c.chunk_id)
        )
        return len(self._connection().execute(statement).all())

    def all_active(self, batch_size: int = 1000) -> Iterator[list[ItemChunk]]:
        """Keyset paging on ``chunk_id``: each batch is one short query, however many chunks there are."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        after: uuid.UUID | None = None
        while True:
            statement = sa.select(item_chunks).where(_ACTIVE)
            if after is not None:
                statement = statement.where(item_chunks.c.chunk_id > after)
            statement = statement.order_by(item_chunks.c.chunk_id).limit(batch_size)
            rows = self._connection().execute(statement).all()
            if not rows:
                return
            yield [_to_chunk(row) for row in rows]
            if len(rows) < batch_size:
                return
            after = rows[-1].chunk_id

    def _existing(self, column: sa.Column[uuid.UUID], keys: Collection[uuid.UUID]) -> list[uuid.UUID]:
        ordered = list(keys)
        present: list[uuid.UUID] = []
        for start in range(0, len(ordered), _KEYS_PER_STATEMENT):
            statement = sa.select(column).where(column.in_(ordered[start : start + _KEYS_PER_STATEMENT]))
            present.extend(self._connection().execute(statement).scalars())
        return present


def _activity(include_archived: bool) -> list[sa.ColumnElement[bool]]:
    return [] if include_archived else [_ACTIVE]


def _with_archived_flag(dialect: str) -> sa.ColumnElement[Any]:
    """``metadata`` with ``archived: true`` merged in: JSONB ``||`` on PostgreSQL, ``json_set`` on SQLite."""
    if dialect == "postgresql":
        current = sa.func.coalesce(item_chunks.c.metadata, sa.cast(sa.literal("{}"), postgresql.JSONB()))
        return current.op("||")(sa.cast(sa.literal('{"archived": true}'), postgresql.JSONB()))
    current_text = sa.func.coalesce(item_chunks.c.metadata, sa.literal("{}"))
    return sa.func.json_set(current_text, "$.archived", sa.func.json("true"))


def _to_row(chunk: ItemChunk) -> dict[str, Any]:
    return {
        "chunk_id": require_uuid(chunk.chunk_id, "chunk_id"),
        "item_id": require_uuid(chunk.item_id, "item_id"),
        "chunk_idx": chunk.chunk_idx,
        "text": chunk.text,
        "qdrant_id": chunk.qdrant_id,
        "metadata": dict(chunk.metadata),
        "created_at": chunk.created_at or utc_now(),
    }


def _to_chunk(row: sa.Row[Any]) -> ItemChunk:
    return ItemChunk(
        chunk_id=str(row.chunk_id),
        item_id=str(row.item_id),
        chunk_idx=row.chunk_idx,
        text=row.text,
        qdrant_id=row.qdrant_id,
        metadata=dict(row.metadata or {}),
        created_at=row.created_at,
    )
