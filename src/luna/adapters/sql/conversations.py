"""The ``conversations`` and ``conversation_turns`` tables: Luna's dialogues, kept across reloads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import conversation_turns, conversations
from luna.domain.conversations import Conversation, SourceSnapshot, Turn


class SqlConversationRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, conversation: Conversation) -> None:
        self._connection().execute(
            sa.insert(conversations).values(
                conversation_id=require_uuid(conversation.conversation_id, "conversation_id"),
                user_id=require_uuid(conversation.user_id, "user_id"),
                title=conversation.title,
                created_at=conversation.created_at,
                updated_at=conversation.updated_at,
            )
        )
        for turn in conversation.turns:
            self.add_turn(conversation.conversation_id, turn)

    def get(self, conversation_id: str, *, with_turns: bool = True) -> Conversation | None:
        key = parse_uuid(conversation_id)
        if key is None:
            return None
        connection = self._connection()
        row = connection.execute(
            sa.select(conversations).where(conversations.c.conversation_id == key)
        ).one_or_none()
        if row is None:
            return None
        turns: tuple[Turn, ...] = ()
        if with_turns:
            statement = (
                sa.select(conversation_turns)
                .where(conversation_turns.c.conversation_id == key)
                .order_by(conversation_turns.c.position)
            )
            turns = tuple(_to_turn(turn) for turn in connection.execute(statement))
        return _to_conversation(row, turns)

    def list_for_user(self, user_id: str, *, limit: int, offset: int = 0) -> Sequence[Conversation]:
        key = parse_uuid(user_id)
        if key is None:
            return []
        statement = (
            sa.select(conversations)
            .where(conversations.c.user_id == key)
            .order_by(conversations.c.updated_at.desc(), conversations.c.conversation_id)
            .limit(limit)
            .offset(offset)
        )
        return [_to_conversation(row, ()) for row in self._connection().execute(statement)]

    def updated_between(self, start: datetime, end: datetime, *, limit: int) -> Sequence[Conversation]:
        statement = (
            sa.select(conversations.c.conversation_id)
            .where(conversations.c.updated_at >= start, conversations.c.updated_at < end)
            .order_by(conversations.c.updated_at, conversations.c.conversation_id)
            .limit(limit)
        )
        found = (self.get(str(key)) for key in self._connection().execute(statement).scalars())
        return [conversation for conversation in found if conversation is not None]

    def add_turn(self, conversation_id: str, turn: Turn) -> None:
        key = require_uuid(conversation_id, "conversation_id")
        connection = self._connection()
        connection.execute(
            sa.insert(conversation_turns).values(
                conversation_id=key,
                position=turn.position,
                question=turn.question,
                answer=turn.answer,
                model=turn.model,
                sources=[_source_row(source) for source in turn.sources],
                unsupported_numbers=list(turn.unsupported_numbers),
                follow_ups=list(turn.follow_ups),
                created_at=turn.created_at,
            )
        )
        connection.execute(
            sa.update(conversations)
            .where(conversations.c.conversation_id == key)
            .values(updated_at=turn.created_at)
        )

    def delete(self, conversation_id: str) -> bool:
        key = parse_uuid(conversation_id)
        if key is None:
            return False
        connection = self._connection()
        connection.execute(sa.delete(conversation_turns).where(conversation_turns.c.conversation_id == key))
        deleted = connection.execute(
            sa.delete(conversations)
            .where(conversations.c.conversation_id == key)
            .returning(conversations.c.conversation_id)
        )
        return bool(deleted.all())

    def delete_for_user(self, user_id: str) -> int:
        key = parse_uuid(user_id)
        if key is None:
            return 0
        connection = self._connection()
        owned = sa.select(conversations.c.conversation_id).where(conversations.c.user_id == key)
        connection.execute(
            sa.delete(conversation_turns).where(conversation_turns.c.conversation_id.in_(owned))
        )
        deleted = connection.execute(
            sa.delete(conversations)
            .where(conversations.c.user_id == key)
            .returning(conversations.c.conversation_id)
        )
        return len(deleted.all())

    def count(self, *, user_id: str | None = None) -> int:
        statement = sa.select(sa.func.count()).select_from(conversations)
        if user_id is not None:
            key = parse_uuid(user_id)
            if key is None:
                return 0
            statement = statement.where(conversations.c.user_id == key)
        return int(self._connection().execute(statement).scalar_one())


def _source_row(source: SourceSnapshot) -> dict[str, Any]:
    return {"chunk_id": source.chunk_id, "score": source.score, "payload": source.payload}


def _to_source(raw: Any) -> SourceSnapshot:
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else {}
    return SourceSnapshot(chunk_id=str(raw["chunk_id"]), score=float(raw.get("score", 0.0)), payload=payload)


def _to_turn(row: sa.Row[Any]) -> Turn:
    sources = row.sources if isinstance(row.sources, list) else []
    numbers = row.unsupported_numbers if isinstance(row.unsupported_numbers, list) else []
    follow_ups = row.follow_ups if isinstance(row.follow_ups, list) else []
    return Turn(
        position=row.position,
        question=row.question,
        answer=row.answer,
        model=row.model,
        created_at=row.created_at,
        sources=tuple(_to_source(raw) for raw in sources if isinstance(raw, dict)),
        unsupported_numbers=tuple(str(number) for number in numbers),
        follow_ups=tuple(str(question) for question in follow_ups),
    )


def _to_conversation(row: sa.Row[Any], turns: tuple[Turn, ...]) -> Conversation:
    return Conversation(
        conversation_id=str(row.conversation_id),
        user_id=str(row.user_id),
        title=row.title,
        created_at=row.created_at,
        updated_at=row.updated_at,
        turns=turns,
    )
