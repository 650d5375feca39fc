"""The versions of Luna's prompt file (seed 003 phase 6), registered on the shared
:data:`~luna.adapters.sql.metadata.metadata`; migration 0018 creates the table.

A version is kept, never changed; ``active`` marks the one Luna answers with (none: the packaged file).
The repository keeps at most one active inside its write transaction; the partial unique index
``ux_prompt_versions_active`` makes a second one impossible even for a writer that bypassed it.
"""

from __future__ import annotations

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime
from luna.adapters.sql.metadata import metadata

prompt_versions = sa.Table(
    "prompt_versions",
    metadata,
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("sha256", sa.Text(), nullable=False),
    sa.Column("author", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("note", sa.Text()),
    sa.Column("active", sa.Boolean(), nullable=False, default=False),
)
sa.Index(
    "ux_prompt_versions_active",
    prompt_versions.c.active,
    unique=True,
    sqlite_where=prompt_versions.c.active,
    postgresql_where=prompt_versions.c.active,
)
