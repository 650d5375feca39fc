"""Aggregates for the usage and ingest metrics, counted by the database on SQLite and PostgreSQL alike.

Every figure per day is a Europe/Berlin calendar day: events as ``mv_events_daily`` counts them
(``rollups.py``), the ingest figures here. PostgreSQL cuts the day with ``timezone('Europe/Berlin', …)``,
so it never depends on a session setting; SQLite has no time zones and calls the Python function
:func:`~luna.adapters.sql.rollups.berlin_date` that ``engine.py`` registers on every connection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.rollups import SQLITE_BERLIN_DATE
from luna.adapters.sql.tables import item_chunks, items, jobs, mv_events_daily, rag_feedback
from luna.domain.energy_calendar import BERLIN
from luna.domain.items import ItemStatus
from luna.domain.jobs import JobStatus
from luna.ports.metrics import DurationStats, JobRun, Ratings

_FINISHED = tuple(status.value for status in JobStatus if status.is_finished)
_P95 = 0.95


def _midnight(day: date) -> datetime:
    """The instant a Berlin calendar day begins."""
    return datetime.combine(day, time(), tzinfo=BERLIN)


class SqlMetricsRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def events_daily(self, since: date) -> dict[date, dict[str, int]]:
        # ``day`` is a Europe/Berlin calendar day (a date) on both backends; ``since`` is one too.
        statement = sa.select(mv_events_daily.c.day, mv_events_daily.c.type, mv_events_daily.c.cnt).where(
            mv_events_daily.c.day >= since
        )
        days: dict[date, dict[str, int]] = {}
        for day, kind, count in self._connection().execute(statement):
            days.setdefault(_as_date(day), {})[kind] = int(count)
        return days

    def events_by_type(self) -> dict[str, int]:
        statement = sa.select(mv_events_daily.c.type, sa.func.sum(mv_events_daily.c.cnt)).group_by(
            mv_events_daily.c.type
        )
        return {kind: int(total) for kind, total in self._connection().execute(statement)}

    def ratings(self, since: datetime | None = None) -> Ratings:
        statement = sa.select(sa.func.count(), sa.func.count().filter(rag_feedback.c.useful == sa.true()))
        if since is not None:
            statement = statement.where(rag_feedback.c.ts >= since)
        total, useful = self._connection().execute(statement).one()
        return Ratings(useful=int(useful), total=int(total))

    def items_per_day(self, since: date) -> dict[date, int]:
        return self._per_day(items.c.created_at, since)

    def chunks_per_day(self, since: date) -> dict[date, int]:
        return self._per_day(item_chunks.c.created_at, since)

    def failed_items_per_day(self, since: date) -> dict[date, int]:
        return self._per_day(items.c.updated_at, since, items.c.status == ItemStatus.FAILED.value)

    def finished_jobs(self, names: Collection[str], since: datetime) -> list[JobRun]:
        if not names:
            return []
        statement = (
            sa.select(jobs.c.name, jobs.c.status, jobs.c.started_at, jobs.c.finished_at, jobs.c.result)
            .where(
                jobs.c.name.in_(sorted(names)),
                jobs.c.status.in_(_FINISHED),
                jobs.c.finished_at >= since,
            )
            .order_by(jobs.c.finished_at, jobs.c.job_id)
        )
        return [
            JobRun(
                name=row.name,
                status=row.status,
                finished_at=row.finished_at,
                started_at=row.started_at,
                result=row.result if isinstance(row.result, dict) else {},
            )
            for row in self._connection().execute(statement)
        ]

    def indexing_durations(self, since: datetime) -> DurationStats:
        duration = self._seconds_between(items.c.created_at, items.c.updated_at)
        where = (
            items.c.status == ItemStatus.INDEXED.value,
            items.c.version == 1,
            items.c.archived_at.is_(None),
            items.c.created_at >= since,
        )
        connection = self._connection()
        count, average = connection.execute(
            sa.select(sa.func.count(), sa.func.avg(duration)).where(*where)
        ).one()
        if not count:
            return DurationStats(count=0)
        # Nearest rank: the smallest duration that at least 95 % of the durations do not exceed.
        rank = math.ceil(_P95 * count)
        p95 = connection.execute(
            sa.select(duration).where(*where).order_by(duration).offset(rank - 1).limit(1)
        ).scalar_one()
        return DurationStats(count=int(count), avg_sec=max(0.0, float(average)), p95_sec=max(0.0, float(p95)))

    # -- dialect pieces ----------------------------------------------------------------------------

    def _per_day(
        self, column: sa.ColumnElement[datetime], since: date, *where: sa.ColumnElement[bool]
    ) -> dict[date, int]:
        day = self._berlin_day(column)
        statement = sa.select(day, sa.func.count()).where(column >= _midnight(since), *where).group_by(day)
        return {_as_date(value): int(count) for value, count in self._connection().execute(statement)}

    def _berlin_day(self, column: sa.ColumnElement[datetime]) -> sa.ColumnElement[Any]:
        if self._connection().dialect.name == "postgresql":
            return sa.cast(sa.func.timezone("Europe/Berlin", column), sa.Date)
        day: sa.ColumnElement[Any] = getattr(sa.func, SQLITE_BERLIN_DATE)(column)
        return day

    def _seconds_between(
        self, start: sa.ColumnElement[datetime], end: sa.ColumnElement[datetime]
    ) -> sa.ColumnElement[float]:
        if self._connection().dialect.name == "postgresql":
            return sa.cast(sa.extract("epoch", end - start), sa.Double)
        # julianday reads the stored ISO text (offset included) to the millisecond.
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
