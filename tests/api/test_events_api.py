"""``POST /api/v1/events`` and ``/events/batch`` over HTTP on the embedded stack.

Every refused request is checked twice: the 4xx envelope that says what is wrong, and that nothing
was stored.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.events import EventType
from tests.api.events_support import (
    CUSTOMER,
    NOTHING,
    OTHER,
    add_document,
    assert_error,
    container_of,
    dev_user,
    stored,
)

pytestmark = pytest.mark.anyio

EVENTS = "/api/v1/events"
BATCH = "/api/v1/events/batch"


def stored_events(app: FastAPI, user_id: str = CUSTOMER) -> list[Any]:
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        return uow.events.for_user(user_id, limit=2000)


# --- one event --------------------------------------------------------------------------------------


async def test_a_customer_records_a_view_of_a_chunk_and_its_item_is_filled_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = add_document(app)
    before = datetime.now(UTC)
    response = await client.post(
        EVENTS,
        json={"type": "view", "chunk_id": doc.chunk_ids[1], "meta": {"quelle": "Fragen"}},
        headers=dev_user(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "ok"
    data = body["data"]
    assert data["saved"] is True
    assert data["item_id"] == doc.item_id
    [event] = stored_events(app)
    assert event.event_id == data["event_id"]
    assert (event.user_id, event.type, event.item_id, event.chunk_id) == (
        CUSTOMER,
        EventType.VIEW,
        doc.item_id,
        doc.chunk_ids[1],
    )
    assert event.meta == {"quelle": "Fragen"}
    assert before <= event.ts <= datetime.now(UTC)  # ts defaults to now, in UTC
    assert datetime.fromisoformat(data["ts"]) == event.ts


async def test_personal_data_in_meta_is_stored_redacted_but_ids_stay(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = add_document(app)
    recommendation = "6f1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    meta = {
        "recommendation_id": recommendation,
        "kommentar": "Bitte rufen Sie mich an: 0171 2345678, anna.schmidt@example.de",
        "spuren": [{"suche": "Anna Schmidt, Hauptstraße 5"}],
        "position": 3,
    }
    response = await client.post(
        EVENTS, json={"type": "click", "chunk_id": doc.chunk_ids[0], "meta": meta}, headers=dev_user()
    )

    assert response.status_code == 201, response.text
    [event] = stored_events(app)
    assert event.meta["recommendation_id"] == recommendation and event.meta["position"] == 3
    stored = json.dumps(event.meta, ensure_ascii=False)
    assert "2345678" not in stored and "anna.schmidt" not in stored and "Schmidt" not in stored
    assert "Bitte rufen Sie mich an" in stored


async def test_a_given_time_with_an_offset_is_stored_in_utc(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post(
        EVENTS,
        json={"type": "ask", "ts": "2025-06-01T14:00:00+02:00", "user_id": CUSTOMER},
        headers=dev_user(),
    )
    assert response.status_code == 201, response.text
    [event] = stored_events(app)
    assert event.ts == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


async def test_the_admin_records_events_for_any_user_who_is_created_on_first_sight(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    doc = add_document(app)
    new_user = str(uuid.uuid4())
    response = await client.post(
        EVENTS, json={"user_id": new_user.upper(), "type": "like", "item_id": doc.item_id}, headers=admin
    )
    assert response.status_code == 201, response.text
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.users.get(new_user) is not None
    assert [e.type for e in stored_events(app, new_user)] == [EventType.LIKE]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"type": "purchase"}, "type", "view, click, like, dislike, solve, ask, feedback"),
        ({"type": "recommend"}, "type", "must be one of"),
        ({}, "type", "required"),
        ({"type": "view", "ts": "2025-06-01T14:00:00"}, "ts", "time zone"),
        ({"type": "view", "ts": "2025-06-01"}, "ts", "time zone"),
        ({"type": "view", "ts": "gestern"}, "ts", "ISO-8601"),
        ({"type": "view", "ts": "1999-12-31T23:59:59Z"}, "ts", "before 2000"),
        ({"type": "view", "user_id": "max"}, "user_id", "UUID"),
        ({"type": "view", "item_id": "42"}, "item_id", "UUID"),
        ({"type": "view", "chunk_id": ""}, "chunk_id", "UUID"),
        ({"type": "view", "meta": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "meta", "deeper"),
        ({"type": "view", "meta": {"text": "x" * 5000}}, "meta", "4096 bytes"),
        ({"type": "view", "meta": {"text": "a\u0000b"}}, "meta", "NUL"),
    ],
)
async def test_bad_fields_are_400_naming_the_field_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], field: str, says: str
) -> None:
    data = assert_error(await client.post(EVENTS, json=body, headers=dev_user()), 400, "invalid_input")
    details = json.dumps(data["details"], ensure_ascii=False)
    assert field in details
    assert says in details
    assert stored(app) == NOTHING


async def test_a_time_more_than_five_minutes_ahead_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        await client.post(EVENTS, json={"type": "view", "ts": soon}, headers=dev_user())
    ).status_code == 201
    data = assert_error(
        await client.post(EVENTS, json={"type": "view", "ts": later}, headers=dev_user()), 400
    )
    assert "future" in str(data["details"])
    assert stored(app).events == 1


async def test_unknown_documents_are_404_and_a_chunk_of_another_item_is_400(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc, other = add_document(app), add_document(app, title="Wärmepumpen")
    unknown = str(uuid.uuid4())
    for body in ({"type": "view", "item_id": unknown}, {"type": "click", "chunk_id": unknown}):
        data = assert_error(await client.post(EVENTS, json=body, headers=dev_user()), 404, "not_found")
        assert unknown in str(data)
    mismatch = {"type": "view", "item_id": other.item_id, "chunk_id": doc.chunk_ids[0]}
    data = assert_error(await client.post(EVENTS, json=mismatch, headers=dev_user()), 400)
    assert doc.item_id in str(data)
    assert stored(app) == NOTHING


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"type": "view",', "malformed_json"),
        (b'{"type": 5}', "invalid_input"),
        (b'{"type": "view", "meta": [1, 2]}', "invalid_input"),
        (b'{"type": "view", "extra": true}', "invalid_input"),
        (b'{"type": "view", "meta": {"x": NaN}}', "invalid_input"),
        (b'["view"]', "invalid_input"),
    ],
)
async def test_malformed_or_mistyped_json_is_400(
    app: FastAPI, client: httpx.AsyncClient, content: bytes, code: str
) -> None:
    headers = {**dev_user(), "Content-Type": "application/json"}
    assert_error(await client.post(EVENTS, content=content, headers=headers), 400, code)
    assert stored(app) == NOTHING


async def test_a_customer_may_not_record_events_for_someone_else(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    data = assert_error(
        await client.post(EVENTS, json={"type": "view", "user_id": OTHER}, headers=dev_user()), 403
    )
    assert data["code"] == "forbidden"
    assert stored(app) == NOTHING
    assert stored(app, OTHER) == NOTHING


async def test_the_admin_must_name_the_user(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    data = assert_error(await client.post(EVENTS, json={"type": "view"}, headers=admin), 400)
    assert "user_id" in str(data)
    assert stored(app) == NOTHING


async def test_the_admin_cannot_make_a_user_of_the_nil_uuid(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    nil = "00000000-0000-0000-0000-000000000000"
    response = await client.post(EVENTS, json={"type": "view", "user_id": nil}, headers=admin)
    assert_error(response, 400)
    assert "placeholder UUID" in response.json()["message"]
    assert stored(app) == NOTHING


async def test_events_need_credentials_and_json(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert_error(await client.post(EVENTS, json={"type": "view"}), 401)
    assert_error(
        await client.post(EVENTS, content=b"type=view", headers={**dev_user(), "Content-Type": "text/plain"}),
        415,
    )
    assert stored(app) == NOTHING


# --- batches ----------------------------------------------------------------------------------------


async def test_a_batch_is_stored_whole_in_its_order(app: FastAPI, client: httpx.AsyncClient) -> None:
    doc = add_document(app)
    events = [
        {"type": "view", "chunk_id": doc.chunk_ids[0], "ts": "2025-06-01T10:00:00Z"},
        {
            "type": "click",
            "chunk_id": doc.chunk_ids[1],
            "ts": "2025-06-01T10:00:05Z",
            "meta": {"recommendation_id": str(uuid.uuid4())},
        },
        {"type": "like", "item_id": doc.item_id, "user_id": CUSTOMER, "ts": "2025-06-01T10:01:00Z"},
    ]
    response = await client.post(BATCH, json={"events": events}, headers=dev_user())
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["saved"] == 3
    newest_first = stored_events(app)
    assert [e.event_id for e in reversed(newest_first)] == data["event_ids"]
    assert [e.type.value for e in reversed(newest_first)] == ["view", "click", "like"]
    assert all(e.item_id == doc.item_id for e in newest_first)


async def test_a_batch_of_a_thousand_events_is_accepted_and_one_more_is_413(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    too_many = {"events": [{"type": "view"}] * 1001}
    data = assert_error(await client.post(BATCH, json=too_many, headers=dev_user()), 413, "too_large")
    assert data["details"] == {"max_events": 1000, "events": 1001}
    assert stored(app) == NOTHING

    response = await client.post(BATCH, json={"events": [{"type": "view"}] * 1000}, headers=dev_user())
    assert response.status_code == 201, response.text
    assert stored(app).events == 1000


async def test_a_batch_with_problems_lists_each_by_index_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = add_document(app)
    unknown = str(uuid.uuid4())
    events: list[Any] = [
        {"type": "view", "chunk_id": doc.chunk_ids[0]},
        {"type": "teleport"},
        {"type": "view", "chunk_id": unknown},
        {"type": "view", "ts": "2025-06-01T10:00:00"},
        "view",
        {"type": "like", "item_id": doc.item_id, "colour": "blau"},
    ]
    data = assert_error(
        await client.post(BATCH, json={"events": events}, headers=dev_user()), 400, "invalid_input"
    )
    errors = data["details"]["errors"]  # type: ignore[index]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "type"),
        (2, "chunk_id"),
        (3, "ts"),
        (4, ""),
        (5, "colour"),
    ]
    assert all(set(e) == {"index", "field", "problem"} for e in errors)
    assert unknown in errors[1]["problem"]
    assert stored(app) == NOTHING


async def test_a_batch_with_thousands_of_problems_lists_the_first_hundred_and_counts_the_rest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """1,000 events with 70 unknown keys each were answered with 70,000 entries (4.7 MB)."""
    events = [{"type": "view", **{f"k{key}": key for key in range(70)}} for _ in range(1000)]

    data = assert_error(
        await client.post(BATCH, json={"events": events}, headers=dev_user()), 400, "invalid_input"
    )

    details = data["details"]
    assert len(details["errors"]) == 100 and details["not_listed"] == 69_900  # type: ignore[index]
    assert details["errors"][0]["index"] == 0 and details["errors"][-1]["index"] == 1  # type: ignore[index]
    assert stored(app) == NOTHING


async def test_an_empty_or_mistyped_batch_is_400(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert_error(await client.post(BATCH, json={"events": []}, headers=dev_user()), 400)
    assert_error(await client.post(BATCH, json={"events": {"type": "view"}}, headers=dev_user()), 400)
    assert_error(await client.post(BATCH, json={}, headers=dev_user()), 400)
    assert stored(app) == NOTHING


async def test_one_foreign_user_in_a_customers_batch_refuses_the_whole_batch(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    events = [{"type": "view"}, {"type": "view", "user_id": OTHER}]
    assert_error(await client.post(BATCH, json={"events": events}, headers=dev_user()), 403)
    assert stored(app) == NOTHING


async def test_the_admin_records_a_batch_for_several_users(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    users = [str(uuid.uuid4()) for _ in range(3)]
    events = [{"type": "view", "user_id": user} for user in users] + [{"type": "view"}]
    data = assert_error(await client.post(BATCH, json={"events": events}, headers=admin), 400)
    assert data["details"]["errors"][0]["index"] == 3  # type: ignore[index]
    assert stored(app) == NOTHING

    response = await client.post(BATCH, json={"events": events[:3]}, headers=admin)
    assert response.status_code == 201, response.text
    assert [stored(app, user).events for user in users] == [1, 1, 1]
