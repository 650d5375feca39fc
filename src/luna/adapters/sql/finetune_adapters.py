"""The ``finetune_adapters`` table: the registry of trained LoRA adapter versions and their states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.tables_finetune import finetune_adapters
from luna.domain.errors import Conflict, NotFound
from luna.domain.finetune.registry import AdapterState, AdapterVersion


class SqlAdapterRepository:
    """:class:`~luna.ports.finetune.AdapterRepository` on SQLite and PostgreSQL."""

    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, adapter: AdapterVersion) -> None:
        connection = self._connection()
        if self._row(connection, adapter.name, adapter.version) is not None:
            raise Conflict(f"The adapter {adapter.label} exists already; versions are never replaced.")
        statement = sa.insert(finetune_adapters).values(
            name=adapter.name,
            version=adapter.version,
            state=adapter.state.value,
            created_at=adapter.created_at,
            base_model=adapter.base_model,
            dataset=adapter.dataset,
            run_id=adapter.run_id,
            blob_prefix=adapter.blob_prefix,
            metrics=dict(adapter.metrics),
            gates=dict(adapter.gates),
            promoted_at=adapter.promoted_at,
            note=adapter.note,
        )
        try:
            connection.execute(statement)
        except sa.exc.IntegrityError as error:
            # Another writer took the same version between the check and the insert.
            raise Conflict(
                f"The adapter {adapter.label} exists already; versions are never replaced."
            ) from error

    def next_version(self, name: str) -> int:
        highest = sa.select(sa.func.max(finetune_adapters.c.version)).where(finetune_adapters.c.name == name)
        return int(self._connection().execute(highest).scalar_one_or_none() or 0) + 1

    def get(self, name: str, version: int) -> AdapterVersion | None:
        row = self._row(self._connection(), name, version)
        return None if row is None else _to_adapter(row)

    def list(self, name: str | None = None, *, limit: int = 100) -> Sequence[AdapterVersion]:
        statement = sa.select(finetune_adapters)
        if name is not None:
            statement = statement.where(finetune_adapters.c.name == name)
        statement = statement.order_by(finetune_adapters.c.name, finetune_adapters.c.version.desc())
        return [_to_adapter(row) for row in self._connection().execute(statement.limit(limit))]

    def champion(self, name: str) -> AdapterVersion | None:
        statement = (
            sa.select(finetune_adapters)
            .where(
                finetune_adapters.c.name == name,
                finetune_adapters.c.state == AdapterState.CHAMPION.value,
            )
            .order_by(finetune_adapters.c.version.desc())
            .limit(1)
        )
        row = self._connection().execute(statement).first()
        return None if row is None else _to_adapter(row)

    def set_state(
        self, name: str, version: int, state: AdapterState, *, promoted_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state.value}
        if promoted_at is not None:
            values["promoted_at"] = promoted_at
        statement = (
            sa.update(finetune_adapters)
            .where(finetune_adapters.c.name == name, finetune_adapters.c.version == version)
            .values(**values)
        )
        if self._connection().execute(statement).rowcount == 0:
            raise NotFound(f"No adapter {name}@v{version}.")

    @staticmethod
    def _row(connection: sa.Connection, name: str, version: int) -> sa.Row[Any] | None:
        statement = sa.select(finetune_adapters).where(
            finetune_adapters.c.name == name, finetune_adapters.c.version == version
        )
        return connection.execute(statement).first()


def _to_adapter(row: sa.Row[Any]) -> AdapterVersion:
    return AdapterVersion(
        name=row.name,
        version=int(row.version),
        state=AdapterState(row.state),
        created_at=row.created_at,
        base_model=row.base_model,
        dataset=row.dataset,
        run_id=row.run_id,
        blob_prefix=row.blob_prefix,
        metrics=dict(row.metrics or {}),
        gates=dict(row.gates or {}),
        promoted_at=row.promoted_at,
        note=row.note,
    )
