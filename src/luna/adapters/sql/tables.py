"""The relational schema as SQLAlchemy Core tables, used by the repositories to build queries.

Alembic (``migrations/``) creates and evolves the real schema; these definitions mirror its newest revision
(an integration test compares the two). Python-side defaults (new UUIDs, "now" in UTC) make inserts
independent of the server defaults, which differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from luna.adapters.sql import tables_datasets, tables_finetune, tables_flywheel, tables_prompts  # noqa: F401  (register their tables before DATA_TABLES)
from luna.adapters.sql.column_types import UtcDateTime, json_document, text_list
from luna.adapters.sql.metadata import created_at_column as _created_at
from luna.adapters.sql.metadata import metadata as metadata
from luna.adapters.sql.metadata import utc_now as utc_now
from luna.adapters.sql.metadata import uuid_pk as _uuid_pk

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
    sa.Column("added_by", sa.Text()),
    sa.Column("added_via", sa.Text()),
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
sa.Index("ix_events_chunk_ts", events.c.chunk_id, events.c.ts)
sa.Index("ix_events_type_ts", events.c.type, events.c.ts)

smart_meter_readings = sa.Table(
    "smart_meter_readings",
    metadata,
    sa.Column("meter_id", sa.Text(), primary_key=True),
    sa.Column("ts", UtcDateTime(), primary_key=True),
    sa.Column("consumption_kw", sa.Double()),
    sa.Column("production_kw", sa.Double()),
    sa.Column("voltage", sa.Double()),
    sa.Column("quality", sa.Text()),
    sa.Column("register_kwh", sa.Double()),
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
    sa.Column("chunk_id", sa.Uuid()),
    sa.Column("feedback_id", sa.Uuid()),
)
sa.Index("ix_labels_feedback_id", labels.c.feedback_id)

mv_events_daily = sa.Table(
    "mv_events_daily",
    metadata,
    sa.Column("day", sa.Date(), nullable=False),  # a Europe/Berlin calendar day
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

meters = sa.Table(
    "meters",
    metadata,
    sa.Column("meter_id", sa.Text(), primary_key=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("has_pv", sa.Boolean(), nullable=False, default=False),
    sa.Column("pv_kwp", sa.Double(), nullable=False, default=0.0),
    sa.Column("annual_kwh", sa.Double()),
    sa.Column("interval_s", sa.Integer(), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("first_ts", UtcDateTime()),
    sa.Column("last_ts", UtcDateTime()),
    sa.Column("last_register_kwh", sa.Double()),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now, onupdate=utc_now),
    sa.CheckConstraint(
        "kind IN ('household', 'commercial', 'agriculture', 'unknown')", name="ck_meters_kind"
    ),
    sa.CheckConstraint("interval_s > 0", name="ck_meters_interval_s"),
)
sa.Index("ix_meters_kind", meters.c.kind, meters.c.meter_id)


def _meter_rollup(name: str) -> sa.Table:
    """Sums, counts and extremes of one meter's readings per bucket; averages are sum / count.

    Sums rather than averages, so that a bucket is composed exactly from the buckets inside it.
    ``missing`` counts rows without consumption; they add to ``readings`` and to nothing else.
    """
    return sa.Table(
        name,
        metadata,
        sa.Column("meter_id", sa.Text(), primary_key=True),
        sa.Column("ts", UtcDateTime(), primary_key=True),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("consumption_kw_sum", sa.Double()),
        sa.Column("consumption_kw_min", sa.Double()),
        sa.Column("consumption_kw_max", sa.Double()),
        sa.Column("production_kw_sum", sa.Double()),
        sa.Column("production_kw_count", sa.Integer(), nullable=False),
        sa.Column("production_kw_max", sa.Double()),
        sa.Column("voltage_sum", sa.Double()),
        sa.Column("voltage_count", sa.Integer(), nullable=False),
        sa.Column("voltage_min", sa.Double()),
        sa.Column("voltage_max", sa.Double()),
        sa.Column("consumption_kwh", sa.Double()),
        sa.Column("production_kwh", sa.Double()),
    )


def _price_rollup(name: str) -> sa.Table:
    """Sum, count and extremes of one market's and product's prices per bucket, and the summed volume."""
    return sa.Table(
        name,
        metadata,
        sa.Column("market", sa.Text(), primary_key=True),
        sa.Column("product", sa.Text(), primary_key=True),
        sa.Column("ts", UtcDateTime(), primary_key=True),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("price_eur_mwh_sum", sa.Double()),
        sa.Column("price_eur_mwh_count", sa.Integer(), nullable=False),
        sa.Column("price_eur_mwh_min", sa.Double()),
        sa.Column("price_eur_mwh_max", sa.Double()),
        sa.Column("volume", sa.Double()),
    )


meter_rollup_15m = _meter_rollup("meter_rollup_15m")
meter_rollup_1h = _meter_rollup("meter_rollup_1h")
meter_rollup_1d = _meter_rollup("meter_rollup_1d")
sa.Index("ix_meter_rollup_1d_ts", meter_rollup_1d.c.ts)
"""All meters of a day: the daily totals read a range of days across every meter."""

price_rollup_15m = _price_rollup("price_rollup_15m")
price_rollup_1h = _price_rollup("price_rollup_1h")
price_rollup_1d = _price_rollup("price_rollup_1d")

feed_files = sa.Table(
    "feed_files",
    metadata,
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("sha256", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("rows_ok", sa.Integer(), nullable=False),
    sa.Column("rows_bad", sa.Integer(), nullable=False),
    sa.Column("report", json_document(), nullable=False),
    sa.Column("imported_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(
        "kind IN ('smart_meter_readings', 'market_prices', 'unknown')", name="ck_feed_files_kind"
    ),
    sa.CheckConstraint("status IN ('imported', 'failed')", name="ck_feed_files_status"),
)

rag_feedback = sa.Table(
    "rag_feedback",
    metadata,
    _uuid_pk("feedback_id"),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id")),
    sa.Column("ts", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.Column("useful", sa.Boolean(), nullable=False),
    sa.Column("notes", sa.Text()),
    sa.Column("chunks_used", json_document(), nullable=False, default=list),
)
sa.Index("ix_rag_feedback_user_ts", rag_feedback.c.user_id, rag_feedback.c.ts)
sa.Index("ix_rag_feedback_ts", rag_feedback.c.ts)

score_versions = sa.Table(
    "score_versions",
    metadata,
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("computed_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("job_id", sa.Uuid()),
    sa.Column("inputs_sha256", sa.Text(), nullable=False),
    sa.Column("chunks", sa.Integer(), nullable=False),
    sa.Column("items", sa.Integer(), nullable=False),
    sa.Column("params", json_document(), nullable=False, default=dict),
)

scores = sa.Table(
    "scores",
    metadata,
    sa.Column(
        "version",
        sa.Integer(),
        sa.ForeignKey("score_versions.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("target", sa.Text(), primary_key=True),
    sa.Column("target_id", sa.Uuid(), primary_key=True),
    sa.Column("popularity", sa.Double(), nullable=False),
    sa.Column("quality", sa.Double(), nullable=False),
    sa.Column("events", sa.Integer(), nullable=False),
    sa.Column("positives", sa.Integer(), nullable=False),
    sa.Column("negatives", sa.Integer(), nullable=False),
    sa.CheckConstraint("target IN ('chunk', 'item')", name="ck_scores_target"),
)

user_meters = sa.Table(
    "user_meters",
    metadata,
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("meter_id", sa.Text(), sa.ForeignKey("meters.meter_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

help_texts = sa.Table(
    "help_texts",
    metadata,
    sa.Column("route", sa.Text(), primary_key=True),
    sa.Column("model_version", sa.Text(), primary_key=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("sources", json_document(), nullable=False, default=list),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

conversations = sa.Table(
    "conversations",
    metadata,
    _uuid_pk("conversation_id"),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utc_now),
)
sa.Index("ix_conversations_user_updated", conversations.c.user_id, conversations.c.updated_at)

conversation_turns = sa.Table(
    "conversation_turns",
    metadata,
    sa.Column(
        "conversation_id",
        sa.Uuid(),
        sa.ForeignKey("conversations.conversation_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.Column("model", sa.Text(), nullable=False),
    sa.Column("sources", json_document(), nullable=False, default=list),
    sa.Column("unsupported_numbers", json_document(), nullable=False, default=list),
    sa.Column("follow_ups", json_document(), nullable=False, default=list),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
)

#: Evaluation runs (``luna eval``): figures and per-question outcomes as documents; ``created_at`` is
#: the ISO time the run file format has always carried, so runs sort by it as text.
eval_runs = sa.Table(
    "eval_runs",
    metadata,
    sa.Column("run_id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("split", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text(), nullable=False),
    sa.Column("setup", json_document(), nullable=False),
    sa.Column("figures", json_document(), nullable=False),
    sa.Column("outcomes", json_document(), nullable=False),
)
sa.Index("ix_eval_runs_created", eval_runs.c.created_at)

DATA_TABLES: tuple[sa.Table, ...] = tuple(t for t in metadata.sorted_tables if t is not mv_events_daily)
"""Every table that holds rows (the daily events rollup is a materialized view on PostgreSQL: it is
refreshed, never written). The energy rollups are tables and listed: emptying a database empties them."""
