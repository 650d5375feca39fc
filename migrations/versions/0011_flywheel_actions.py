"""The flywheel's action tickets and their history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

* ``flywheel_actions``: one ticket per action an alert suggested (kind, status, owner, details as JSON,
  the job it started).
* ``flywheel_action_events``: every move of a ticket (who, when, from which status to which, why).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime, json_document

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flywheel_actions",
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
    op.create_index("ix_flywheel_actions_status_created", "flywheel_actions", ["status", "created_at"])
    op.create_index("ix_flywheel_actions_created", "flywheel_actions", ["created_at"])
    op.create_table(
        "flywheel_action_events",
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
    op.create_index("ix_flywheel_action_events_action_at", "flywheel_action_events", ["action_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_flywheel_action_events_action_at", table_name="flywheel_action_events")
    op.drop_table("flywheel_action_events")
    op.drop_index("ix_flywheel_actions_created", table_name="flywheel_actions")
    op.drop_index("ix_flywheel_actions_status_created", table_name="flywheel_actions")
    op.drop_table("flywheel_actions")
