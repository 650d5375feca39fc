"""Temporary tables a write fills in bulk before anything touches the real tables.

A batch lands in a stage table first (binary COPY on PostgreSQL, ``executemany`` on SQLite), which
mirrors its raw table with ``ts`` as integer epoch seconds ``ep``. Rows whose key is stored already
are then deleted from the stage, so what remains are exactly the new rows: they are inserted with
one ``INSERT … SELECT``, and their rollup buckets and meters are updated with set-based SQL. The
touched-bucket tables list the buckets (key, length, start in epoch seconds) the rollups recompute.
All of them live in the write's transaction and are dropped at its end (or with its rollback).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import sqlalchemy as sa

from luna.adapters.sql.tables import market_prices, smart_meter_readings
from luna.domain.energy import Floats

if TYPE_CHECKING:
    import psycopg

_ROWS_PER_CHUNK: Final = 50_000
"""Rows converted to Python objects at a time: bounds the memory of a million-row write."""

_temporary = sa.MetaData()


def _temporary_table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(name, _temporary, *columns, prefixes=["TEMPORARY"])


def _stage(name: str, raw: sa.Table) -> sa.Table:
    """The columns and key of ``raw``, with ``ts`` as integer epoch seconds ``ep``."""
    return _temporary_table(
        name,
        *(
            sa.Column("ep", sa.BigInteger(), primary_key=True)
            if column.name == "ts"
            else sa.Column(column.name, column.type, primary_key=column.primary_key)
            for column in raw.columns
        ),
    )


def _touched_buckets(name: str, *keys: str) -> sa.Table:
    """Buckets of one kind of series: their length in seconds, the series' key and their start."""
    return _temporary_table(
        name,
        sa.Column("seconds", sa.Integer(), primary_key=True),
        *(sa.Column(key, sa.Text(), primary_key=True) for key in keys),
        sa.Column("start", sa.BigInteger(), primary_key=True),
    )


reading_stage = _stage("luna_stage_readings", smart_meter_readings)
price_stage = _stage("luna_stage_prices", market_prices)
meter_buckets = _touched_buckets("luna_touched_meter_buckets", "meter_id")
price_buckets = _touched_buckets("luna_touched_price_buckets", "market", "product")

_COPY_TYPES: Final = {sa.Text: "text", sa.BigInteger: "int8", sa.Integer: "int4", sa.Double: "float8"}


@contextmanager
def temporary_tables(connection: sa.Connection, *tables: sa.Table) -> Iterator[None]:
    """Create ``tables`` for the rest of the transaction; a rollback removes them too."""
    for table in tables:
        table.create(connection)
    yield
    for table in reversed(tables):
        table.drop(connection)


def load(connection: sa.Connection, stage: sa.Table, columns: Sequence[np.ndarray[Any, Any]]) -> None:
    """Append rows given as one array per column of ``stage`` (floats: NaN becomes NULL)."""
    if len(columns) != len(stage.columns):
        raise ValueError(f"{stage.name} has {len(stage.columns)} columns, got {len(columns)}")
    total = len(columns[0]) if columns else 0
    if connection.dialect.name == "postgresql":
        _copy(connection, stage, columns, total)
        connection.exec_driver_sql(f"ANALYZE {stage.name}")
    else:
        marks = ", ".join("?" for _ in stage.columns)
        insert = f"INSERT INTO {stage.name} VALUES ({marks})"  # noqa: S608 — a fixed internal table
        for begin in range(0, total, _ROWS_PER_CHUNK):
            connection.exec_driver_sql(insert, list(_rows(columns, begin, begin + _ROWS_PER_CHUNK)))


def _copy(
    connection: sa.Connection, stage: sa.Table, columns: Sequence[np.ndarray[Any, Any]], total: int
) -> None:
    """Binary COPY through psycopg 3: no text formatting of floats on either side."""
    types = [_COPY_TYPES[type(column.type)] for column in stage.columns]
    names = ", ".join(column.name for column in stage.columns)
    driver = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    statement = f"COPY {stage.name} ({names}) FROM STDIN (FORMAT BINARY)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        for begin in range(0, total, _ROWS_PER_CHUNK):
            for row in _rows(columns, begin, begin + _ROWS_PER_CHUNK):
                copy.write_row(row)


def _rows(columns: Sequence[np.ndarray[Any, Any]], begin: int, end: int) -> Iterator[tuple[Any, ...]]:
    return zip(*(_python_values(column[begin:end]) for column in columns), strict=True)


def _python_values(values: np.ndarray[Any, Any]) -> list[Any]:
    if values.dtype.kind != "f":
        return values.tolist()  # type: ignore[no-any-return]
    return _floats_with_nulls(values)


def _floats_with_nulls(values: Floats) -> list[float | None]:
    missing = np.isnan(values)
    if not missing.any():
        return values.tolist()  # type: ignore[no-any-return]
    objects = values.astype(object)
    objects[missing] = None
    return objects.tolist()  # type: ignore[no-any-return]
