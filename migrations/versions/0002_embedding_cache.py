"""Embedding cache: passage vectors by model and text hash, so reindexing unchanged text is free.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

The embedded model embeds about ten passages a second on two cores; a reindex (new collection, new
vector settings, a restored snapshot) or a re-upload of a document whose paragraphs mostly did not
change would otherwise pay that price again for every chunk. Vectors are stored as little-endian
float32 bytes (``bytea`` / ``BLOB``), 1.5 KB for a 384-dimensional model.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import SQLITE_UTC_NOW, UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    now = "now()" if op.get_bind().dialect.name == "postgresql" else f"({SQLITE_UTC_NOW})"
    op.create_table(
        "embedding_cache",
        sa.Column("model", sa.Text(), primary_key=True),
        sa.Column("text_sha256", sa.Text(), primary_key=True),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.text(now)),
    )


def downgrade() -> None:
    raise NotImplementedError("Luna's migrations only move forward; restore a snapshot to go back")
