"""The ``prompt_versions`` table: kept versions of Luna's prompt file, at most one of them active."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.tables_prompts import prompt_versions
from luna.domain.errors import Conflict, NotFound
from luna.domain.prompt_versions import PromptVersion

_table = prompt_versions


class SqlPromptVersionRepository:
    """:class:`~luna.ports.prompts.PromptVersionRepository` on SQLite and PostgreSQL.

    Writers serialise: SQLite's write transactions do already (``BEGIN IMMEDIATE``); on PostgreSQL a
    write first takes a table lock that only writers of this table wait for (readers never do), so the
    numbering and the single active version hold when two operators save at the same moment.
    """

    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(
        self, text: str, *, sha256: str, author: str, note: str | None, created_at: datetime
    ) -> PromptVersion:
        connection = self._write_lock()
        highest = connection.execute(sa.select(sa.func.max(_table.c.version))).scalar_one_or_none()
        version = int(highest or 0) + 1
        connection.execute(sa.update(_table).where(_table.c.active).values(active=False))
        kept = PromptVersion(version, text, sha256, author, created_at, note, active=True)
        try:
            connection.execute(sa.insert(_table).values(**asdict(kept)))
        except sa.exc.IntegrityError as error:
            raise Conflict(f"The prompt version {version} was kept by another writer; save again.") from error
        return kept

    def get(self, version: int) -> PromptVersion | None:
        row = self._connection().execute(sa.select(_table).where(_table.c.version == version)).first()
        return None if row is None else _to_version(row)

    def list(self, *, limit: int = 100) -> Sequence[PromptVersion]:
        statement = sa.select(_table).order_by(_table.c.version.desc()).limit(limit)
        return [_to_version(row) for row in self._connection().execute(statement)]

    def active(self) -> PromptVersion | None:
        row = self._connection().execute(sa.select(_table).where(_table.c.active).limit(1)).first()
        return None if row is None else _to_version(row)

    def active_version(self) -> int | None:
        statement = sa.select(_table.c.version).where(_table.c.active).limit(1)
        found = self._connection().execute(statement).scalar_one_or_none()
        return None if found is None else int(found)

    def activate(self, version: int | None) -> None:
        connection = self._write_lock()
        if version is not None:
            exists = connection.execute(sa.select(_table.c.version).where(_table.c.version == version))
            if exists.first() is None:
                raise NotFound(f"There is no prompt version {version}.")
        # Two statements, the old one off before the new one on: a unique index is checked row by row.
        connection.execute(sa.update(_table).where(_table.c.active).values(active=False))
        if version is not None:
            connection.execute(sa.update(_table).where(_table.c.version == version).values(active=True))

    def _write_lock(self) -> sa.Connection:
        connection = self._connection()
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("LOCK TABLE prompt_versions IN SHARE ROW EXCLUSIVE MODE"))
        return connection


def _to_version(row: sa.Row[Any]) -> PromptVersion:
    return PromptVersion(
        version=int(row.version),
        text=row.text,
        sha256=row.sha256,
        author=row.author,
        created_at=row.created_at,
        note=row.note,
        active=bool(row.active),
    )
