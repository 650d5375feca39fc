"""Partitioned dataset runs: the partition jobs a run waits for and how many have finished.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23

* ``dataset_runs.parts_total``: the partition jobs of a partitioned run (NULL for a run in one job).
* ``dataset_runs.parts_done``: how many of them have finished; the job that makes it equal to
  ``parts_total`` queues the merge.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dataset_runs", sa.Column("parts_total", sa.Integer()))
    op.add_column("dataset_runs", sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("dataset_runs") as batch:
        batch.drop_column("parts_done")
        batch.drop_column("parts_total")
