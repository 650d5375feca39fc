"""Databases for the SQL suites: a SQLite file per test, PostgreSQL databases of their own on the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import DATA_TABLES

BACKENDS = ("sqlite", "postgresql")


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{(directory / 'luna.db').as_posix()}"


@contextmanager
def scratch_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server behind ``server_url``; dropped afterwards.

    The SQL suites migrate and empty their own databases, so they never disturb other suites that share
    the session's ``postgres_url`` database.
    """
    name = f"luna_sql_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def remove_all_rows(database: SqlDatabase) -> None:
    """Empty every table and the events rollup, keeping the schema (faster than a new database).

    DELETE rather than TRUNCATE: on the few rows a test leaves, it avoids TRUNCATE's new files and fsyncs.
    """
    with database.engine.begin() as connection:
        for table in reversed(DATA_TABLES):
            connection.execute(sa.delete(table))
    database.refresh_events_daily()


@contextmanager
def rowless_database(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, pool_size: int
) -> Iterator[SqlDatabase]:
    """A migrated database without rows: a SQLite file in ``tmp_path``, or the module's PostgreSQL one."""
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("migrated_postgres_url")
    database = SqlDatabase(url, pool_size=pool_size, echo=False)
    database.upgrade()
    remove_all_rows(database)
    try:
        yield database
    finally:
        database.close()
