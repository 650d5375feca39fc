"""The data flywheel's tables (issue #15): service accounts, sessions, consentless counts, KPIs, alerts.

Registered on the shared :data:`~luna.adapters.sql.metadata.metadata`; migration 0010 creates them.
"""

from __future__ import annotations

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime, json_document
from luna.adapters.sql.metadata import metadata, utc_now, uuid_pk

#: Named machine keys with scopes; only the key's SHA-256 is kept.
service_accounts = sa.Table(
    "service_accounts",
    metadata,
    sa.Column("account_id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False, unique=True),
    sa.Column("scopes", json_document(), nullable=False),
    sa.Column("key_sha256", sa.Text(), nullable=False, unique=True),
    sa.Column("key_hint", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("created_by", sa.Text(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
    sa.Column("last_used_at", UtcDateTime()),
)

#: Conversation sessions (pseudonymous, redacted); every changed resend is a new revision, the newest
#: one is ``current``.
flywheel_sessions = sa.Table(
    "flywheel_sessions",
    metadata,
    sa.Column("source", sa.Text(), primary_key=True),
    sa.Column("session_id", sa.Text(), primary_key=True),
    sa.Column("revision", sa.Integer(), primary_key=True),
    sa.Column("user_ref", sa.Text(), nullable=False),
    sa.Column("key_id", sa.Text(), nullable=False),
    sa.Column("content_sha256", sa.Text(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("last_turn_at", UtcDateTime()),
    sa.Column("current", sa.Boolean(), nullable=False),
    sa.Column("turns", json_document(), nullable=False),
    sa.Column("redactions", json_document(), nullable=False),
)
sa.Index("ix_flywheel_sessions_current_last", flywheel_sessions.c.current, flywheel_sessions.c.last_turn_at)
sa.Index("ix_flywheel_sessions_user_ref", flywheel_sessions.c.user_ref)

#: Sessions that arrived without consent: counted per UTC day and source, never stored.
flywheel_consentless = sa.Table(
    "flywheel_consentless",
    metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("source", sa.Text(), primary_key=True),
    sa.Column("sessions", sa.Integer(), nullable=False),
)

#: KPI values per window bucket and scope; recomputed buckets replace their row.
kpi_values = sa.Table(
    "kpi_values",
    metadata,
    sa.Column("kpi", sa.Text(), primary_key=True),
    sa.Column("window", sa.Text(), primary_key=True),
    sa.Column("bucket_start", UtcDateTime(), primary_key=True),
    sa.Column("scope", sa.Text(), primary_key=True),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("samples", sa.Integer(), nullable=False),
    sa.Column("computed_at", UtcDateTime(), nullable=False, default=utc_now),
)
sa.Index("ix_kpi_values_bucket", kpi_values.c.bucket_start)

#: The current state of every (threshold, scope) pair the alert evaluation has seen.
alert_states = sa.Table(
    "alert_states",
    metadata,
    sa.Column("threshold", sa.Text(), primary_key=True),
    sa.Column("scope", sa.Text(), primary_key=True),
    sa.Column("severity", sa.Text()),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("samples", sa.Integer(), nullable=False),
    sa.Column("since", UtcDateTime(), nullable=False),
    sa.Column("evaluated_at", UtcDateTime(), nullable=False),
)

#: Every change of an alert (fired, escalated, de-escalated, resolved), newest last.
alert_history = sa.Table(
    "alert_history",
    metadata,
    uuid_pk("change_id"),
    sa.Column("threshold", sa.Text(), nullable=False),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("before", sa.Text()),
    sa.Column("after", sa.Text()),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("samples", sa.Integer(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
)
sa.Index("ix_alert_history_at", alert_history.c.at)

#: Action tickets the trigger engine opened for alerts (migration 0011); ``details`` is the ticket's
#: JSON (the alert, the gaps, the job it runs).
flywheel_actions = sa.Table(
    "flywheel_actions",
    metadata,
    sa.Column("action_id", sa.Text(), primary_key=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("details", json_document(), nullable=False),
    sa.Column("threshold", sa.Text(), nullable=False),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("owner", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("job_id", sa.Text()),
)
sa.Index("ix_flywheel_actions_status_created", flywheel_actions.c.status, flywheel_actions.c.created_at)
sa.Index("ix_flywheel_actions_created", flywheel_actions.c.created_at)

#: Every move of a ticket (who, when, from which status to which, why), oldest first per ticket.
flywheel_action_events = sa.Table(
    "flywheel_action_events",
    metadata,
    #: Numbered in insertion order: the history's order, also for moves made in the same instant.
    sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "action_id",
        sa.Text(),
        sa.ForeignKey("flywheel_actions.action_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("from_status", sa.Text()),
    sa.Column("to_status", sa.Text(), nullable=False),
    sa.Column("note", sa.Text()),
)
sa.Index(
    "ix_flywheel_action_events_action_at", flywheel_action_events.c.action_id, flywheel_action_events.c.at
)

#: What a chat model said of a feedback text's sentiment (``flywheel.sentiment: chat``), judged once.
sentiment_labels = sa.Table(
    "sentiment_labels",
    metadata,
    sa.Column("text_sha256", sa.Text(), primary_key=True),
    sa.Column("judge", sa.Text(), primary_key=True),
    sa.Column("sentiment", sa.Text(), nullable=False),
    sa.Column("by_model", sa.Boolean(), nullable=False),
    sa.Column("labelled_at", UtcDateTime(), nullable=False),
)
