"""Column types that behave the same on SQLite and PostgreSQL.

PostgreSQL has native TIMESTAMPTZ, JSONB and TEXT[]; SQLite has none of them. These types pick the
native type on PostgreSQL and a faithful stand-in on SQLite, so repositories never branch on the dialect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

SQLITE_UTC_NOW = "strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')"
"""SQLite's "now" in exactly the text format :class:`UtcDateTime` writes (fixed width, sortable)."""


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A point in time, always timezone-aware UTC in Python.

    PostgreSQL stores TIMESTAMPTZ. SQLite stores ISO-8601 text with microseconds and a ``+00:00`` offset;
    every value has the same width, so text order is time order and range filters work on the column.
    Naive datetimes are refused: their meaning depends on the machine that wrote them.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a timezone (UTC)")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.isoformat(timespec="microseconds")
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(parsed, datetime):
            raise TypeError(f"cannot read {value!r} as a timestamp")
        if parsed.tzinfo is None:
            # Only hand-written SQLite text can lack an offset; Luna writes UTC everywhere.
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


def json_document() -> TypeEngine[Any]:
    """A JSON value: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def text_list() -> TypeEngine[Any]:
    """A list of strings: TEXT[] on PostgreSQL (GIN-indexable), a JSON array on SQLite."""
    return sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")
