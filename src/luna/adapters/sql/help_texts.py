"""The ``help_texts`` table: Luna's generated help per dashboard route and model version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables import help_texts
from luna.domain.help import StoredHelpText


class SqlHelpTextRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def get(self, route: str, model_version: str) -> StoredHelpText | None:
        statement = sa.select(help_texts).where(
            help_texts.c.route == route, help_texts.c.model_version == model_version
        )
        row = self._connection().execute(statement).one_or_none()
        return None if row is None else _to_text(row)

    def put(self, text: StoredHelpText) -> None:
        """Upsert in one statement: two processes that generated the same text at once both succeed."""
        connection = self._connection()
        values = {
            "route": text.route,
            "model_version": text.model_version,
            "text": text.text,
            "sources": list(text.sources),
            "created_at": text.created_at,
        }
        statement = dialect_insert(connection, help_texts).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[help_texts.c.route, help_texts.c.model_version],
            set_={"text": values["text"], "sources": values["sources"], "created_at": values["created_at"]},
        )
        connection.execute(statement)

    def delete_other_versions(self, route: str, keep: str) -> int:
        statement = (
            sa.delete(help_texts)
            .where(help_texts.c.route == route, help_texts.c.model_version != keep)
            .returning(help_texts.c.model_version)
        )
        return len(self._connection().execute(statement).all())

    def clear(self) -> int:
        statement = sa.delete(help_texts).returning(help_texts.c.route)
        return len(self._connection().execute(statement).all())


def _to_text(row: sa.Row[Any]) -> StoredHelpText:
    sources = row.sources if isinstance(row.sources, list) else []
    return StoredHelpText(
        route=row.route,
        model_version=row.model_version,
        text=row.text,
        created_at=row.created_at,
        sources=[str(source) for source in sources],
    )
