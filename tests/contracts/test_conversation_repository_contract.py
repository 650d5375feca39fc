"""Stored conversations behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.conversations import Conversation, SourceSnapshot, Turn
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def new_user(database: SqlDatabase) -> str:
    user_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.commit()
    return user_id


def turn(position: int, at: datetime, question: str = "Was kostet Strom?") -> Turn:
    source = SourceSnapshot("c-1", 0.8, {"title": "Preisblatt", "page": 2, "text": "8,12 ct/kWh"})
    follow_ups = ("Worum geht es in ‚Preisblatt‘?",)
    return Turn(
        position, question, "8,12 ct/kWh [chunk c-1]", "extractive", at, (source,), ("9,99",), follow_ups
    )


def start(database: SqlDatabase, user_id: str, at: datetime = T0) -> str:
    conversation_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        conversation = Conversation(conversation_id, user_id, "Was kostet Strom?", at, at, (turn(0, at),))
        uow.conversations.add(conversation)
        uow.commit()
    return conversation_id


def test_turns_come_back_in_order_with_their_sources_exactly(database: SqlDatabase) -> None:
    user = new_user(database)
    conversation_id = start(database, user)
    with database.unit_of_work() as uow:
        uow.conversations.add_turn(conversation_id, turn(1, T0 + timedelta(minutes=1), "Und für Gewerbe?"))
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        found = uow.conversations.get(conversation_id)

    assert found is not None and found.user_id == user
    assert [t.question for t in found.turns] == ["Was kostet Strom?", "Und für Gewerbe?"]
    assert found.turns[0] == turn(0, T0)
    assert found.updated_at == T0 + timedelta(minutes=1)


def test_a_users_list_has_the_newest_turn_first_and_only_their_own(database: SqlDatabase) -> None:
    user, other = new_user(database), new_user(database)
    older = start(database, user, T0)
    newer = start(database, user, T0 + timedelta(hours=1))
    start(database, other)
    with database.unit_of_work() as uow:
        uow.conversations.add_turn(older, turn(1, T0 + timedelta(hours=2)))
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        listed = uow.conversations.list_for_user(user, limit=10)
        limited = uow.conversations.list_for_user(user, limit=1)
        second_page = uow.conversations.list_for_user(user, limit=1, offset=1)
        past_the_end = uow.conversations.list_for_user(user, limit=1, offset=2)

    assert [c.conversation_id for c in listed] == [older, newer]
    assert all(c.turns == () for c in listed)
    assert [c.conversation_id for c in limited] == [older]
    assert [c.conversation_id for c in second_page] == [newer] and past_the_end == []


def test_delete_and_erasure_remove_conversations_with_their_turns(database: SqlDatabase) -> None:
    user, other = new_user(database), new_user(database)
    first, _ = start(database, user), start(database, user)
    kept = start(database, other)

    with database.unit_of_work() as uow:
        assert uow.conversations.delete(first) is True
        assert uow.conversations.delete(first) is False
        assert uow.conversations.delete("not-a-uuid") is False
        assert uow.conversations.delete_for_user(user) == 1
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.conversations.count(user_id=user) == 0
        assert uow.conversations.count() == 1
        assert uow.conversations.get(kept) is not None
        assert uow.conversations.get("not-a-uuid") is None
