"""What the learning suites write through the real repositories: items with chunks, users, events, ratings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from luna.domain.events import LEARNING_SCOPE, Consent, Event, EventType, RagFeedback
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.ports.sql import Database


@dataclass(frozen=True)
class Library:
    """Items and their chunks, by position: ``chunks[i][j]`` is chunk j of item i."""

    items: list[str]
    chunks: list[list[str]]


def add_library(
    database: Database, chunks_per_item: Iterable[int], status: ItemStatus = ItemStatus.INDEXED
) -> Library:
    library = Library([], [])
    with database.unit_of_work() as uow:
        for count in chunks_per_item:
            item = Item(item_id=str(uuid.uuid4()), kind="document", title="Wärmepumpe", status=status)
            chunks = [
                ItemChunk(str(uuid.uuid4()), item.item_id, index, f"Abschnitt {index}")
                for index in range(count)
            ]
            uow.items.add(item)
            uow.chunks.add_many(chunks)
            library.items.append(item.item_id)
            library.chunks.append([chunk.chunk_id for chunk in chunks])
        uow.commit()
    return library


def add_users(database: Database, count: int) -> list[str]:
    users = [str(uuid.uuid4()) for _ in range(count)]
    with database.unit_of_work() as uow:
        for user in users:
            uow.users.get_or_create(user)
        uow.commit()
    return users


def add_events(
    database: Database, user: str, happenings: Iterable[tuple[EventType, datetime, str | None, str | None]]
) -> None:
    """``(type, ts, chunk_id, item_id)`` per event."""
    events = [
        Event(str(uuid.uuid4()), user, ts, kind, item_id=item, chunk_id=chunk)
        for kind, ts, chunk, item in happenings
    ]
    with database.unit_of_work() as uow:
        uow.events.add_many(events)
        uow.commit()


def add_rating(database: Database, user: str | None, useful: bool, ts: datetime, chunks: list[str]) -> None:
    rating = RagFeedback(str(uuid.uuid4()), user, ts, "Frage", "Antwort", useful, chunks_used=chunks)
    with database.unit_of_work() as uow:
        uow.feedback.add(rating, [])
        uow.commit()


def set_consent(database: Database, user: str, granted: bool, ts: datetime) -> None:
    with database.unit_of_work() as uow:
        uow.consent.record(Consent(user, LEARNING_SCOPE, granted, ts))
        uow.commit()
