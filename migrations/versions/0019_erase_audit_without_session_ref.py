"""Erasure audit entries written before no longer keep the erased user's session pseudonym.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26

* ``audit_log.details`` of every ``users.erase`` entry loses its ``session_ref`` key. Erasing a user
  wrote the user's data-flywheel session pseudonym there, so that a whole-database snapshot restore could
  erase the user's sessions again; restores now put back the knowledge base only, and new entries hold
  counts only (``services/learning/privacy.py``). The pseudonym is a stable key for the erased user's
  sessions: kept in the audit log, it would re-identify whatever of them turned up again, which an
  erasure must not leave behind. Every other key of those entries and every other row stay as they are
  (another action's ``session_ref`` included: it is not an erasure's).
* Done row by row in Python through the column's own JSON type (JSONB on PostgreSQL, JSON text on
  SQLite), so both databases take the same path; the audit log is small.
* The downgrade does nothing: the schema is unchanged and the removed pseudonyms must not come back, so
  there is nothing to restore, and going back to ``0018`` stays possible.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from luna.adapters.sql.column_types import json_document

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ERASE_ACTION = "users.erase"
_KEY = "session_ref"

# The columns this migration reads and writes, as of 0018 (not tables.py: it may change later).
_audit_log = sa.table(
    "audit_log",
    sa.column("audit_id", sa.Uuid()),
    sa.column("action", sa.Text()),
    sa.column("details", json_document()),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_audit_log.c.audit_id, _audit_log.c.details).where(_audit_log.c.action == _ERASE_ACTION)
    ).all()
    for audit_id, details in rows:
        if not isinstance(details, dict) or _KEY not in details:
            continue
        kept = {key: value for key, value in details.items() if key != _KEY}
        connection.execute(
            sa.update(_audit_log).where(_audit_log.c.audit_id == audit_id).values(details=kept)
        )


def downgrade() -> None:
    """Nothing to restore: the pseudonyms were removed on purpose and the schema is the same."""
