"""Fine-tuning: the registry of trained LoRA adapters (issue #17).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-14

* ``finetune_adapters``: one row per adapter version, numbered per adapter name (primary key
  ``(name, version)``): its state (``candidate``, ``champion``, ``archived``), the base model and dataset
  version it was trained on, the run that made it, where its files lie in the blob store, and its metrics
  and gate results as JSON documents, so a rollback never needs a new evaluation. ``promoted_at`` is when
  it last became champion. Indexed by ``(name, state)``: the chat backend looks up a name's champion.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime, json_document

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finetune_adapters",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("base_model", sa.Text(), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("blob_prefix", sa.Text(), nullable=False),
        sa.Column("metrics", json_document(), nullable=False),
        sa.Column("gates", json_document(), nullable=False),
        sa.Column("promoted_at", UtcDateTime()),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_finetune_adapters_name_state", "finetune_adapters", ["name", "state"])


def downgrade() -> None:
    op.drop_index("ix_finetune_adapters_name_state", table_name="finetune_adapters")
    op.drop_table("finetune_adapters")
