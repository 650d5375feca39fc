"""Seconds since 1970 in SQL: the one place where the energy store's statements differ by dialect.

Bulk rows travel as integer epoch seconds (NumPy computes them for free, and COPY or executemany
moves an integer faster than a timestamp) and rollup buckets are integer arithmetic on them
(``s - s % 900``). Two functions convert between that and the stored timestamp: PostgreSQL's
``to_timestamp``/``extract(epoch …)`` on ``timestamptz``; on SQLite ``strftime``/``unixepoch`` on
the fixed-width ISO-8601 text that :class:`~luna.adapters.sql.column_types.UtcDateTime` stores,
written in exactly that format so that text comparison stays time comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from luna.adapters.sql.column_types import UtcDateTime
from luna.domain.energy import Timestamps
from luna.domain.errors import InvalidInput

_SQLITE_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.000000+00:00"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class epoch_to_utc(FunctionElement[datetime]):  # noqa: N801 — an SQL function, named like one
    """``timestamptz`` / ISO text of an integer epoch-seconds expression."""

    type = UtcDateTime()
    inherit_cache = True
    name = "epoch_to_utc"


class utc_to_epoch(FunctionElement[int]):  # noqa: N801 — an SQL function, named like one
    """Whole epoch seconds (rounded down) of a stored timestamp."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "utc_to_epoch"


@compiles(epoch_to_utc, "postgresql")
def _epoch_to_utc_postgresql(element: epoch_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_timestamp({compiler.process(element.clauses, **kw)})"


@compiles(epoch_to_utc, "sqlite")
def _epoch_to_utc_sqlite(element: epoch_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('{_SQLITE_FORMAT}', {compiler.process(element.clauses, **kw)}, 'unixepoch')"


@compiles(utc_to_epoch, "postgresql")
def _utc_to_epoch_postgresql(element: utc_to_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(utc_to_epoch, "sqlite")
def _utc_to_epoch_sqlite(element: utc_to_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"unixepoch({compiler.process(element.clauses, **kw)})"


def epoch_seconds(ts: Timestamps, column: str = "ts") -> np.ndarray[Any, np.dtype[np.int64]]:
    """Epoch seconds of UTC ``datetime64`` values; refuses NaT and instants before 1970.

    Before 1970 the SQL remainder (``s % 900``) would round buckets towards zero instead of down.
    """
    seconds = ts.astype("datetime64[s]")
    if np.isnat(seconds).any():
        raise InvalidInput(f"{column} must not contain NaT")
    values = seconds.astype(np.int64)
    if values.size and int(values.min()) < 0:
        raise InvalidInput(f"{column} must not lie before 1970-01-01T00:00Z")
    return values


def check_aware(moment: datetime, name: str) -> None:
    """Refuse a naive datetime: which instant it means is ambiguous."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must carry a time zone (UTC)")


def to_epoch(moment: datetime, name: str) -> int:
    """Epoch seconds of an aware datetime (rounded down)."""
    check_aware(moment, name)
    return int((moment - _EPOCH).total_seconds() // 1)


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
