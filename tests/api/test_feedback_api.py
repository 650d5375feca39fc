"""``POST /api/v1/feedback/rag``: a rating becomes a redacted record, one label per cited item and one
``feedback`` event per cited chunk, all in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.events import EventType
from tests.api.events_support import (
    CUSTOMER,
    NOTHING,
    OTHER,
    Stored,
    add_document,
    assert_error,
    container_of,
    dev_user,
    stored,
)

pytestmark = pytest.mark.anyio

RATE = "/api/v1/feedback/rag"

QUESTION = "Hallo, ich bin Kundin in der Hauptstraße 5, 10115 Berlin. Lohnt sich ein dynamischer Tarif?"
ANSWER = "Bei 3.500 kWh im Jahr und einem Smart Meter nach § 14a EnWG oft ja [chunk 1]."
NOTES = (
    "Sehr hilfreich! Rückfragen gern an anna.schmidt@example.de oder 0171 1234567.\nViele Grüße\nAnna Schmidt"
)


def rating(**fields: Any) -> dict[str, Any]:
    return {"question": QUESTION, "answer": ANSWER, "useful": True, **fields}


async def test_a_useful_rating_is_stored_redacted_with_a_label_per_item_and_an_event_per_chunk(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tariffs, heat_pumps = add_document(app, chunks=3), add_document(app, title="Wärmepumpen")
    cited = [tariffs.chunk_ids[2], heat_pumps.chunk_ids[0], tariffs.chunk_ids[0], tariffs.chunk_ids[2]]
    response = await client.post(RATE, json=rating(notes=NOTES, chunks_used=cited), headers=dev_user())

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["saved"] is True
    assert (data["labels"], data["events"], data["redactions"]) == (2, 3, 4)
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        feedback = uow.feedback.get(data["feedback_id"])
        labels = uow.feedback.labels(feedback_id=data["feedback_id"])
        events = uow.events.for_user(CUSTOMER)
    assert feedback is not None
    assert feedback.user_id == CUSTOMER and feedback.useful is True
    assert feedback.question == "Hallo, ich bin Kundin in der [ADRESSE]. Lohnt sich ein dynamischer Tarif?"
    assert feedback.answer == ANSWER  # nothing personal in it: unchanged
    assert (
        feedback.notes == "Sehr hilfreich! Rückfragen gern an [E-MAIL] oder [TELEFON].\nViele Grüße\n[NAME]"
    )
    assert feedback.chunks_used == cited[:3]  # each chunk once, in the order cited
    by_item = {label.item_id: label for label in labels}
    assert by_item.keys() == {tariffs.item_id, heat_pumps.item_id}
    assert by_item[tariffs.item_id].chunk_id == tariffs.chunk_ids[2]  # the item's first cited chunk
    assert by_item[heat_pumps.item_id].chunk_id == heat_pumps.chunk_ids[0]
    assert all(label.reward == 1.0 and label.reason == feedback.notes for label in labels)
    assert all(label.user_id == CUSTOMER and label.ts == feedback.ts for label in labels)
    assert sorted(e.chunk_id or "" for e in events) == sorted(cited[:3])
    assert all(e.type == EventType.FEEDBACK and e.meta["useful"] is True for e in events)
    assert all(e.meta["feedback_id"] == data["feedback_id"] for e in events)


async def test_direction_controls_in_a_rating_are_dropped_and_invisible_notes_are_none(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Operators read the notes in /admin/activity: an override would show "Bitte ABRUPZEINT" reversed."""
    spoofed = await client.post(
        RATE, json=rating(notes="Bitte \u202eTNIEZPURBA\u202c sofort"), headers=dev_user()
    )
    blank = await client.post(RATE, json=rating(notes="\u200b\u200e"), headers=dev_user())

    assert spoofed.status_code == 201 and blank.status_code == 201, (spoofed.text, blank.text)
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        stored = [uow.feedback.get(r.json()["data"]["feedback_id"]) for r in (spoofed, blank)]
    assert stored[0] is not None and stored[0].notes == "Bitte TNIEZPURBA sofort"
    assert stored[1] is not None and stored[1].notes is None


async def test_a_rating_that_was_not_useful_gives_negative_rewards(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = add_document(app)
    response = await client.post(
        RATE, json=rating(useful=False, chunks_used=doc.chunk_ids), headers=dev_user()
    )
    assert response.status_code == 201, response.text
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        [label] = uow.feedback.labels(user_id=CUSTOMER)
        events = uow.events.for_user(CUSTOMER)
    assert (label.reward, label.reason, label.chunk_id) == (-1.0, "not useful", doc.chunk_ids[0])
    assert [e.meta["useful"] for e in events] == [False, False]


async def test_a_rating_without_citations_has_no_labels(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post(RATE, json=rating(), headers=dev_user())
    assert response.status_code == 201, response.text
    assert stored(app, CUSTOMER) == Stored(events=0, ratings=1, labels=0, consent=0)


async def test_the_admin_rates_anonymously_or_for_a_named_user(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    doc = add_document(app)
    anonymous = await client.post(RATE, json=rating(chunks_used=doc.chunk_ids), headers=admin)
    assert anonymous.status_code == 201, anonymous.text
    assert (anonymous.json()["data"]["labels"], anonymous.json()["data"]["events"]) == (0, 0)
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        feedback = uow.feedback.get(anonymous.json()["data"]["feedback_id"])
    assert feedback is not None and feedback.user_id is None

    user = str(uuid.uuid4())
    named = await client.post(RATE, json=rating(user_id=user, chunks_used=doc.chunk_ids), headers=admin)
    assert named.status_code == 201, named.text
    assert stored(app, user) == Stored(events=2, ratings=1, labels=1, consent=0)


async def test_unknown_cited_chunks_are_404_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = add_document(app)
    unknown = str(uuid.uuid4())
    response = await client.post(
        RATE, json=rating(chunks_used=[doc.chunk_ids[0], unknown]), headers=dev_user()
    )
    data = assert_error(response, 404, "not_found")
    assert data["details"] == {"chunk_ids": [unknown]}
    assert stored(app) == NOTHING


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"question": "x" * 2001}, "question"),
        ({"answer": "x" * 20_001}, "answer"),
        ({"notes": "x" * 2001}, "notes"),
        ({"question": "   "}, "question"),
        ({"question": ""}, "question"),
        ({"useful": "yes"}, "useful"),
        ({"useful": None}, "useful"),
        ({"question": "Tarif\u0000?"}, "NUL"),
        ({"chunks_used": ["chunk-1"]}, "UUID"),
        ({"chunks_used": [str(uuid.uuid4()) for _ in range(51)]}, "chunks_used"),
        ({"chunks_used": "abc"}, "chunks_used"),
        ({"user_id": "anna"}, "UUID"),
        ({"stars": 5}, "stars"),
    ],
)
async def test_bad_ratings_are_400_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, fields: dict[str, Any], says: str
) -> None:
    response = await client.post(RATE, json=rating(**fields), headers=dev_user())
    assert_error(response, 400)
    assert says in response.json()["message"] + str(response.json()["data"])
    assert stored(app) == NOTHING


async def test_missing_fields_and_malformed_json_are_400(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert_error(await client.post(RATE, json={"question": "Wie?", "useful": True}, headers=dev_user()), 400)
    headers = {**dev_user(), "Content-Type": "application/json"}
    assert_error(
        await client.post(RATE, content=b'{"question": "Wie?"', headers=headers), 400, "malformed_json"
    )
    assert stored(app) == NOTHING


async def test_a_customer_may_not_rate_for_someone_else(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert_error(await client.post(RATE, json=rating(user_id=OTHER), headers=dev_user()), 403, "forbidden")
    assert_error(await client.post(RATE, json=rating()), 401)
    assert stored(app) == NOTHING
