"""Engines tuned for each backend: SQLite shared by threads, PostgreSQL through psycopg 3.

SQLite: every connection gets WAL (readers never block the writer), ``foreign_keys=ON`` (off by default
in SQLite), a busy timeout (wait for the lock instead of failing) and ``synchronous=NORMAL`` (durable in
WAL mode, far fewer fsyncs). Transactions start with ``BEGIN IMMEDIATE``: a transaction that reads and
then writes would otherwise fail at once with "database is locked" when another thread wrote in between,
because SQLite cannot upgrade a stale read snapshot; taking the write lock up front makes threads queue
on the busy timeout instead. Read-only work that must not queue behind a writer (health) asks for
``BEGIN DEFERRED`` via the :data:`SQLITE_BEGIN` execution option.

PostgreSQL: a short connect timeout (health must answer quickly when the server is gone), pre-ping (the
pool drops connections the server closed) and sessions in UTC.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL

from luna.adapters.sql.rollups import SQLITE_BERLIN_DATE, berlin_date

SQLITE_BEGIN: Final = "luna_sqlite_begin"
"""Execution option: ``IMMEDIATE`` (default) or ``DEFERRED``, how a SQLite transaction starts."""

SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
PG_CONNECT_TIMEOUT_SEC: Final = 3

_SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
)
_SQLITE_BEGIN_MODES: Final = frozenset({"IMMEDIATE", "DEFERRED"})


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


def build_engine(url: str, *, pool_size: int, echo: bool) -> sa.Engine:
    """Create (but do not connect) the engine for a ``sqlite:///`` or ``postgresql[+psycopg]://`` URL."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, pool_size=pool_size, echo=echo)
    if backend == "postgresql":
        return _postgresql_engine(parsed, pool_size=pool_size, echo=echo)
    raise ValueError(
        f"unsupported database URL {parsed.drivername}://…: use sqlite:/// or postgresql+psycopg://"
    )


def _sqlite_engine(url: URL, *, pool_size: int, echo: bool) -> sa.Engine:
    if url.database in (None, "", ":memory:") or str(url.database).startswith("file::memory:"):
        raise ValueError(
            "in-memory SQLite is not supported: every pooled connection would see its own empty database;"
            " use a file (sqlite:///path/to/luna.db)"
        )
    engine = sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # error messages and logs must not carry user data (no PII in logs)
        pool_size=pool_size,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Stop the sqlite3 module from opening transactions on its own; the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        # SQLite's lower() folds ASCII only; German titles need "ÜBERSICHT" to match "übersicht".
        dbapi_connection.create_function("lower", 1, _casefold, deterministic=True)
        # SQLite has no time zones; the daily rollup counts Europe/Berlin days (``rollups.py``).
        dbapi_connection.create_function(SQLITE_BERLIN_DATE, 1, berlin_date, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        mode = str(connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")).upper()
        if mode not in _SQLITE_BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {sorted(_SQLITE_BEGIN_MODES)}, not {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgresql_engine(url: URL, *, pool_size: int, echo: bool) -> sa.Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    defaults: dict[str, Any] = {
        "connect_timeout": PG_CONNECT_TIMEOUT_SEC,
        "options": "-c timezone=UTC",
        "application_name": "luna",
    }
    connect_args = {key: value for key, value in defaults.items() if key not in url.query}
    return sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # error messages and logs must not carry user data (no PII in logs)
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=30,
        connect_args=connect_args,
    )
