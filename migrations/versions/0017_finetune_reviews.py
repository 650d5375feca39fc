"""Fine-tuning: people's blind votes on a candidate adapter's answers (issue #17).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-16

* ``finetune_reviews``: one row per vote of a reviewer on one review pair (``pair_index`` into the
  version's ``review.json``) of an adapter version (``name``, ``version``, a foreign key to
  ``finetune_adapters``): ``candidate``, ``opponent`` or ``tie``, with an optional comment of at most
  2000 characters. Votes are only added; the latest of a reviewer on a pair is the one that counts.
  Indexed by ``(name, version)``: the review panel, the export and the promotion read a version's votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finetune_reviews",
        sa.Column("review_id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pair_index", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("vote", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["finetune_adapters.name", "finetune_adapters.version"],
            name="fk_finetune_reviews_adapter",
        ),
        sa.CheckConstraint("vote IN ('candidate', 'opponent', 'tie')", name="ck_finetune_reviews_vote"),
        sa.CheckConstraint("length(comment) <= 2000", name="ck_finetune_reviews_comment"),
    )
    op.create_index("ix_finetune_reviews_name_version", "finetune_reviews", ["name", "version"])


def downgrade() -> None:
    op.drop_index("ix_finetune_reviews_name_version", table_name="finetune_reviews")
    op.drop_table("finetune_reviews")
