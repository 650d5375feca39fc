"""Evaluation runs in SQL: kept with the rest of Luna's state (snapshots, PostgreSQL servers).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

* ``eval_runs``: one row per ``luna eval run`` (its figures and per-question outcomes as JSON), written
  once and never replaced. Earlier versions wrote one JSON file per run under ``<data_dir>/eval/runs``;
  the evaluation service imports such files on first use, so no run is lost.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import json_document

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("split", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("setup", json_document(), nullable=False),
        sa.Column("figures", json_document(), nullable=False),
        sa.Column("outcomes", json_document(), nullable=False),
    )
    op.create_index("ix_eval_runs_created", "eval_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_eval_runs_created", table_name="eval_runs")
    op.drop_table("eval_runs")
