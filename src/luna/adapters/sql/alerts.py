"""Alert states (one row per threshold and scope) and their history of changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables_flywheel import alert_history, alert_states
from luna.domain.flywheel.alerts import AlertChange, AlertState
from luna.domain.flywheel.thresholds import Severity


class SqlAlertRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def states(self) -> dict[tuple[str, str], AlertState]:
        rows = self._connection().execute(sa.select(alert_states))
        return {(row.threshold, row.scope): _to_state(row) for row in rows}

    def put_states(self, states: Iterable[AlertState]) -> None:
        rows = [
            {
                "threshold": state.threshold,
                "scope": state.scope,
                "severity": None if state.severity is None else state.severity.value,
                "value": state.value,
                "samples": state.samples,
                "since": state.since,
                "evaluated_at": state.evaluated_at,
            }
            for state in states
        ]
        if not rows:
            return
        insert = dialect_insert(self._connection(), alert_states)
        statement = insert.on_conflict_do_update(
            index_elements=["threshold", "scope"],
            set_={
                name: insert.excluded[name]
                for name in ("severity", "value", "samples", "since", "evaluated_at")
            },
        )
        self._connection().execute(statement, rows)

    def add_changes(self, changes: Sequence[AlertChange]) -> None:
        if not changes:
            return
        self._connection().execute(
            sa.insert(alert_history),
            [
                {
                    "change_id": uuid.uuid4(),
                    "threshold": change.threshold,
                    "scope": change.scope,
                    "before": None if change.before is None else change.before.value,
                    "after": None if change.after is None else change.after.value,
                    "value": change.value,
                    "samples": change.samples,
                    "at": change.at,
                    "description": change.description,
                }
                for change in changes
            ],
        )

    def changes(self, *, limit: int) -> Sequence[AlertChange]:
        statement = (
            sa.select(alert_history)
            .order_by(alert_history.c.at.desc(), alert_history.c.change_id)
            .limit(limit)
        )
        return [_to_change(row) for row in self._connection().execute(statement)]


def _severity(value: str | None) -> Severity | None:
    return None if value is None else Severity(value)


def _to_state(row: sa.Row[Any]) -> AlertState:
    return AlertState(
        threshold=row.threshold,
        scope=row.scope,
        severity=_severity(row.severity),
        value=float(row.value),
        samples=int(row.samples),
        since=row.since,
        evaluated_at=row.evaluated_at,
    )


def _to_change(row: sa.Row[Any]) -> AlertChange:
    return AlertChange(
        threshold=row.threshold,
        scope=row.scope,
        before=_severity(row.before),
        after=_severity(row.after),
        value=float(row.value),
        samples=int(row.samples),
        at=row.at,
        description=row.description,
    )
