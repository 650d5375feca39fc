"""Derived tables that dashboards read instead of raw rows."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from luna.adapters.sql.tables import events, mv_events_daily

BERLIN: Final = ZoneInfo("Europe/Berlin")
"""The clock of the market and of Luna's customers: rollups count its calendar days."""

SQLITE_BERLIN_DATE: Final = "luna_berlin_date"
"""SQLite function (registered on every connection, ``engine.py``): the Berlin date of a stored instant."""


def berlin_date(stored: str | None) -> str | None:
    """The Europe/Berlin calendar day (``YYYY-MM-DD``) of an instant as ``UtcDateTime`` stores it on SQLite.

    SQLite knows no time zones; this runs in Python with the tz database, so the clock changes (last
    Sundays of March and October) move the day boundary between 23:00 and 22:00 UTC correctly.
    """
    if stored is None:
        return None
    return datetime.fromisoformat(stored).astimezone(BERLIN).date().isoformat()


def refresh_events_daily(connection: sa.Connection) -> None:
    """Recount events per Europe/Berlin day and type in ``mv_events_daily``, inside the caller's transaction.

    PostgreSQL refreshes the materialized view CONCURRENTLY (readers keep seeing the old counts meanwhile;
    the unique index on ``(day, type)`` allows it). SQLite replaces the table's rows; in one transaction
    readers see either the old or the new counts.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_events_daily"))
        return
    day = sa.func.luna_berlin_date(events.c.ts, type_=sa.Text())
    per_day_and_type = sa.select(day, events.c.type, sa.func.count()).group_by(day, events.c.type)
    connection.execute(sa.delete(mv_events_daily))
    connection.execute(
        sa.insert(mv_events_daily).from_select(["day", "type", "cnt"], per_day_and_type),
    )
