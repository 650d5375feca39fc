"""Learning loop: rated answers, versioned scores, meter links and cached help texts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

* ``rag_feedback``: each rating of an answer (question, answer and notes stored redacted) with the
  chunks it cited; ``labels`` keeps the seed's per-item reward rows and now names the chunk and the
  feedback they came from (``chunk_id``, ``feedback_id``; plain columns, no foreign keys, so adding
  them works on SQLite too).
* ``score_versions`` and ``scores``: one version per learning run (who, when, as of when, a hash of
  its inputs) and the popularity and quality of each chunk and item in it.
* ``user_meters``: which meters a customer's energy advice is about.
* ``help_texts``: generated help per dashboard route and model version.
* ``events``: an index on (chunk_id, ts) and (type, ts) for the learning job and the recommender.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import SQLITE_UTC_NOW, UtcDateTime, json_document

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    postgresql = op.get_bind().dialect.name == "postgresql"
    return sa.text("now()" if postgresql else f"({SQLITE_UTC_NOW})")


def upgrade() -> None:
    op.add_column("labels", sa.Column("chunk_id", sa.Uuid()))
    op.add_column("labels", sa.Column("feedback_id", sa.Uuid()))
    op.create_index("ix_labels_feedback_id", "labels", ["feedback_id"])
    op.create_index("ix_events_chunk_ts", "events", ["chunk_id", "ts"])
    op.create_index("ix_events_type_ts", "events", ["type", "ts"])
    op.create_table(
        "rag_feedback",
        sa.Column("feedback_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id")),
        sa.Column("ts", UtcDateTime(), nullable=False, server_default=_now()),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("chunks_used", json_document(), nullable=False),
    )
    op.create_index("ix_rag_feedback_user_ts", "rag_feedback", ["user_id", "ts"])
    op.create_index("ix_rag_feedback_ts", "rag_feedback", ["ts"])
    op.create_table(
        "score_versions",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("computed_at", UtcDateTime(), nullable=False, server_default=_now()),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("job_id", sa.Uuid()),
        sa.Column("inputs_sha256", sa.Text(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("params", json_document(), nullable=False),
    )
    op.create_table(
        "scores",
        sa.Column(
            "version",
            sa.Integer(),
            sa.ForeignKey("score_versions.version", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("popularity", sa.Double(), nullable=False),
        sa.Column("quality", sa.Double(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("negatives", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", "target", "target_id"),
        sa.CheckConstraint("target IN ('chunk', 'item')", name="ck_scores_target"),
    )
    op.create_table(
        "user_meters",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "meter_id", sa.Text(), sa.ForeignKey("meters.meter_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("user_id", "meter_id"),
    )
    op.create_table(
        "help_texts",
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sources", json_document(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("route", "model_version"),
    )


def downgrade() -> None:
    raise NotImplementedError("Luna's migrations only move forward; restore a snapshot to go back")
