"""The one ``MetaData`` every table module registers on, and the column helpers they share.

Separate from :mod:`luna.adapters.sql.tables` so that capability table modules
(:mod:`luna.adapters.sql.tables_flywheel`) can register without importing it back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime

metadata = sa.MetaData()


def utc_now() -> datetime:
    return datetime.now(UTC)


def uuid_pk(name: str) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), primary_key=True, default=uuid.uuid4)


def created_at_column() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), default=utc_now)
