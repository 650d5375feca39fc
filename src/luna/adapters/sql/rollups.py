"""Derived tables that dashboards read instead of raw rows."""

from __future__ import annotations

import sqlalchemy as sa

from luna.adapters.sql.tables import events, mv_events_daily

_SQLITE_UTC_DAY = "%Y-%m-%dT00:00:00.000000+00:00"
"""Midnight UTC of a timestamp, in the text format ``UtcDateTime`` stores on SQLite."""


def refresh_events_daily(connection: sa.Connection) -> None:
    """Recount events per UTC day and type in ``mv_events_daily``, inside the caller's transaction.

    PostgreSQL refreshes the materialized view CONCURRENTLY (readers keep seeing the old counts meanwhile;
    the unique index on ``(day, type)`` allows it). SQLite replaces the table's rows; in one transaction
    readers see either the old or the new counts.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_events_daily"))
        return
    day = sa.func.strftime(_SQLITE_UTC_DAY, events.c.ts)
    per_day_and_type = sa.select(day, events.c.type, sa.func.count()).group_by(day, events.c.type)
    connection.execute(sa.delete(mv_events_daily))
    connection.execute(
        sa.insert(mv_events_daily).from_select(["day", "type", "cnt"], per_day_and_type),
    )
