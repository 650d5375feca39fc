"""Sentiment labels a chat model gave feedback texts, kept so each text is judged once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23

* ``sentiment_labels``: per SHA-256 of a (redacted) feedback text and judge (the chat model's name),
  the sentiment and whether it came from the model or from the lexicon because the model's reply
  named none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sentiment_labels",
        sa.Column("text_sha256", sa.Text(), primary_key=True),
        sa.Column("judge", sa.Text(), primary_key=True),
        sa.Column("sentiment", sa.Text(), nullable=False),
        sa.Column("by_model", sa.Boolean(), nullable=False),
        sa.Column("labelled_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sentiment_labels")
