"""Versioned prompts: every edit of Luna's prompt file kept as a version (seed 003 phase 6).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-18

* ``prompt_versions``: one row per saved version of ``prompts/luna.yml`` (``version`` from 1; 0 is the
  packaged file and never stored): the whole YAML text, its sha256, who saved it, when, an optional note,
  and ``active``. At most one version is active (the partial unique index ``ux_prompt_versions_active``);
  none active means Luna answers with the packaged file.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_versions",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ux_prompt_versions_active",
        "prompt_versions",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("ux_prompt_versions_active", table_name="prompt_versions")
    op.drop_table("prompt_versions")
