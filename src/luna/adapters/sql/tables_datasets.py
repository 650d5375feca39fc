"""The datasets capability's tables: pipeline runs, immutable dataset versions, their lineage, deliveries.

Registered on the shared :data:`~luna.adapters.sql.metadata.metadata`; migration 0013 creates them. The
Parquet files themselves live in the blob store (``blob_key``); these rows say what they are and where
they came from. Ids are text (UUIDs the service makes), like the flywheel's tickets.
"""

from __future__ import annotations

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime, json_document
from luna.adapters.sql.metadata import metadata

#: One execution of a pipeline file; ``report`` holds what each step did.
dataset_runs = sa.Table(
    "dataset_runs",
    metadata,
    sa.Column("run_id", sa.Text(), primary_key=True),
    sa.Column("pipeline", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("job_id", sa.Text()),
    sa.Column("error", sa.Text()),
    sa.Column("version_id", sa.Text()),
    sa.Column("report", json_document(), nullable=False),
    # A partitioned run: how many partition jobs it waits for, and how many have finished (migration 0014).
    sa.Column("parts_total", sa.Integer()),
    sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0"),
)
sa.Index("ix_dataset_runs_pipeline_started", dataset_runs.c.pipeline, dataset_runs.c.started_at)
sa.Index("ix_dataset_runs_started", dataset_runs.c.started_at)

#: Immutable outputs of runs, numbered per dataset; the content hash makes an unchanged rerun find the
#: version it made before, so both ``(dataset, number)`` and ``(dataset, content_sha256)`` are unique.
dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
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

#: The inputs of a version in the order the pipeline read them; indexed by ``input_ref`` so that lineage
#: is also read the other way (where did this source go).
dataset_lineage = sa.Table(
    "dataset_lineage",
    metadata,
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
sa.Index("ix_dataset_lineage_input_ref", dataset_lineage.c.input_ref)

#: Which version each consumer uses, one row per ``(consumer, dataset)``, and how the last hand-over went.
dataset_deliveries = sa.Table(
    "dataset_deliveries",
    metadata,
    sa.Column("consumer", sa.Text(), primary_key=True),
    sa.Column("dataset", sa.Text(), primary_key=True),
    sa.Column("version_id", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("detail", json_document(), nullable=False),
)
