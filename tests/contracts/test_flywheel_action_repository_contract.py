"""The action tickets' tables behave the same on SQLite and PostgreSQL: tickets round-trip with their
JSON details, moves are compare-and-set, history keeps its order, active tickets give their keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables_flywheel import flywheel_actions
from luna.domain.errors import Conflict, NotFound, Unprocessable
from luna.domain.flywheel.actions import Action, ActionEvent, ActionKind, ActionStatus, Team
from luna.domain.flywheel.kpi_values import ALL, topic_scope
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def action(
    action_id: str,
    kind: ActionKind = ActionKind.REINDEX,
    status: ActionStatus = ActionStatus.OPEN,
    *,
    scope: str = ALL,
    at: datetime = T0,
) -> Action:
    return Action(
        action_id=action_id,
        kind=kind,
        status=status,
        title="Suchindex neu aufbauen: Zitate ungültig",
        details={
            "alert": {"severity": "critical", "value": 0.8},
            "job": "kb.reindex",
            "gaps": [{"ä": ["ö"]}],
        },
        threshold="citations_invalid",
        scope=scope,
        owner=Team.WISSEN,
        created_at=at,
        updated_at=at,
    )


def test_tickets_round_trip_and_a_taken_id_is_refused(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.actions.add(action("a1"))
        uow.commit()
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        uow.actions.add(action("a1"))
    with database.unit_of_work(read_only=True) as uow:
        assert uow.actions.get("a1") == action("a1")
        assert uow.actions.get("none") is None


def test_lists_are_newest_first_and_filter_by_status(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.actions.add(action("old", at=T0))
        uow.actions.add(
            action("new", ActionKind.LEARNING_RUN, ActionStatus.APPROVED, at=T0 + timedelta(hours=1))
        )
        uow.actions.add(action("mid", ActionKind.KNOWLEDGE_GAP, at=T0 + timedelta(minutes=30)))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert [a.action_id for a in uow.actions.list()] == ["new", "mid", "old"]
        assert [a.action_id for a in uow.actions.list(limit=2)] == ["new", "mid"]
        assert [a.action_id for a in uow.actions.list(status=ActionStatus.OPEN)] == ["mid", "old"]
        assert uow.actions.list(status=ActionStatus.DONE) == []


def test_an_update_is_a_compare_and_set_on_the_status(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.actions.add(action("a1", status=ActionStatus.APPROVED))
        uow.commit()
    later = T0 + timedelta(minutes=3)
    running = replace(
        action("a1"),
        status=ActionStatus.RUNNING,
        job_id="job-1",
        updated_at=later,
        details={"job": "kb.reindex"},
    )
    with database.unit_of_work() as uow:
        assert uow.actions.update(running, ActionStatus.APPROVED)
        assert not uow.actions.update(replace(running, status=ActionStatus.REJECTED), ActionStatus.APPROVED)
        assert not uow.actions.update(replace(running, action_id="none"), ActionStatus.APPROVED)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.actions.get("a1") == running


def test_history_keeps_insertion_order_even_within_one_instant(database: SqlDatabase) -> None:
    events = [
        ActionEvent("a1", T0, "luna", None, ActionStatus.APPROVED, "Angelegt"),
        ActionEvent("a1", T0, "luna", ActionStatus.APPROVED, ActionStatus.RUNNING, "Job eingereiht"),
        ActionEvent("a1", T0, "luna", ActionStatus.RUNNING, ActionStatus.DONE, None),
    ]
    with database.unit_of_work() as uow:
        uow.actions.add(action("a1"))
        uow.actions.add(action("a2"))
        for event in events:
            uow.actions.add_event(event)
        uow.actions.add_event(ActionEvent("a2", T0, "admin", None, ActionStatus.OPEN, None))
        uow.commit()
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        uow.actions.add_event(ActionEvent("none", T0, "admin", None, ActionStatus.OPEN, None))
    with database.unit_of_work(read_only=True) as uow:
        assert list(uow.actions.events("a1")) == events
        assert [e.actor for e in uow.actions.events("a2")] == ["admin"]
        assert uow.actions.events("none") == []


def test_open_keys_are_those_of_open_approved_and_running_tickets(database: SqlDatabase) -> None:
    pv = topic_scope("pv")
    with database.unit_of_work() as uow:
        for n, status in enumerate(ActionStatus):
            uow.actions.add(action(f"r{n}", ActionKind.REINDEX, status, scope=f"topic:s{n}"))
        uow.actions.add(action("gap", ActionKind.KNOWLEDGE_GAP, scope=pv))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.actions.open_keys() == {
            (ActionKind.KNOWLEDGE_GAP, "citations_invalid", pv),
            *(
                (ActionKind.REINDEX, "citations_invalid", f"topic:s{n}")
                for n, status in enumerate(ActionStatus)
                if status in (ActionStatus.OPEN, ActionStatus.APPROVED, ActionStatus.RUNNING)
            ),
        }


def test_a_ticket_a_newer_version_wrote_is_left_out_of_lists_and_named_when_asked_for(
    database: SqlDatabase,
) -> None:
    """One row of a kind this version does not know made the whole action list a 500."""
    with database.unit_of_work() as uow:
        uow.actions.add(action("known"))
        uow.commit()
    future = {**_row_of(action("future")), "kind": "model_distillation", "action_id": "future"}
    with database.engine.begin() as connection:
        connection.execute(sa.insert(flywheel_actions).values(**future))

    with database.unit_of_work(read_only=True) as uow:
        listed = [a.action_id for a in uow.actions.list()]
        keys = uow.actions.open_keys()
        with pytest.raises(Unprocessable, match=r"'model_distillation'.*does not know"):
            uow.actions.get("future")

    assert listed == ["known"]
    assert keys == {(ActionKind.REINDEX, "citations_invalid", ALL)}


def _row_of(ticket: Action) -> dict[str, object]:
    return {
        "action_id": ticket.action_id,
        "kind": ticket.kind.value,
        "status": ticket.status.value,
        "title": ticket.title,
        "details": ticket.details,
        "threshold": ticket.threshold,
        "scope": ticket.scope,
        "owner": ticket.owner.value,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "job_id": None,
    }
