"""The relational schema as SQLAlchemy Core tables, used by the repositories to build queries.

Alembic (``migrations/``) creates and evolves the real schema; these definitions mirror its newest revision
(an integration test compares the two). Python-side defaults (new UUIDs, "now" in UTC) make inserts
independent of the server defaults, which differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime, json_document, text_list

metadata = sa.MetaData()


def utc_now() -> datetime:
    return datetime.now(UTC)


def _uuid_pk(name: str) -> sa.Column[uuid.UUID]:
    return sa.Column(name, sa.Uuid(), primary_key=True, default=uuid.uuid4)


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), default=utc_now)


users = sa.Table(
    "users",
    metadata,
    _uuid_pk("user_id"),
    sa.Column("external_id", sa.Text(), unique=True),
    _created_at(),
)

items = sa.Table(
    "items",
    metadata,
    _uuid_pk("item_id"),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("source", sa.Text()),
    sa.Column("title", sa.Text()),
    sa.Column("tags", text_list()),
    sa.Column("url", sa.Text()),
    sa.Column("sha256", sa.Text(), unique=True),
    sa.Column("version", sa.Integer(), default=1),
    _created_at(),
    sa.Column("status", sa.Text(), nullable=False, default="pending"),
    sa.Column("updated_at", UtcDateTime(), default=utc_now, onupdate=utc_now),
    sa.Column("archived_at", UtcDateTime()),
    sa.CheckConstraint("status IN ('pending', 'indexed', 'failed')", name="ck_items_status"),
)
POSTGRESQL_ONLY_INDEXES = frozenset({"idx_items_tags"})
"""Indexes SQLite cannot have (GIN over an array); the migration creates them on PostgreSQL only."""
sa.Index("idx_items_tags", items.c.tags, postgresql_using="gin").ddl_if(dialect="postgresql")
sa.Index("idx_items_sha", items.c.sha256)

item_chunks = sa.Table(
    "item_chunks",
    metadata,
    _uuid_pk("chunk_id"),
    sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="CASCADE")),
    sa.Column("chunk_idx", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("qdrant_id", sa.Text()),
    sa.Column("metadata", json_document(), default=dict),
    _created_at(),
)
sa.Index("idx_chunks_item", item_chunks.c.item_id)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.Uuid(), primary_key=True, default=uuid.uuid4),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id")),
    sa.Column("ts", UtcDateTime(), primary_key=True),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="SET NULL")),
    sa.Column("chunk_id", sa.Uuid(), sa.ForeignKey("item_chunks.chunk_id", ondelete="SET NULL")),
    sa.Column("meta", json_document(), default=dict),
)
sa.Index("idx_events_user_ts", events.c.user_id, events.c.ts.desc())

smart_meter_readings = sa.Table(
    "smart_meter_readings",
    metadata,
    sa.Column("meter_id", sa.Text(), primary_key=True),
    sa.Column("ts", UtcDateTime(), primary_key=True),
    sa.Column("consumption_kw", sa.Double()),
    sa.Column("production_kw", sa.Double()),
    sa.Column("voltage", sa.Double()),
    sa.Column("quality", sa.Text()),
)

market_prices = sa.Table(
    "market_prices",
    metadata,
    sa.Column("market", sa.Text(), primary_key=True),
    sa.Column("product", sa.Text(), primary_key=True),
    sa.Column("ts", UtcDateTime(), primary_key=True),
    sa.Column("price_eur_mwh", sa.Double()),
    sa.Column("volume", sa.Double()),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id"), primary_key=True),
    sa.Column("item_id", sa.Uuid(), sa.ForeignKey("items.item_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ts", UtcDateTime(), primary_key=True, default=utc_now),
    sa.Column("reward", sa.Double(), nullable=False),
    sa.Column("reason", sa.Text()),
)

mv_events_daily = sa.Table(
    "mv_events_daily",
    metadata,
    sa.Column("day", UtcDateTime(), nullable=False),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("cnt", sa.BigInteger(), nullable=False),
)
sa.Index("ux_mv_events_daily_day_type", mv_events_daily.c.day, mv_events_daily.c.type, unique=True)
sa.Index("idx_mv_events_daily_day", mv_events_daily.c.day)
"""A materialized view on PostgreSQL and a plain table on SQLite; see ``SqlDatabase.refresh_events_daily``."""

jobs = sa.Table(
    "jobs",
    metadata,
    _uuid_pk("job_id"),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False, default="queued"),
    sa.Column("params", json_document(), default=dict),
    sa.Column("progress", sa.Double(), nullable=False, default=0.0),
    sa.Column("message", sa.Text()),
    sa.Column("error", sa.Text()),
    sa.Column("result", json_document()),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("created_by", sa.Text()),
    sa.Column("worker", sa.Text()),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("heartbeat_at", UtcDateTime()),
    sa.Column("cancel_requested", sa.Boolean(), nullable=False, default=False),
    sa.CheckConstraint(
        "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="ck_jobs_status"
    ),
)
sa.Index("ix_jobs_status_created_at", jobs.c.status, jobs.c.created_at)
sa.Index("ix_jobs_name", jobs.c.name)

consent = sa.Table(
    "consent",
    metadata,
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id"), primary_key=True),
    sa.Column("granted", sa.Boolean(), nullable=False),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("ts", UtcDateTime(), primary_key=True, default=utc_now),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _uuid_pk("audit_id"),
    sa.Column("ts", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("target", sa.Text()),
    sa.Column("details", json_document()),
)
sa.Index("ix_audit_log_ts", audit_log.c.ts)

embedding_cache = sa.Table(
    "embedding_cache",
    metadata,
    sa.Column("model", sa.Text(), primary_key=True),
    sa.Column("text_sha256", sa.Text(), primary_key=True),
    sa.Column("dim", sa.Integer(), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

DATA_TABLES: tuple[sa.Table, ...] = tuple(t for t in metadata.sorted_tables if t is not mv_events_daily)
"""Every table that holds rows of its own (the daily events rollup is derived from ``events``)."""
