"""Datasets: pipeline runs, immutable dataset versions, their lineage and deliveries to consumers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

* ``dataset_runs``: one row per execution of a pipeline file (status, times, the job, the report).
* ``dataset_versions``: immutable, content-addressed outputs (Parquet in the blob store), numbered per
  dataset; ``(dataset, number)`` and ``(dataset, content_sha256)`` are unique.
* ``dataset_lineage``: the inputs of each version in order, indexed by ``input_ref`` for the reverse look-up.
* ``dataset_deliveries``: which version each consumer uses and how the last hand-over went.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import UtcDateTime, json_document

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_runs",
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("pipeline", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("job_id", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("version_id", sa.Text()),
        sa.Column("report", json_document(), nullable=False),
    )
    op.create_index("ix_dataset_runs_pipeline_started", "dataset_runs", ["pipeline", "started_at"])
    op.create_index("ix_dataset_runs_started", "dataset_runs", ["started_at"])
    op.create_table(
        "dataset_versions",
        sa.Column("version_id", sa.Text(), primary_key=True),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("code_version", sa.Text(), nullable=False),
        sa.Column("quality", json_document(), nullable=False),
        sa.Column("steps", json_document(), nullable=False),
        sa.Column("gate_failures", json_document(), nullable=False),
        sa.UniqueConstraint("dataset", "number", name="uq_dataset_versions_dataset_number"),
        sa.UniqueConstraint("dataset", "content_sha256", name="uq_dataset_versions_dataset_content"),
    )
    _create_lineage_and_deliveries()


def _create_lineage_and_deliveries() -> None:
    op.create_table(
        "dataset_lineage",
        sa.Column(
            "version_id",
            sa.Text(),
            sa.ForeignKey("dataset_versions.version_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("input_kind", sa.Text(), nullable=False),
        sa.Column("input_ref", sa.Text(), nullable=False),
        sa.Column("input_version", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
    )
    op.create_index("ix_dataset_lineage_input_ref", "dataset_lineage", ["input_ref"])
    op.create_table(
        "dataset_deliveries",
        sa.Column("consumer", sa.Text(), primary_key=True),
        sa.Column("dataset", sa.Text(), primary_key=True),
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("detail", json_document(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dataset_deliveries")
    op.drop_index("ix_dataset_lineage_input_ref", table_name="dataset_lineage")
    op.drop_table("dataset_lineage")
    op.drop_table("dataset_versions")
    op.drop_index("ix_dataset_runs_started", table_name="dataset_runs")
    op.drop_index("ix_dataset_runs_pipeline_started", table_name="dataset_runs")
    op.drop_table("dataset_runs")
