"""Initial schema: the tables of the Luna-IEMS masterplan (seed 001, section 2) plus jobs, consent, audit.

Revision ID: 0001
Revises:
Create Date: 2025-06-01

Runs unchanged on SQLite and PostgreSQL; where the two differ the choice is made here, once:

* UUID keys: native ``uuid`` with ``gen_random_uuid()`` on PostgreSQL (built in since 13); 32 hex
  characters on SQLite, defaulted to a random version-4 UUID so hand-written inserts work too.
* Timestamps in UTC: ``timestamptz`` defaulting to ``now()`` on PostgreSQL; fixed-width ISO-8601 text
  on SQLite (see ``luna.adapters.sql.column_types.UtcDateTime``).
* ``items.tags``: ``text[]`` with the seed's GIN index on PostgreSQL; a JSON array on SQLite (no GIN).
  ``metadata``/``meta`` and the other documents: ``jsonb`` on PostgreSQL, JSON text on SQLite.
* ``events`` has the primary key ``(event_id, ts)`` instead of the seed's ``(event_id)``: a TimescaleDB
  hypertable needs its time column in every unique index, and the seed makes ``events`` a hypertable.
  ``event_id`` stays unique in practice (random UUIDs).
* Deleting an item (the admin's cascade) must not be blocked by history that points at it: events keep
  their row with ``item_id``/``chunk_id`` set to NULL, labels about the item go with it.
* ``mv_events_daily``: the seed's materialized view on PostgreSQL, with days cut in UTC
  (``date_trunc('day', ts, 'UTC')``) whatever the session time zone, plus a unique index on
  ``(day, type)`` so it can be refreshed CONCURRENTLY. SQLite has no materialized views: a plain table
  with the same columns, filled by ``SqlDatabase.refresh_events_daily``.
* TimescaleDB is optional: when the server offers the extension it is created and ``events``,
  ``smart_meter_readings`` and ``market_prices`` become hypertables; otherwise they stay plain tables.

Additions beyond the seed: ``items.status`` (pending | indexed | failed), ``items.updated_at``,
``items.archived_at``; ``jobs`` (the background job record); ``consent``; ``audit_log``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import SQLITE_UTC_NOW, UtcDateTime, json_document, text_list

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("luna.migrations")

_SQLITE_UUID4 = (
    "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
    " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
)
_HYPERTABLES = ("events", "smart_meter_readings", "market_prices")


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _new_uuid() -> sa.TextClause:
    return sa.text("gen_random_uuid()" if _is_postgresql() else f"({_SQLITE_UUID4})")


def _now() -> sa.TextClause:
    return sa.text("now()" if _is_postgresql() else f"({SQLITE_UTC_NOW})")


def _empty_json() -> sa.TextClause:
    return sa.text("'{}'::jsonb" if _is_postgresql() else "'{}'")


def _uuid_pk(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Uuid(), primary_key=True, server_default=_new_uuid())


def _created_at(*, nullable: bool = True) -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime(), nullable=nullable, server_default=_now())


def upgrade() -> None:
    _create_seed_tables()
    _create_product_tables()
    if _is_postgresql():
        _enable_timescaledb()
    _create_events_daily()


def downgrade() -> None:
    raise NotImplementedError("Luna's migrations only move forward; restore a snapshot to go back")


def _create_seed_tables() -> None:
    op.create_table(
        "users",
        _uuid_pk("user_id"),
        sa.Column("external_id", sa.Text(), unique=True),
        _created_at(),
    )
    op.create_table(
        "items",
        _uuid_pk("item_id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("tags", text_list()),
        sa.Column("url", sa.Text()),
        sa.Column("sha256", sa.Text(), unique=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1")),
        _created_at(),
        sa.Column("status", sa.Text(), nullable=False, server_default="pending"),
        sa.Column("updated_at", UtcDateTime(), server_default=_now()),
        sa.Column("archived_at", UtcDateTime()),
        sa.CheckConstraint("status IN ('pending', 'indexed', 'failed')", name="ck_items_status"),
    )
    if _is_postgresql():
        op.create_index("idx_items_tags", "items", ["tags"], postgresql_using="gin")
    op.create_index("idx_items_sha", "items", ["sha256"])

    op.create_table(
        "item_chunks",
        _uuid_pk("chunk_id"),
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="CASCADE")),
        sa.Column("chunk_idx", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("qdrant_id", sa.Text()),
        sa.Column("metadata", json_document(), server_default=_empty_json()),
        _created_at(),
    )
    op.create_index("idx_chunks_item", "item_chunks", ["item_id"])

    op.create_table(
        "events",
        sa.Column("event_id", sa.Uuid(), nullable=False, server_default=_new_uuid()),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id")),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="SET NULL")),
        sa.Column("chunk_id", sa.Uuid(), sa.ForeignKey("item_chunks.chunk_id", ondelete="SET NULL")),
        sa.Column("meta", json_document(), server_default=_empty_json()),
        sa.PrimaryKeyConstraint("event_id", "ts"),
    )
    op.create_index("idx_events_user_ts", "events", ["user_id", sa.text("ts DESC")])

    op.create_table(
        "smart_meter_readings",
        sa.Column("meter_id", sa.Text(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("consumption_kw", sa.Double()),
        sa.Column("production_kw", sa.Double()),
        sa.Column("voltage", sa.Double()),
        sa.Column("quality", sa.Text()),
        sa.PrimaryKeyConstraint("meter_id", "ts"),
    )
    op.create_table(
        "market_prices",
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("price_eur_mwh", sa.Double()),
        sa.Column("volume", sa.Double()),
        sa.PrimaryKeyConstraint("market", "product", "ts"),
    )
    op.create_table(
        "labels",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="CASCADE"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False, server_default=_now()),
        sa.Column("reward", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.PrimaryKeyConstraint("user_id", "item_id", "ts"),
    )


def _create_product_tables() -> None:
    op.create_table(
        "jobs",
        _uuid_pk("job_id"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="queued"),
        sa.Column("params", json_document(), server_default=_empty_json()),
        sa.Column("progress", sa.Double(), nullable=False, server_default=sa.text("0")),
        sa.Column("message", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("result", json_document()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_by", sa.Text()),
        sa.Column("worker", sa.Text()),
        _created_at(nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("heartbeat_at", UtcDateTime()),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="ck_jobs_status"
        ),
    )
    op.create_index("ix_jobs_status_created_at", "jobs", ["status", "created_at"])
    op.create_index("ix_jobs_name", "jobs", ["name"])

    op.create_table(
        "consent",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("user_id", "ts"),
    )
    op.create_table(
        "audit_log",
        _uuid_pk("audit_id"),
        sa.Column("ts", UtcDateTime(), nullable=False, server_default=_now()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text()),
        sa.Column("details", json_document()),
    )
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])


def _enable_timescaledb() -> None:
    """Create the extension and the hypertables when the server offers TimescaleDB; never require it."""
    bind = op.get_bind()
    offered = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).scalar()
    if not offered:
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
    except sa.exc.DBAPIError as error:
        # Installed but not loadable (e.g. missing from shared_preload_libraries): plain tables work too.
        log.warning("TimescaleDB is installed but could not be enabled, keeping plain tables: %s", error.orig)
        return
    for table in _HYPERTABLES:
        bind.execute(
            sa.text("SELECT create_hypertable(CAST(:table AS regclass), 'ts', if_not_exists => TRUE)"),
            {"table": table},
        )


def _create_events_daily() -> None:
    if _is_postgresql():
        op.execute(
            "CREATE MATERIALIZED VIEW mv_events_daily AS "
            "SELECT date_trunc('day', ts, 'UTC') AS day, type, count(*) AS cnt FROM events GROUP BY 1, 2"
        )
    else:
        op.create_table(
            "mv_events_daily",
            sa.Column("day", UtcDateTime(), nullable=False),
            sa.Column("type", sa.Text(), nullable=False),
            sa.Column("cnt", sa.BigInteger(), nullable=False),
        )
    op.create_index("ux_mv_events_daily_day_type", "mv_events_daily", ["day", "type"], unique=True)
    op.create_index("idx_mv_events_daily_day", "mv_events_daily", ["day"])
