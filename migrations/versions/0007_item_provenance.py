"""Item provenance: who added an item and through which way in.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-22

* ``items.added_by``: the actor that added the item (``admin``, ``user:<uuid>``, ``job:<name>``,
  ``system``), so an operator can see where a passage Luna quotes came from.
* ``items.added_via``: the way in (``api``, ``url``, ``dashboard``, ``cli``, ``job``, ``demo``).
Items that existed before this revision keep NULL in both: their origin was not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("added_by", sa.Text()))
    op.add_column("items", sa.Column("added_via", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("added_via")
        batch.drop_column("added_by")
