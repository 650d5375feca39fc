"""The flywheel's action tickets (one row each) and their history (one row per move)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.tables_flywheel import flywheel_action_events, flywheel_actions
from luna.domain.errors import Conflict, NotFound, Unprocessable
from luna.domain.flywheel.actions import (
    ACTIVE,
    Action,
    ActionEvent,
    ActionKey,
    ActionKind,
    ActionStatus,
    Team,
)

logger = logging.getLogger(__name__)


class SqlActionRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, action: Action) -> None:
        # Checked first: a failed INSERT would abort the whole transaction on PostgreSQL.
        if self._exists(action.action_id):
            raise Conflict(f"An action {action.action_id!r} exists already.")
        self._connection().execute(
            sa.insert(flywheel_actions).values(
                action_id=action.action_id,
                kind=action.kind.value,
                status=action.status.value,
                title=action.title,
                details=action.details,
                threshold=action.threshold,
                scope=action.scope,
                owner=action.owner.value,
                created_at=action.created_at,
                updated_at=action.updated_at,
                job_id=action.job_id,
            )
        )

    def get(self, action_id: str) -> Action | None:
        row = (
            self._connection()
            .execute(sa.select(flywheel_actions).where(flywheel_actions.c.action_id == action_id))
            .first()
        )
        if row is None:
            return None
        action = _readable(row)
        if action is None:
            raise Unprocessable(
                f"Action {action_id!r} is stored as kind {row.kind!r}, status {row.status!r}, owner "
                f"{row.owner!r}, which this version of Luna does not know (a newer one wrote it)."
            )
        return action

    def list(self, *, status: ActionStatus | None = None, limit: int = 50) -> Sequence[Action]:
        statement = sa.select(flywheel_actions)
        if status is not None:
            statement = statement.where(flywheel_actions.c.status == status.value)
        statement = statement.order_by(
            flywheel_actions.c.created_at.desc(), flywheel_actions.c.action_id
        ).limit(limit)
        readable = (_readable(row) for row in self._connection().execute(statement))
        return [action for action in readable if action is not None]

    def update(self, action: Action, from_status: ActionStatus) -> bool:
        statement = (
            sa.update(flywheel_actions)
            .where(
                flywheel_actions.c.action_id == action.action_id,
                flywheel_actions.c.status == from_status.value,
            )
            .values(
                status=action.status.value,
                details=action.details,
                job_id=action.job_id,
                updated_at=action.updated_at,
            )
        )
        return self._connection().execute(statement).rowcount == 1

    def add_event(self, event: ActionEvent) -> None:
        if not self._exists(event.action_id):
            raise NotFound(f"No action with id {event.action_id!r}.")
        self._connection().execute(
            sa.insert(flywheel_action_events).values(
                action_id=event.action_id,
                at=event.at,
                actor=event.actor,
                from_status=None if event.from_status is None else event.from_status.value,
                to_status=event.to_status.value,
                note=event.note,
            )
        )

    def events(self, action_id: str) -> Sequence[ActionEvent]:
        table = flywheel_action_events
        # Insertion order, not ``at``: moves made in the same instant keep the order they were made in.
        statement = sa.select(table).where(table.c.action_id == action_id).order_by(table.c.event_id)
        return [_to_event(row) for row in self._connection().execute(statement)]

    def open_keys(self) -> set[ActionKey]:
        statement = sa.select(
            flywheel_actions.c.kind, flywheel_actions.c.threshold, flywheel_actions.c.scope
        ).where(flywheel_actions.c.status.in_([status.value for status in ACTIVE]))
        known = {kind.value for kind in ActionKind}  # a newer version's kinds are not this one's to open
        rows = self._connection().execute(statement)
        return {(ActionKind(row.kind), row.threshold, row.scope) for row in rows if row.kind in known}

    def _exists(self, action_id: str) -> bool:
        found = sa.select(flywheel_actions.c.action_id).where(flywheel_actions.c.action_id == action_id)
        return self._connection().execute(found).first() is not None


def _readable(row: sa.Row[Any]) -> Action | None:
    """The row's ticket, or None (logged) when a kind, status or owner is one this version does not know:
    one such row, written by a newer version, made the whole list a 500."""
    try:
        return _to_action(row)
    except ValueError:
        logger.warning(
            "flywheel action %s unreadable: kind %r, status %r", row.action_id, row.kind, row.status
        )
        return None


def _to_action(row: sa.Row[Any]) -> Action:
    return Action(
        action_id=row.action_id,
        kind=ActionKind(row.kind),
        status=ActionStatus(row.status),
        title=row.title,
        details=dict(row.details),
        threshold=row.threshold,
        scope=row.scope,
        owner=Team(row.owner),
        created_at=row.created_at,
        updated_at=row.updated_at,
        job_id=row.job_id,
    )


def _to_event(row: sa.Row[Any]) -> ActionEvent:
    return ActionEvent(
        action_id=row.action_id,
        at=row.at,
        actor=row.actor,
        from_status=None if row.from_status is None else ActionStatus(row.from_status),
        to_status=ActionStatus(row.to_status),
        note=row.note,
    )
