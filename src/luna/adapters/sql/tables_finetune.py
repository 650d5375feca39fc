"""The fine-tuning capability's tables: the registry of trained LoRA adapters and the human review votes
on them (issue #17).

Registered on the shared :data:`~luna.adapters.sql.metadata.metadata`; migrations 0016 and 0017 create
them. The adapter files themselves live in the blob store (``blob_prefix``); a row says what was trained
on what, how it measured, and whether it is a candidate, the champion the chat backend serves, or archived.
"""

from __future__ import annotations

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime, json_document
from luna.adapters.sql.metadata import metadata

#: One adapter version, numbered per adapter name; ``metrics`` and ``gates`` are kept so that a rollback
#: needs no new evaluation. Indexed by ``(name, state)`` for the look-up of a name's champion.
finetune_adapters = sa.Table(
    "finetune_adapters",
    metadata,
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
sa.Index("ix_finetune_adapters_name_state", finetune_adapters.c.name, finetune_adapters.c.state)

#: One reviewer's blind verdict on one review pair of a version (``pair_index`` into its ``review.json``):
#: ``candidate``, ``opponent`` or ``tie``. Votes are only added; the latest per (reviewer, pair) counts.
finetune_reviews = sa.Table(
    "finetune_reviews",
    metadata,
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
sa.Index("ix_finetune_reviews_name_version", finetune_reviews.c.name, finetune_reviews.c.version)
