"""The data flywheel: service accounts, sessions, the consentless count, KPI values and alerts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

* ``service_accounts``: named machine keys with scopes (only the key's SHA-256 is kept).
* ``flywheel_sessions``: conversation sessions, pseudonymous and redacted, one row per revision.
* ``flywheel_consentless``: sessions that arrived without consent, counted per day and source.
* ``kpi_values``: KPIs per window bucket and scope.
* ``alert_states`` and ``alert_history``: what fires now, and every change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime, json_document

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_accounts",
        sa.Column("account_id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("scopes", json_document(), nullable=False),
        sa.Column("key_sha256", sa.Text(), nullable=False, unique=True),
        sa.Column("key_hint", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", UtcDateTime()),
        sa.Column("last_used_at", UtcDateTime()),
    )
    op.create_table(
        "flywheel_sessions",
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("session_id", sa.Text(), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("user_ref", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("last_turn_at", UtcDateTime()),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("turns", json_document(), nullable=False),
        sa.Column("redactions", json_document(), nullable=False),
    )
    op.create_index("ix_flywheel_sessions_current_last", "flywheel_sessions", ["current", "last_turn_at"])
    op.create_index("ix_flywheel_sessions_user_ref", "flywheel_sessions", ["user_ref"])
    op.create_table(
        "flywheel_consentless",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
    )
    _create_kpis_and_alerts()


def _create_kpis_and_alerts() -> None:
    op.create_table(
        "kpi_values",
        sa.Column("kpi", sa.Text(), primary_key=True),
        sa.Column("window", sa.Text(), primary_key=True),
        sa.Column("bucket_start", UtcDateTime(), primary_key=True),
        sa.Column("scope", sa.Text(), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_kpi_values_bucket", "kpi_values", ["bucket_start"])
    op.create_table(
        "alert_states",
        sa.Column("threshold", sa.Text(), primary_key=True),
        sa.Column("scope", sa.Text(), primary_key=True),
        sa.Column("severity", sa.Text()),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "alert_history",
        sa.Column("change_id", sa.Uuid(), primary_key=True),
        sa.Column("threshold", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
    )
    op.create_index("ix_alert_history_at", "alert_history", ["at"])


def downgrade() -> None:
    for table in ("alert_history", "alert_states", "kpi_values", "flywheel_consentless"):
        op.drop_table(table)
    op.drop_index("ix_flywheel_sessions_user_ref", table_name="flywheel_sessions")
    op.drop_index("ix_flywheel_sessions_current_last", table_name="flywheel_sessions")
    op.drop_table("flywheel_sessions")
    op.drop_table("service_accounts")
