"""Rollup buckets of readings and prices: quarters from raw rows, hours from quarters, days from hours.

Two ways to fill them, sharing the aggregate expressions (``RollupFamily.base``/``combine``); the
tests check both against a NumPy computation of the same rows:

* :func:`refresh_buckets` after a write: the touched-bucket table lists the quarter-hours the new rows
  fall in; their hours and days are derived from it, and each listed bucket is recomputed from the
  level below with ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE``. Recomputing (rather than
  adding the new rows to the stored sums) makes a repeated or late write exact: nothing is counted
  twice, whatever had been stored before.
* :func:`rebuild` for a repair: delete a range of buckets and group every raw row in it by bucket.

Buckets start at whole multiples of their length since 1970-01-01T00:00Z, so days start at UTC
midnight. A raw row counts in the quarter-hour its ``ts`` (the start of its interval) falls in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from luna.adapters.sql.energy_epochs import epoch_to_utc, utc_to_epoch
from luna.adapters.sql.energy_staging import meter_buckets, price_buckets
from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables import (
    market_prices,
    meter_rollup_1d,
    meter_rollup_1h,
    meter_rollup_15m,
    meters,
    price_rollup_1d,
    price_rollup_1h,
    price_rollup_15m,
    smart_meter_readings,
)
from luna.domain.energy import BUCKET_SECONDS, Resolution

Aggregate = Callable[[ColumnElement[Any]], ColumnElement[Any]]
Level = tuple[int, sa.Table]

DAY_SECONDS: Final = BUCKET_SECONDS["1d"]


@dataclass(frozen=True)
class RollupFamily:
    """The raw table of one kind of series, its key columns and its rollup tables, finest first.

    ``base`` gives the aggregates of the finest level from raw rows, given the grouped key columns of
    the select; ``combine`` says how a parent bucket's column follows from its children's (sum, min
    or max).
    """

    raw: sa.Table
    keys: tuple[str, ...]
    rollups: Mapping[Resolution, sa.Table]
    touched: sa.Table
    base: Callable[[Sequence[ColumnElement[Any]]], list[ColumnElement[Any]]]
    combine: Mapping[str, Aggregate]

    @property
    def levels(self) -> tuple[Level, ...]:
        """Each rollup table with its bucket length in seconds, finest first."""
        return tuple((BUCKET_SECONDS[resolution], table) for resolution, table in self.rollups.items())

    def table(self, resolution: Resolution) -> sa.Table:
        """Where rows of ``resolution`` are read: the raw table for ``raw``, else that rollup table."""
        return self.raw if resolution == "raw" else self.rollups[resolution]


def _sum(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.func.sum(column)


def _min(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.func.min(column)


def _max(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.func.max(column)


def _meter_base(keys: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """Readings → quarter-hour sums. A row without consumption (or flagged missing) counts as missing
    and nowhere else. kWh are the kW sum × the meter's interval: a lookup per bucket, not a join,
    so that the raw rows are reached only through the (meter, time) index."""
    r = smart_meter_readings
    missing = sa.or_(r.c.consumption_kw.is_(None), r.c.quality == "missing")

    def kept(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.case((missing, sa.null()), else_=column)

    consumption, production, voltage = kept(r.c.consumption_kw), kept(r.c.production_kw), kept(r.c.voltage)
    interval_s = sa.select(meters.c.interval_s).where(meters.c.meter_id == keys[0]).scalar_subquery()
    hours = interval_s / sa.literal_column("3600.0", sa.Double())
    return [
        sa.func.count().label("readings"),
        sa.func.sum(sa.case((missing, 1), else_=0)).label("missing"),
        sa.func.sum(consumption).label("consumption_kw_sum"),
        sa.func.min(consumption).label("consumption_kw_min"),
        sa.func.max(consumption).label("consumption_kw_max"),
        sa.func.sum(production).label("production_kw_sum"),
        sa.func.count(production).label("production_kw_count"),
        sa.func.max(production).label("production_kw_max"),
        sa.func.sum(voltage).label("voltage_sum"),
        sa.func.count(voltage).label("voltage_count"),
        sa.func.min(voltage).label("voltage_min"),
        sa.func.max(voltage).label("voltage_max"),
        (sa.func.sum(consumption) * hours).label("consumption_kwh"),
        (sa.func.sum(production) * hours).label("production_kwh"),
    ]


def _price_base(_keys: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    p = market_prices
    return [
        sa.func.count().label("periods"),
        sa.func.sum(p.c.price_eur_mwh).label("price_eur_mwh_sum"),
        sa.func.count(p.c.price_eur_mwh).label("price_eur_mwh_count"),
        sa.func.min(p.c.price_eur_mwh).label("price_eur_mwh_min"),
        sa.func.max(p.c.price_eur_mwh).label("price_eur_mwh_max"),
        sa.func.sum(p.c.volume).label("volume"),
    ]


METERS = RollupFamily(
    raw=smart_meter_readings,
    keys=("meter_id",),
    rollups={"15m": meter_rollup_15m, "1h": meter_rollup_1h, "1d": meter_rollup_1d},
    touched=meter_buckets,
    base=_meter_base,
    combine={
        "readings": _sum,
        "missing": _sum,
        "consumption_kw_sum": _sum,
        "consumption_kw_min": _min,
        "consumption_kw_max": _max,
        "production_kw_sum": _sum,
        "production_kw_count": _sum,
        "production_kw_max": _max,
        "voltage_sum": _sum,
        "voltage_count": _sum,
        "voltage_min": _min,
        "voltage_max": _max,
        "consumption_kwh": _sum,
        "production_kwh": _sum,
    },
)

PRICES = RollupFamily(
    raw=market_prices,
    keys=("market", "product"),
    rollups={"15m": price_rollup_15m, "1h": price_rollup_1h, "1d": price_rollup_1d},
    touched=price_buckets,
    base=_price_base,
    combine={
        "periods": _sum,
        "price_eur_mwh_sum": _sum,
        "price_eur_mwh_count": _sum,
        "price_eur_mwh_min": _min,
        "price_eur_mwh_max": _max,
        "volume": _sum,
    },
)


def touch(connection: sa.Connection, family: RollupFamily, stage: sa.Table) -> None:
    """List the finest buckets the rows of ``stage`` (keys and ``ep`` in epoch seconds) fall in."""
    seconds = family.levels[0][0]
    start = stage.c.ep - stage.c.ep % _integer(seconds)
    rows = sa.select(_integer(seconds), *(stage.c[key] for key in family.keys), start).distinct()
    connection.execute(
        sa.insert(family.touched).from_select(["seconds", *family.keys, "start"], rows),
    )


def refresh_buckets(connection: sa.Connection, family: RollupFamily) -> None:
    """Recompute every bucket listed in the touched table, and the hours and days that contain them."""
    join_by_index_ranges(connection)
    touched = family.touched
    for (child_seconds, _), (seconds, _) in zip(family.levels, family.levels[1:], strict=False):
        parents = (
            sa.select(
                _integer(seconds),
                *(touched.c[key] for key in family.keys),
                touched.c.start - touched.c.start % _integer(seconds),
            )
            .where(touched.c.seconds == child_seconds)
            .distinct()
        )
        connection.execute(sa.insert(touched).from_select(["seconds", *family.keys, "start"], parents))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {touched.name}")  # row counts for the planner
    source = family.raw
    for seconds, table in family.levels:
        t = touched.alias("t")
        keys = [t.c[key] for key in family.keys]
        inside = sa.and_(
            *(source.c[key] == t.c[key] for key in family.keys),
            source.c.ts >= epoch_to_utc(t.c.start),
            source.c.ts < epoch_to_utc(t.c.start + _integer(seconds)),
        )
        select: sa.Select[Any] = sa.select(*keys, epoch_to_utc(t.c.start).label("ts"))
        select = select.select_from(t).join(source, inside).where(t.c.seconds == seconds)
        select = _aggregates(family, source, select, keys).group_by(*keys, t.c.start)
        _upsert(connection, table, family, select)
        source = table


def join_by_index_ranges(connection: sa.Connection) -> None:
    """Make PostgreSQL join a small driving table to a large one by index lookups, for this transaction.

    PostgreSQL cannot estimate how many rows a range join (``r.ts >= t.start AND r.ts < t.start + 900``)
    matches, and on a table of millions of readings it then prefers a hash or merge join that reads
    every row of the table, seconds for a tick of one reading per meter. With both turned off (``SET
    LOCAL``: until the write commits) every touched bucket is one index range scan, the plan SQLite
    always uses. JIT compilation, which the inflated estimates would trigger, costs more than it saves
    on these statements.
    """
    if connection.dialect.name == "postgresql":
        for setting in ("enable_hashjoin", "enable_mergejoin", "jit"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")


def rebuild(
    connection: sa.Connection,
    family: RollupFamily,
    start: int | None,
    end: int | None,
    series: Sequence[str] | None = None,
) -> None:
    """Recompute all buckets in ``[start, end)`` (epoch seconds on whole days; None: unbounded) from
    the raw rows; with ``series``, only those whose first key (the meter) is one of them."""
    source = family.raw
    for seconds, table in family.levels:
        connection.execute(sa.delete(table).where(*_within(table, family, start, end, series)))
        epoch = utc_to_epoch(source.c.ts)
        bucket = epoch - epoch % _integer(seconds)
        keys = [source.c[key] for key in family.keys]
        select: sa.Select[Any] = sa.select(*keys, epoch_to_utc(bucket).label("ts")).select_from(source)
        select = select.where(*_within(source, family, start, end, series))
        select = _aggregates(family, source, select, keys).group_by(*keys, bucket)
        connection.execute(sa.insert(table).from_select(_names(select), select))
        source = table


def _aggregates(
    family: RollupFamily, source: sa.Table, select: sa.Select[Any], keys: Sequence[ColumnElement[Any]]
) -> sa.Select[Any]:
    if source is family.raw:
        return select.add_columns(*family.base(keys))
    return select.add_columns(
        *(combine(source.c[name]).label(name) for name, combine in family.combine.items())
    )


def _within(
    table: sa.Table, family: RollupFamily, start: int | None, end: int | None, series: Sequence[str] | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(table.c.ts >= epoch_to_utc(sa.literal(start, sa.BigInteger())))
    if end is not None:
        conditions.append(table.c.ts < epoch_to_utc(sa.literal(end, sa.BigInteger())))
    if series is not None:
        conditions.append(table.c[family.keys[0]].in_(list(series)))
    return conditions


def _upsert(connection: sa.Connection, table: sa.Table, family: RollupFamily, select: sa.Select[Any]) -> None:
    names = _names(select)
    statement = dialect_insert(connection, table).from_select(names, select)
    values = {name: statement.excluded[name] for name in names if name not in (*family.keys, "ts")}
    connection.execute(statement.on_conflict_do_update(index_elements=[*family.keys, "ts"], set_=values))


def _names(select: sa.Select[Any]) -> list[str]:
    """The select's column names, which are the rollup table's: keys, ``ts`` and the aggregates."""
    return [column.name for column in select.selected_columns]


def _integer(value: int) -> ColumnElement[int]:
    """An integer written into the SQL text: GROUP BY must see the same expression as the select list."""
    return sa.literal_column(str(int(value)), sa.Integer())
