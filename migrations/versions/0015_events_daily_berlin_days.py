"""The daily event rollup counts Europe/Berlin calendar days instead of UTC days (issue #19).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23

* ``mv_events_daily.day``: a ``date``, the Europe/Berlin calendar day of the events
  (``(ts AT TIME ZONE 'Europe/Berlin')::date``), was the instant a UTC day began. PostgreSQL recreates
  the materialized view (filled at once) with its unique ``(day, type)`` index for ``REFRESH …
  CONCURRENTLY``. SQLite has no time zones: the table is recreated and refilled through a Python
  function that converts with the tz database, correct across the clock changes.
* The downgrade restores the UTC days of ``0001``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BERLIN = ZoneInfo("Europe/Berlin")
_SQLITE_FUNCTION = "luna_berlin_date_0015"


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        _recreate_view("(ts AT TIME ZONE 'Europe/Berlin')::date")
        return
    op.get_bind().connection.driver_connection.create_function(  # type: ignore[union-attr]
        _SQLITE_FUNCTION, 1, _berlin_date, deterministic=True
    )
    _recreate_table(sa.Date(), f"{_SQLITE_FUNCTION}(ts)")


def downgrade() -> None:
    if _is_postgresql():
        _recreate_view("date_trunc('day', ts, 'UTC')")
        return
    _recreate_table(UtcDateTime(), "strftime('%Y-%m-%dT00:00:00.000000+00:00', ts)")


def _berlin_date(stored: str | None) -> str | None:
    if stored is None:
        return None
    return datetime.fromisoformat(stored).astimezone(_BERLIN).date().isoformat()


def _recreate_view(day: str) -> None:
    op.execute("DROP MATERIALIZED VIEW mv_events_daily")
    op.execute(
        "CREATE MATERIALIZED VIEW mv_events_daily AS "  # noqa: S608 — constant SQL fragments
        f"SELECT {day} AS day, type, count(*) AS cnt FROM events GROUP BY 1, 2"
    )
    _create_indexes()


def _recreate_table(day_type: sa.types.TypeEngine[Any], day: str) -> None:
    op.drop_table("mv_events_daily")
    op.create_table(
        "mv_events_daily",
        sa.Column("day", day_type, nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("cnt", sa.BigInteger(), nullable=False),
    )
    _create_indexes()
    op.execute(
        f"INSERT INTO mv_events_daily (day, type, cnt) SELECT {day}, type, count(*) FROM events GROUP BY 1, 2"  # noqa: S608 (constant SQL fragments)
    )


def _create_indexes() -> None:
    op.create_index("ux_mv_events_daily_day_type", "mv_events_daily", ["day", "type"], unique=True)
    op.create_index("idx_mv_events_daily_day", "mv_events_daily", ["day"])
