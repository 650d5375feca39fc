"""Alembic environment for Luna: one migration history for SQLite and PostgreSQL.

``SqlDatabase.upgrade()`` passes an open connection (``config.attributes["connection"]``) so the
migration runs inside its transaction and lock. From the Alembic command line the URL comes from
``-x url=...`` or else from Luna's settings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from luna.adapters.sql.migrate import compares_with_schema
from luna.adapters.sql.tables import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=compares_with_schema(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def _url_from_command_line() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from luna.settings import load_settings

    return load_settings().database_url


def _run_from_command_line() -> None:
    from luna.adapters.sql.engine import build_engine

    engine = build_engine(_url_from_command_line(), pool_size=1, echo=False)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Luna's migrations branch on the live database (TimescaleDB, dialect): run them online")

given_connection = context.config.attributes.get("connection")
if given_connection is None:
    _run_from_command_line()
else:
    _run(given_connection)
