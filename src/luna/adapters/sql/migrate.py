"""Alembic driven from code: the application migrates itself, whatever its working directory.

The migration scripts live in ``migrations/`` at the project root (one history for SQLite and
PostgreSQL); this module finds them next to the source tree and hands Alembic an open connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from luna.adapters.sql.tables import POSTGRESQL_ONLY_INDEXES, mv_events_daily

SOURCE_TREE_MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def migrations_dir() -> Path:
    """The migration scripts: ``LUNA_MIGRATIONS_DIR`` (installed images), else the source tree's."""
    override = os.environ.get("LUNA_MIGRATIONS_DIR")
    return Path(override) if override else SOURCE_TREE_MIGRATIONS


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration without an ini file; ``connection`` is the one the migrations run on."""
    directory = migrations_dir()
    if not (directory / "env.py").is_file():
        raise RuntimeError(f"Alembic migrations not found in {directory} (set LUNA_MIGRATIONS_DIR)")
    config = Config()
    config.set_main_option("script_location", str(directory))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision; the history is linear, so there is exactly one."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration history must have one head, found {sorted(heads)}")
    return heads[0]


def upgrade_to_head(connection: sa.Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def current_revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def compares_with_schema(dialect: str) -> Callable[..., bool]:
    """Alembic ``include_object`` hook: which parts of ``tables.py`` exist as such in a ``dialect`` database.

    Autogenerate and the schema test would otherwise report the materialized view as a missing table on
    PostgreSQL and the GIN index as missing on SQLite.
    """

    def include(_obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and name == "alembic_version":
            return False
        if dialect == "postgresql":
            return name != mv_events_daily.name
        return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)

    return include
