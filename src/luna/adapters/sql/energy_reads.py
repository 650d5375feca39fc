"""Chart rows from the energy tables: raw rows for ``raw``, the rollup tables for every other resolution.

Averages are computed here, as stored sum / stored count, so a coarser bucket's average weighs every
reading alike (not every child bucket). A value the database holds as NULL (or, from foreign writers,
NaN) comes out as None.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from luna.adapters.sql.energy_epochs import check_aware, utc_to_epoch
from luna.adapters.sql.energy_rollups import METERS, PRICES, RollupFamily
from luna.adapters.sql.tables import meter_rollup_1d, smart_meter_readings
from luna.domain.energy import (
    METER_RAW_COLUMNS,
    METER_ROLLUP_COLUMNS,
    PRICE_RAW_COLUMNS,
    PRICE_ROLLUP_COLUMNS,
    RESOLUTIONS,
    ReadingBatch,
    Resolution,
    SeriesRows,
)
from luna.domain.errors import InvalidInput


def meter_series(
    connection: sa.Connection,
    meter_id: str,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    limit: int,
) -> SeriesRows:
    table = _table(METERS, resolution)
    columns = _raw_columns(table, METER_RAW_COLUMNS) if resolution == "raw" else _meter_rollup_columns(table)
    query = sa.select(*columns).where(table.c.meter_id == meter_id)
    return _series(connection, query, table, start, end, limit)


def price_series(
    connection: sa.Connection,
    market: str,
    product: str,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    limit: int,
) -> SeriesRows:
    table = _table(PRICES, resolution)
    columns = _raw_columns(table, PRICE_RAW_COLUMNS) if resolution == "raw" else _price_rollup_columns(table)
    query = sa.select(*columns).where(table.c.market == market, table.c.product == product)
    return _series(connection, query, table, start, end, limit)


def daily_totals(connection: sa.Connection, start: datetime, end: datetime, limit: int) -> SeriesRows:
    """Every meter's kWh per UTC day, summed from the daily rollup (range scan on its ``ts`` index)."""
    d = meter_rollup_1d
    query = sa.select(
        d.c.ts,
        sa.func.count().label("meters"),
        sa.func.sum(d.c.consumption_kwh).label("consumption_kwh"),
        sa.func.sum(d.c.production_kwh).label("production_kwh"),
    ).group_by(d.c.ts)
    return _series(connection, query, d, start, end, limit)


def stored_readings(connection: sa.Connection, meter_id: str, start: datetime, end: datetime) -> ReadingBatch:
    _check_instants(start, end)
    r = smart_meter_readings
    query = (
        sa.select(
            utc_to_epoch(r.c.ts),
            r.c.consumption_kw,
            r.c.production_kw,
            r.c.voltage,
            r.c.quality,
            r.c.register_kwh,
        )
        .where(r.c.meter_id == meter_id, r.c.ts >= start, r.c.ts < end)
        .order_by(r.c.ts)
    )
    rows = connection.execute(query).all()
    epochs, consumption, production, voltage, quality, register = (
        zip(*rows, strict=True) if rows else ((),) * 6
    )
    return ReadingBatch(
        meter_id=np.full(len(rows), meter_id),
        ts=np.array(epochs, dtype=np.int64).astype("datetime64[s]"),
        consumption_kw=np.array(consumption, dtype=np.float64),
        production_kw=np.array(production, dtype=np.float64),
        voltage=np.array(voltage, dtype=np.float64),
        quality=np.array([q or "" for q in quality], dtype=np.str_),
        register_kwh=np.array(register, dtype=np.float64),
    )


def _check_instants(start: datetime, end: datetime) -> None:
    check_aware(start, "start")
    check_aware(end, "end")


def _series(
    connection: sa.Connection,
    query: sa.Select[Any],
    table: sa.Table,
    start: datetime,
    end: datetime,
    limit: int,
) -> SeriesRows:
    _check_instants(start, end)
    if limit < 0:
        raise InvalidInput("limit must not be negative")
    query = query.where(table.c.ts >= start, table.c.ts < end).order_by(table.c.ts).limit(limit)
    result = connection.execute(query)
    columns = tuple(result.keys())
    return SeriesRows(columns=columns, rows=[_values(row) for row in result.all()])


def _values(row: sa.Row[Any]) -> tuple[Any, ...]:
    """The row with NaN as None (only NaN is unequal to itself)."""
    return tuple(value if value == value else None for value in row)


def _table(family: RollupFamily, resolution: Resolution) -> sa.Table:
    if resolution not in RESOLUTIONS:
        raise InvalidInput(f"resolution must be one of {', '.join(RESOLUTIONS)}")
    return family.table(resolution)


def _raw_columns(table: sa.Table, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    return [table.c[name] for name in names]


def _average(total: ColumnElement[Any], count: ColumnElement[Any], name: str) -> ColumnElement[Any]:
    return (total / sa.func.nullif(count, 0)).label(name)


def _meter_rollup_columns(t: sa.Table) -> list[ColumnElement[Any]]:
    columns = [
        t.c.ts,
        t.c.readings,
        t.c.missing,
        _average(t.c.consumption_kw_sum, t.c.readings - t.c.missing, "consumption_kw_avg"),
        t.c.consumption_kw_min,
        t.c.consumption_kw_max,
        _average(t.c.production_kw_sum, t.c.production_kw_count, "production_kw_avg"),
        t.c.production_kw_max,
        t.c.voltage_min,
        _average(t.c.voltage_sum, t.c.voltage_count, "voltage_avg"),
        t.c.voltage_max,
        t.c.consumption_kwh,
        t.c.production_kwh,
    ]
    assert tuple(c.name for c in columns) == METER_ROLLUP_COLUMNS
    return columns


def _price_rollup_columns(t: sa.Table) -> list[ColumnElement[Any]]:
    columns = [
        t.c.ts,
        t.c.periods,
        _average(t.c.price_eur_mwh_sum, t.c.price_eur_mwh_count, "price_eur_mwh_avg"),
        t.c.price_eur_mwh_min,
        t.c.price_eur_mwh_max,
        t.c.volume,
    ]
    assert tuple(c.name for c in columns) == PRICE_ROLLUP_COLUMNS
    return columns
