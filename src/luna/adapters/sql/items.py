"""The ``items`` table: every ingested source, found by ID, content hash, title/URL text, tag or status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from luna.adapters.sql.inserts import insert_unless_present
from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import item_chunks, items, utc_now
from luna.domain.errors import Conflict, NotFound
from luna.domain.items import Item, ItemStatus

UPDATABLE_FIELDS = frozenset(column.name for column in items.columns) - {"item_id"}


class SqlItemRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, item: Item) -> None:
        """Insert a new item; a taken ID or content hash raises :class:`Conflict`."""
        created_at = item.created_at or utc_now()
        row = {
            "item_id": require_uuid(item.item_id, "item_id"),
            "kind": item.kind,
            "source": item.source,
            "title": item.title,
            "tags": list(item.tags),
            "url": item.url,
            "sha256": item.sha256,
            "version": item.version,
            "status": ItemStatus(item.status).value,
            "created_at": created_at,
            "updated_at": item.updated_at or created_at,
            "archived_at": item.archived_at,
            "added_by": item.added_by,
            "added_via": item.added_via,
        }
        if not insert_unless_present(self._connection(), items, row):
            raise Conflict(f"item {item.item_id!r} or its sha256 {item.sha256!r} already exists")

    def get(self, item_id: str) -> Item | None:
        key = parse_uuid(item_id)
        if key is None:
            return None
        row = self._connection().execute(sa.select(items).where(items.c.item_id == key)).one_or_none()
        return None if row is None else _to_item(row)

    def get_by_sha256(self, sha256: str) -> Item | None:
        row = self._connection().execute(sa.select(items).where(items.c.sha256 == sha256)).one_or_none()
        return None if row is None else _to_item(row)

    def list(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        status: ItemStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Item]:
        """Newest first; ties (same ``created_at``) in a stable order so paging neither skips nor repeats."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        statement = (
            sa.select(items)
            .where(*_filters(self._dialect(), query, tag, status))
            .order_by(items.c.created_at.desc(), items.c.item_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_to_item(row) for row in self._connection().execute(statement)]

    def count(
        self, *, query: str | None = None, tag: str | None = None, status: ItemStatus | None = None
    ) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(items)
            .where(*_filters(self._dialect(), query, tag, status))
        )
        return int(self._connection().execute(statement).scalar_one())

    def update(self, item_id: str, **fields: Any) -> None:
        """Set columns of one item; a misspelt field name is a bug, so it raises instead of being ignored.

        The content hash is checked first: on PostgreSQL a unique violation would abort the whole
        transaction, not just this statement.
        """
        if not self._update(item_id, None, fields):
            raise NotFound(f"item {item_id!r} not found")

    def advance_version(self, item_id: str, from_version: int, **fields: Any) -> bool:
        if self.get(item_id) is None:
            raise NotFound(f"item {item_id!r} not found")
        return self._update(item_id, from_version, {**fields, "version": from_version + 1})

    def _update(self, item_id: str, from_version: int | None, fields: dict[str, Any]) -> bool:
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(f"unknown item fields {sorted(unknown)}; known: {sorted(UPDATABLE_FIELDS)}")
        key = parse_uuid(item_id)
        if key is None:
            return False
        if "status" in fields:
            fields["status"] = ItemStatus(fields["status"]).value
        if "tags" in fields:
            fields["tags"] = list(fields["tags"] or [])
        if fields.get("sha256") is not None:
            holder = self.get_by_sha256(fields["sha256"])
            if holder is not None and holder.item_id != str(key):
                raise Conflict(f"sha256 {fields['sha256']!r} already belongs to item {holder.item_id}")
        statement = sa.update(items).where(items.c.item_id == key)
        if from_version is not None:
            statement = statement.where(items.c.version == from_version)
        returning = statement.values(**fields).returning(items.c.item_id)
        return self._connection().execute(returning).first() is not None

    def delete(self, item_id: str) -> bool:
        """The foreign key's ON DELETE CASCADE removes the chunks (and labels) in the same statement."""
        key = parse_uuid(item_id)
        if key is None:
            return False
        statement = sa.delete(items).where(items.c.item_id == key).returning(items.c.item_id)
        return self._connection().execute(statement).first() is not None

    def counts_by_status(self) -> dict[str, int]:
        """Every status with its count, zero included, so a dashboard can show all of them."""
        statement = sa.select(items.c.status, sa.func.count()).group_by(items.c.status)
        counts = {status.value: 0 for status in ItemStatus}
        counts.update({status: int(n) for status, n in self._connection().execute(statement).all()})
        return counts

    def fingerprint(self) -> tuple[int, int, datetime | None]:
        indexed = items.c.status == ItemStatus.INDEXED.value
        statement = sa.select(
            sa.func.count().filter(indexed),
            sa.func.coalesce(sa.func.sum(items.c.version).filter(indexed), 0),
            sa.func.max(items.c.updated_at),
        )
        count, versions, newest = self._connection().execute(statement).one()
        return int(count), int(versions), newest

    def _dialect(self) -> str:
        return self._connection().dialect.name


def _filters(
    dialect: str, query: str | None, tag: str | None, status: ItemStatus | None
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [_mentions(word) for word in query_words(query)]
    if tag is not None:
        conditions.append(_has_tag(dialect, tag))
    if status is not None:
        conditions.append(items.c.status == ItemStatus(status).value)
    return conditions


#: At most this many words of a corpus search count (each one is a scan of the passages).
MAX_QUERY_WORDS = 8


def query_words(query: str | None) -> list[str]:
    """The words of a corpus search, each of which an item must contain somewhere."""
    return (query or "").split()[:MAX_QUERY_WORDS]


def _mentions(word: str) -> sa.ColumnElement[bool]:
    """The item's title or URL, or the text of one of its passages, contains ``word`` (any case)."""
    in_passages = sa.exists(
        sa.select(sa.literal(1)).where(
            item_chunks.c.item_id == items.c.item_id, item_chunks.c.text.icontains(word, autoescape=True)
        )
    )
    return sa.or_(
        items.c.title.icontains(word, autoescape=True),
        items.c.url.icontains(word, autoescape=True),
        in_passages,
    )


def _has_tag(dialect: str, tag: str) -> sa.ColumnElement[bool]:
    """``tags @> ARRAY[tag]`` on PostgreSQL (served by the GIN index); a ``json_each`` scan on SQLite."""
    if dialect == "postgresql":
        return sa.type_coerce(items.c.tags, postgresql.ARRAY(sa.Text())).contains([tag])
    element = sa.func.json_each(items.c.tags).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(element).where(element.c.value == tag))


def _to_item(row: sa.Row[Any]) -> Item:
    return Item(
        item_id=str(row.item_id),
        kind=row.kind,
        source=row.source,
        title=row.title,
        tags=list(row.tags or []),
        url=row.url,
        sha256=row.sha256,
        version=row.version,
        status=ItemStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
        added_by=row.added_by,
        added_via=row.added_via,
    )
