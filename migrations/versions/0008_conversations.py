"""Conversations with Luna: the questions and answers of one dialogue, kept across reloads.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

* ``conversations``: one row per dialogue of a user (title = its first question).
* ``conversation_turns``: its questions and answers in order, with the cited sources as they were
  shown (a snapshot: a reloaded conversation shows what the customer saw, even after a reindex) and
  the follow-up questions offered with a refusal.
Both go with the user (erasure deletes them; ``ON DELETE CASCADE`` from ``users``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime, json_document

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_conversations_user_updated", "conversations", ["user_id", "updated_at"])
    op.create_table(
        "conversation_turns",
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
        sa.Column("sources", json_document(), nullable=False),
        sa.Column("unsupported_numbers", json_document(), nullable=False),
        sa.Column("follow_ups", json_document(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversation_turns")
    op.drop_index("ix_conversations_user_updated", table_name="conversations")
    op.drop_table("conversations")
