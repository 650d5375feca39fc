"""INSERT … ON CONFLICT DO NOTHING on both dialects.

A duplicate key then shows as "no row inserted" instead of an error; on PostgreSQL an error would also
abort the rest of the caller's transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with the connection's dialect's ``on_conflict_do_nothing``/``_do_update``."""
    return postgresql.insert(table) if connection.dialect.name == "postgresql" else sqlite.insert(table)


def insert_unless_present(connection: sa.Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it clashes with a unique key; return whether it was inserted.

    The answer comes from RETURNING, not ``rowcount``, which psycopg does not always report.
    """
    statement = (
        dialect_insert(connection, table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return connection.execute(statement).first() is not None
