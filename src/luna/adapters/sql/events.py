"""SQL repositories of events, rated answers (with their labels) and consent records.

Learning reads decide consent in SQL: a user's newest ``learning`` record counts, users without one
follow ``consent_default``. They stream one ordered query in batches (a server-side cursor on
PostgreSQL), so millions of events cost one sort, not one per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import consent, events, labels, rag_feedback
from luna.domain.events import LEARNING_SCOPE, Consent, Event, EventType, Label, RagFeedback


def _consenting(user_column: sa.ColumnElement[Any], consent_default: bool) -> sa.ColumnElement[bool]:
    """Whether the user of each row lets Luna learn from it, decided by their newest ``learning`` record."""
    newest = (
        sa.select(consent.c.user_id, sa.func.max(consent.c.ts).label("ts"))
        .where(consent.c.scope == LEARNING_SCOPE)
        .group_by(consent.c.user_id)
        .subquery("newest")
    )
    decided_otherwise = (
        sa.select(consent.c.user_id)
        .join(newest, sa.and_(consent.c.user_id == newest.c.user_id, consent.c.ts == newest.c.ts))
        .where(consent.c.scope == LEARNING_SCOPE, consent.c.granted == (not consent_default))
    )
    if consent_default:
        return user_column.not_in(decided_otherwise)
    return user_column.in_(decided_otherwise)


def _stream(
    connection: sa.Connection, statement: sa.Select[Any], batch_size: int
) -> Iterator[Sequence[sa.Row[Any]]]:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = connection.execution_options(yield_per=batch_size).execute(statement)
    try:
        yield from result.partitions()
    finally:
        result.close()


def _count(connection: sa.Connection, table: sa.Table, user_id: str | None) -> int:
    statement = sa.select(sa.func.count()).select_from(table)
    if user_id is not None:
        key = parse_uuid(user_id)
        if key is None:
            return 0
        statement = statement.where(table.c.user_id == key)
    return int(connection.execute(statement).scalar_one())


def _delete_for_user(connection: sa.Connection, table: sa.Table, user_id: str) -> int:
    key = parse_uuid(user_id)
    if key is None:
        return 0
    primary = next(iter(table.primary_key.columns))
    return len(connection.execute(sa.delete(table).where(table.c.user_id == key).returning(primary)).all())


class SqlEventRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add_many(self, batch: Sequence[Event]) -> None:
        """One executemany INSERT for the whole batch (psycopg pipelines it; SQLite loops in C).

        A batch names few distinct users, items and chunks: each ID is parsed once.
        """
        if batch:
            keys = _KeyCache()
            self._connection().execute(sa.insert(events), [_event_row(event, keys) for event in batch])

    def get(self, event_id: str) -> Event | None:
        key = parse_uuid(event_id)
        if key is None:
            return None
        row = self._connection().execute(sa.select(events).where(events.c.event_id == key)).first()
        return None if row is None else _to_event(row)

    def for_user(
        self, user_id: str, *, types: Collection[EventType] | None = None, limit: int = 200
    ) -> list[Event]:
        key = parse_uuid(user_id)
        if key is None or limit < 1:
            return []
        statement = sa.select(events).where(events.c.user_id == key)
        if types is not None:
            statement = statement.where(events.c.type.in_([EventType(t).value for t in types]))
        statement = statement.order_by(events.c.ts.desc(), events.c.event_id.desc()).limit(limit)
        return [_to_event(row) for row in self._connection().execute(statement)]

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[Event]]:
        statement = (
            sa.select(events)
            .where(_consenting(events.c.user_id, consent_default))
            .order_by(events.c.ts, events.c.event_id)
        )
        for rows in _stream(self._connection(), statement, batch_size):
            yield [_to_event(row) for row in rows]

    def count(self, *, user_id: str | None = None) -> int:
        return _count(self._connection(), events, user_id)

    def delete_for_user(self, user_id: str) -> int:
        return _delete_for_user(self._connection(), events, user_id)


class SqlFeedbackRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, feedback: RagFeedback, new_labels: Sequence[Label]) -> None:
        connection = self._connection()
        connection.execute(sa.insert(rag_feedback).values(**_feedback_row(feedback)))
        if new_labels:
            connection.execute(sa.insert(labels), [_label_row(label) for label in new_labels])

    def get(self, feedback_id: str) -> RagFeedback | None:
        key = parse_uuid(feedback_id)
        if key is None:
            return None
        statement = sa.select(rag_feedback).where(rag_feedback.c.feedback_id == key)
        row = self._connection().execute(statement).first()
        return None if row is None else _to_feedback(row)

    def labels(self, *, user_id: str | None = None, feedback_id: str | None = None) -> list[Label]:
        statement = sa.select(labels).order_by(labels.c.ts, labels.c.item_id)
        for column, value in ((labels.c.user_id, user_id), (labels.c.feedback_id, feedback_id)):
            if value is not None:
                key = parse_uuid(value)
                if key is None:
                    return []
                statement = statement.where(column == key)
        return [_to_label(row) for row in self._connection().execute(statement)]

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[RagFeedback]]:
        statement = (
            sa.select(rag_feedback)
            .where(
                sa.or_(rag_feedback.c.user_id.is_(None), _consenting(rag_feedback.c.user_id, consent_default))
            )
            .order_by(rag_feedback.c.ts, rag_feedback.c.feedback_id)
        )
        for rows in _stream(self._connection(), statement, batch_size):
            yield [_to_feedback(row) for row in rows]

    def count(self, *, user_id: str | None = None) -> int:
        return _count(self._connection(), rag_feedback, user_id)

    def for_user(self, user_id: str, *, since: datetime) -> list[RagFeedback]:
        key = parse_uuid(user_id)
        if key is None:
            return []
        statement = (
            sa.select(rag_feedback)
            .where(rag_feedback.c.user_id == key, rag_feedback.c.ts >= since)
            .order_by(rag_feedback.c.ts, rag_feedback.c.feedback_id)
        )
        return [_to_feedback(row) for row in self._connection().execute(statement)]

    def newest(self, *, useful: bool | None = None, limit: int) -> list[RagFeedback]:
        statement = sa.select(rag_feedback).order_by(rag_feedback.c.ts.desc(), rag_feedback.c.feedback_id)
        if useful is not None:
            statement = statement.where(rag_feedback.c.useful.is_(useful))
        return [_to_feedback(row) for row in self._connection().execute(statement.limit(limit))]

    def count_labels(self, *, user_id: str | None = None) -> int:
        return _count(self._connection(), labels, user_id)

    def delete_for_user(self, user_id: str) -> tuple[int, int]:
        """Labels first: they name the ratings they came from."""
        connection = self._connection()
        erased_labels = _delete_for_user(connection, labels, user_id)
        return _delete_for_user(connection, rag_feedback, user_id), erased_labels


class SqlConsentRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def record(self, record: Consent) -> None:
        self._connection().execute(
            sa.insert(consent).values(
                user_id=require_uuid(record.user_id, "user_id"),
                scope=record.scope,
                granted=record.granted,
                ts=record.ts,
            )
        )

    def current(self, user_id: str, scope: str) -> Consent | None:
        key = parse_uuid(user_id)
        if key is None:
            return None
        statement = (
            sa.select(consent)
            .where(consent.c.user_id == key, consent.c.scope == scope)
            .order_by(consent.c.ts.desc())
            .limit(1)
        )
        row = self._connection().execute(statement).first()
        if row is None:
            return None
        return Consent(user_id=str(row.user_id), scope=row.scope, granted=bool(row.granted), ts=row.ts)

    def records_since(self, since: datetime) -> list[Consent]:
        return self._records(sa.select(consent).where(consent.c.ts >= since))

    def for_user(self, user_id: str) -> list[Consent]:
        key = parse_uuid(user_id)
        return [] if key is None else self._records(sa.select(consent).where(consent.c.user_id == key))

    def _records(self, statement: sa.Select[Any]) -> list[Consent]:
        return [
            Consent(user_id=str(row.user_id), scope=row.scope, granted=bool(row.granted), ts=row.ts)
            for row in self._connection().execute(statement.order_by(consent.c.ts))
        ]

    def delete_for_user(self, user_id: str) -> int:
        return _delete_for_user(self._connection(), consent, user_id)


def _optional_uuid(value: str | None, field: str) -> uuid.UUID | None:
    return None if value is None else require_uuid(value, field)


class _KeyCache(dict[tuple[str, str], uuid.UUID]):
    def get_key(self, value: str | None, field: str) -> uuid.UUID | None:
        if value is None:
            return None
        key = self.get((field, value))
        if key is None:
            key = self[(field, value)] = require_uuid(value, field)
        return key


def _event_row(event: Event, keys: _KeyCache) -> dict[str, Any]:
    return {
        "event_id": require_uuid(event.event_id, "event_id"),
        "user_id": keys.get_key(event.user_id, "user_id"),
        "ts": event.ts,
        "type": EventType(event.type).value,
        "item_id": keys.get_key(event.item_id, "item_id"),
        "chunk_id": keys.get_key(event.chunk_id, "chunk_id"),
        "meta": dict(event.meta),
    }


def _to_event(row: sa.Row[Any]) -> Event:
    return Event(
        event_id=str(row.event_id),
        user_id=str(row.user_id),
        ts=row.ts,
        type=EventType(row.type),
        item_id=None if row.item_id is None else str(row.item_id),
        chunk_id=None if row.chunk_id is None else str(row.chunk_id),
        meta=dict(row.meta or {}),
    )


def _feedback_row(feedback: RagFeedback) -> dict[str, Any]:
    return {
        "feedback_id": require_uuid(feedback.feedback_id, "feedback_id"),
        "user_id": _optional_uuid(feedback.user_id, "user_id"),
        "ts": feedback.ts,
        "question": feedback.question,
        "answer": feedback.answer,
        "useful": feedback.useful,
        "notes": feedback.notes,
        "chunks_used": list(feedback.chunks_used),
    }


def _to_feedback(row: sa.Row[Any]) -> RagFeedback:
    return RagFeedback(
        feedback_id=str(row.feedback_id),
        user_id=None if row.user_id is None else str(row.user_id),
        ts=row.ts,
        question=row.question,
        answer=row.answer,
        useful=bool(row.useful),
        notes=row.notes,
        chunks_used=[str(chunk_id) for chunk_id in row.chunks_used or []],
    )


def _label_row(label: Label) -> dict[str, Any]:
    return {
        "user_id": require_uuid(label.user_id, "user_id"),
        "item_id": require_uuid(label.item_id, "item_id"),
        "ts": label.ts,
        "reward": label.reward,
        "reason": label.reason,
        "chunk_id": _optional_uuid(label.chunk_id, "chunk_id"),
        "feedback_id": _optional_uuid(label.feedback_id, "feedback_id"),
    }


def _to_label(row: sa.Row[Any]) -> Label:
    return Label(
        user_id=str(row.user_id),
        item_id=str(row.item_id),
        ts=row.ts,
        reward=float(row.reward),
        reason=row.reason,
        chunk_id=None if row.chunk_id is None else str(row.chunk_id),
        feedback_id=None if row.feedback_id is None else str(row.feedback_id),
    )
