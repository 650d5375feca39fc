"""Temporary tables a write fills in bulk before anything touches the real tables.

A batch lands in a stage table first (binary COPY on PostgreSQL, ``executemany`` on SQLite). Rows
whose key is stored already are then deleted from the stage, so what remains are exactly the new
rows: they are inserted with one ``INSERT … SELECT``, and their rollup buckets and meters are
updated with set-based SQL. The touched-bucket tables list the buckets (key, length, start in epoch
seconds) the rollups recompute. All of them live in the write's transaction and are dropped at its
end (or with its rollback).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import sqlalchemy as sa

from luna.domain.energy import Floats

if TYPE_CHECKING:
    import psycopg

_ROWS_PER_CHUNK: Final = 50_000
"""Rows converted to Python objects at a time: bounds the memory of a million-row write."""

_temporary = sa.MetaData()

reading_stage = sa.Table(
    "luna_stage_readings",
    _temporary,
    sa.Column("meter_id", sa.Text(), primary_key=True),
    sa.Column("ep", sa.BigInteger(), primary_key=True),
    sa.Column("consumption_kw", sa.Double()),
    sa.Column("production_kw", sa.Double()),
    sa.Column("voltage", sa.Double()),
    sa.Column("quality", sa.Text()),
    sa.Column("register_kwh", sa.Double()),
    prefixes=["TEMPORARY"],
)

price_stage = sa.Table(
    "luna_stage_prices",
    _temporary,
    sa.Column("market", sa.Text(), primary_key=True),
    sa.Column("product", sa.Text(), primary_key=True),
    sa.Column("ep", sa.BigInteger(), primary_key=True),
    sa.Column("price_eur_mwh", sa.Double()),
    sa.Column("volume", sa.Double()),
    prefixes=["TEMPORARY"],
)

meter_buckets = sa.Table(
    "luna_touched_meter_buckets",
    _temporary,
    sa.Column("seconds", sa.Integer(), primary_key=True),
    sa.Column("meter_id", sa.Text(), primary_key=True),
    sa.Column("start", sa.BigInteger(), primary_key=True),
    prefixes=["TEMPORARY"],
)

price_buckets = sa.Table(
    "luna_touched_price_buckets",
    _temporary,
    sa.Column("seconds", sa.Integer(), primary_key=True),
    sa.Column("market", sa.Text(), primary_key=True),
    sa.Column("product", sa.Text(), primary_key=True),
    sa.Column("start", sa.BigInteger(), primary_key=True),
    prefixes=["TEMPORARY"],
)

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
