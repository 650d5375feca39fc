"""``SqlDatabase``: the relational store on SQLite (embedded) or PostgreSQL (server), one code path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import sqlalchemy as sa

from luna.adapters.sql.engine import SQLITE_BEGIN, build_engine
from luna.adapters.sql.migrate import current_revision, head_revision, upgrade_to_head
from luna.adapters.sql.rollups import refresh_events_daily
from luna.adapters.sql.unit_of_work import SqlUnitOfWork
from luna.domain.health import ComponentHealth, HealthStatus

_MIGRATION_LOCK_KEY: Final = 0x4C554E41  # "LUNA": serialises processes that start and migrate at once


class SqlDatabase:
    """Units of work, schema migration, rollup refresh and health for one database URL.

    Safe to share between threads: each unit of work takes its own pooled connection. Creating the
    object does not connect; the first unit of work (or ``health``) does.
    """

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self._engine = build_engine(url, pool_size=pool_size, echo=echo)
        self._timescaledb: bool | None = None

    @property
    def engine(self) -> sa.Engine:
        """For adapters and tests that need SQL beyond the repositories (bulk time-series inserts)."""
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def has_timescaledb(self) -> bool:
        """Whether the TimescaleDB extension is active in this database (never on SQLite)."""
        if self.dialect != "postgresql":
            return False
        if self._timescaledb is None:
            with self._reading() as connection:
                self._timescaledb = _timescaledb_active(connection)
        return self._timescaledb

    def unit_of_work(self, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, read_only=read_only)

    def upgrade(self) -> str:
        """Migrate to the newest revision in one transaction; a no-op when already there."""
        with self._engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            upgrade_to_head(connection)
            revision = current_revision(connection)
        self._timescaledb = None
        if revision is None:
            raise RuntimeError("the migration finished without recording a revision")
        return revision

    def current_revision(self) -> str | None:
        with self._reading() as connection:
            return current_revision(connection)

    def refresh_events_daily(self) -> None:
        with self._engine.begin() as connection:
            refresh_events_daily(connection)

    def health(self) -> ComponentHealth:
        """Time ``SELECT 1``, report server version and schema revision; failures are reported, not raised."""
        try:
            return self._probe()
        except Exception as error:  # health reports every failure as "down"
            return ComponentHealth(
                name="database",
                status=HealthStatus.DOWN,
                backend=self.dialect,
                detail=_reason(error),
                extra={"url": self._safe_url()},
            )

    def close(self) -> None:
        self._engine.dispose()

    def _probe(self) -> ComponentHealth:
        head = head_revision()
        with self._reading() as connection:
            started = time.perf_counter()
            connection.execute(sa.text("SELECT 1"))
            latency_ms = (time.perf_counter() - started) * 1000
            version = _server_version(connection)
            revision = current_revision(connection)
            timescaledb = self.dialect == "postgresql" and _timescaledb_active(connection)
        extra: dict[str, Any] = {
            "url": self._safe_url(),
            "revision": revision,
            "head": head,
            "timescaledb": timescaledb,
        }
        return ComponentHealth(
            name="database",
            status=HealthStatus.UP,
            backend=self.dialect,
            latency_ms=round(latency_ms, 3),
            version=version,
            detail=_revision_detail(revision, head),
            extra=extra,
        )

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A connection for reads: on SQLite it must not queue behind a long writer for the write lock."""
        with self._engine.connect() as connection:
            yield connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"})

    def _safe_url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)


def _timescaledb_active(connection: sa.Connection) -> bool:
    query = sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
    return connection.execute(query).scalar() is not None


def _server_version(connection: sa.Connection) -> str:
    if connection.dialect.name == "postgresql":
        return str(connection.execute(sa.text("SHOW server_version")).scalar_one())
    return str(connection.execute(sa.text("SELECT sqlite_version()")).scalar_one())


def _revision_detail(revision: str | None, head: str) -> str:
    if revision is None:
        return "schema not created yet: run `luna db upgrade`"
    if revision != head:
        return f"{revision} (newest is {head}: run `luna db upgrade`)"
    return revision


def _reason(error: Exception) -> str:
    """The first line of the driver's message: says why (refused, timeout, no such file) without the SQL."""
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else 'no message'}"
