"""What the events, feedback and users API suites share: documents to point at, and what is stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from luna.container import Container
from luna.domain.items import Item, ItemChunk

CUSTOMER = "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"
OTHER = "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a"


def dev_user(user_id: str = CUSTOMER) -> dict[str, str]:
    return {"X-Dev-User": user_id}


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


@dataclass(frozen=True)
class Document:
    item_id: str
    chunk_ids: list[str]


def add_document(app: FastAPI, chunks: int = 2, title: str = "Dynamische Stromtarife") -> Document:
    """An item with chunks straight into SQL: events and ratings only need them to exist there."""
    item = Item(item_id=str(uuid.uuid4()), kind="document", title=title, created_at=datetime.now(UTC))
    parts = [
        ItemChunk(chunk_id=str(uuid.uuid4()), item_id=item.item_id, chunk_idx=i, text=f"{title}, Teil {i}")
        for i in range(chunks)
    ]
    with container_of(app).database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(parts)
        uow.commit()
    return Document(item.item_id, [p.chunk_id for p in parts])


@dataclass(frozen=True)
class Stored:
    events: int
    ratings: int
    labels: int
    consent: int
    conversations: int = 0


def stored(app: FastAPI, user_id: str | None = None) -> Stored:
    """Counts of what is stored (about one user, or in all)."""
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        consent = 0
        if user_id is not None:
            consent = int(uow.consent.current(user_id, "learning") is not None)
        return Stored(
            events=uow.events.count(user_id=user_id),
            ratings=uow.feedback.count(user_id=user_id),
            labels=uow.feedback.count_labels(user_id=user_id),
            consent=consent,
            conversations=uow.conversations.count(user_id=user_id),
        )


NOTHING = Stored(0, 0, 0, 0)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    """The response is the error envelope with ``status``; returns its ``data``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["trace_id"] == response.headers["X-Trace-Id"]
    if code is not None:
        assert body["data"]["code"] == code
    data: dict[str, object] = body["data"]
    return data
