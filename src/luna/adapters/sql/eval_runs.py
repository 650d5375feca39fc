"""The ``eval_runs`` table: one row per evaluation run, its figures and outcomes as JSON documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.tables import eval_runs
from luna.domain.errors import Conflict
from luna.domain.evaluation_runs import EvalRun


class SqlEvalRunRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, run: EvalRun) -> None:
        data = run.to_json()
        connection = self._connection()
        exists = sa.select(eval_runs.c.run_id).where(eval_runs.c.run_id == run.run_id)
        if connection.execute(exists).first() is not None:
            raise Conflict(f"The evaluation run {run.run_id!r} exists already; runs are never replaced.")
        connection.execute(
            sa.insert(eval_runs).values(
                run_id=run.run_id,
                name=run.name,
                split=run.split,
                created_at=run.created_at,
                setup=data["setup"],
                figures=data["figures"],
                outcomes=data["outcomes"],
            )
        )

    def get(self, run_id: str) -> EvalRun | None:
        row = self._connection().execute(sa.select(eval_runs).where(eval_runs.c.run_id == run_id)).first()
        return None if row is None else _to_run(row)

    def list(self, *, limit: int) -> Sequence[EvalRun]:
        statement = sa.select(eval_runs).order_by(eval_runs.c.created_at.desc(), eval_runs.c.run_id.desc())
        return [_to_run(row) for row in self._connection().execute(statement.limit(limit))]


def _to_run(row: sa.Row[Any]) -> EvalRun:
    return EvalRun.from_json(
        {
            "run_id": row.run_id,
            "name": row.name,
            "split": row.split,
            "created_at": row.created_at,
            "setup": row.setup,
            "figures": row.figures,
            "outcomes": row.outcomes,
        }
    )
