"""``/api/v1/users/me`` (record, consent, erasure) and the operator's ``/admin/users/{id}/data``.

Consent decides what the learning loop reads, never what is stored; erasure removes the user's events,
ratings, labels and consent records in one go, leaves every other user's data alone and is audited
with counts only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import Depends, FastAPI

from luna.api.app import ADMIN_PREFIX
from luna.api.auth import require_admin
from luna.api.deps import require_supported_body
from luna.api.openapi import ADMIN_ERRORS
from luna.api.routers import admin_privacy
from luna.domain.flywheel.sessions import IncomingSession
from luna.services.flywheel.normalise import COLLECTION as FLYWHEEL_QUESTIONS
from luna.services.learning.privacy import PrivacyService
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

ME = "/api/v1/users/me"
CONSENT = "/api/v1/users/me/consent"
MY_DATA = "/api/v1/users/me/data"
MY_EXPORT = "/api/v1/users/me/export"
ERASE_PATH = f"{ADMIN_PREFIX}/users/{{user_id}}/data"


def with_admin_privacy(app: FastAPI) -> FastAPI:
    """Mount the admin erasure route the way ``create_app`` mounts ADMIN_ROUTERS, unless it already is."""
    if not any(getattr(route, "path", None) == ERASE_PATH for route in app.routes):
        app.include_router(
            admin_privacy.router,
            prefix=ADMIN_PREFIX,
            dependencies=[Depends(require_admin), Depends(require_supported_body)],
            responses=ADMIN_ERRORS,
        )
    return app


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return with_admin_privacy(build_app())


async def use_luna(client: httpx.AsyncClient, app: FastAPI, user_id: str) -> None:
    """Two events, a rating of one cited item and a conversation: what a customer leaves behind."""
    doc = add_document(app)
    headers = dev_user(user_id)
    batch = {
        "events": [{"type": "view", "chunk_id": doc.chunk_ids[0]}, {"type": "like", "item_id": doc.item_id}]
    }
    assert (await client.post("/api/v1/events/batch", json=batch, headers=headers)).status_code == 201
    rating = {
        "question": "Was ist § 14a?",
        "answer": "Steuerbare Verbraucher.",
        "useful": True,
        "chunks_used": doc.chunk_ids[:1],
    }
    assert (await client.post("/api/v1/feedback/rag", json=rating, headers=headers)).status_code == 201
    question = {"question": "Was ist § 14a?"}
    assert (await client.post("/api/v1/rag/ask", json=question, headers=headers)).status_code == 200


def embedded_questions(app: FastAPI) -> int:
    """Questions in the flywheel's vector collection (topics and knowledge gaps are read from it)."""
    return container_of(app).vectors.count(FLYWHEEL_QUESTIONS)


def learning_users(app: FastAPI, consent_default: bool = True) -> set[str]:
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        events = {
            e.user_id for batch in uow.events.for_learning(consent_default=consent_default) for e in batch
        }
        ratings = {
            r.user_id for batch in uow.feedback.for_learning(consent_default=consent_default) for r in batch
        }
    assert ratings <= events | {None}
    return events


async def test_my_record_shows_consent_and_what_is_stored(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get(ME, headers=dev_user())
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["user_id"] == CUSTOMER
    assert data["consent"] == {"learning": True, "decided": False, "updated_at": None}
    assert (data["events"], data["ratings"], data["labels"], data["conversations"]) == (0, 0, 0, 0)

    await use_luna(client, app, CUSTOMER)
    data = (await client.get(ME, headers=dev_user())).json()["data"]
    counts = (data["events"], data["ratings"], data["labels"], data["conversations"])
    assert counts == (3, 1, 1, 1)  # 2 posted + 1 feedback event


async def test_consent_can_be_withdrawn_and_given_again(app: FastAPI, client: httpx.AsyncClient) -> None:
    withdrawn = await client.put(CONSENT, json={"learning": False}, headers=dev_user())
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["data"]["learning"] is False
    shown = (await client.get(CONSENT, headers=dev_user())).json()["data"]
    assert (shown["learning"], shown["decided"]) == (False, True)

    await client.put(CONSENT, json={"learning": True}, headers=dev_user())
    again = (await client.get(CONSENT, headers=dev_user())).json()["data"]
    assert again["learning"] is True
    assert again["updated_at"] > shown["updated_at"]


async def test_withdrawn_consent_keeps_storing_but_leaves_the_user_out_of_learning(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    assert learning_users(app) == {CUSTOMER, OTHER}

    await client.put(CONSENT, json={"learning": False}, headers=dev_user())
    await use_luna(client, app, CUSTOMER)
    assert stored(app, CUSTOMER) == Stored(events=6, ratings=2, labels=2, consent=1, conversations=2)
    assert learning_users(app) == {OTHER}


async def test_withdrawn_consent_or_a_deleted_conversation_leaves_the_flywheel_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The flywheel kept the copy: a withdrawn user's question stayed in the SFT dataset, and a deleted
    conversation stayed readable in the raw session view."""
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    own = container_of(app).services.own_sessions
    own.collect(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    [others] = (await client.get("/api/v1/rag/conversations", headers=dev_user(OTHER))).json()["data"][
        "conversations"
    ]

    await client.put(CONSENT, json={"learning": False}, headers=dev_user())
    deleted = await client.delete(
        f"/api/v1/rag/conversations/{others['conversation_id']}", headers=dev_user(OTHER)
    )

    assert deleted.status_code == 200
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.sessions.count() == 0
        assert uow.sessions.current("luna", others["conversation_id"]) is None


async def test_the_questions_the_flywheel_embedded_leave_with_their_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Topics and gaps come from the flywheel's vectors, whose points keep the pseudonym and session:
    they stayed after a withdrawal, an erasure or a deleted conversation."""
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    services = container_of(app).services
    since = datetime(2000, 1, 1, tzinfo=UTC)
    services.own_sessions.collect(since, datetime.now(UTC))
    services.normaliser.run(since, datetime.now(UTC))
    assert embedded_questions(app) == 2
    [others] = (await client.get("/api/v1/rag/conversations", headers=dev_user(OTHER))).json()["data"][
        "conversations"
    ]

    await client.put(CONSENT, json={"learning": False}, headers=dev_user())
    assert embedded_questions(app) == 1  # at once
    await client.delete(f"/api/v1/rag/conversations/{others['conversation_id']}", headers=dev_user(OTHER))
    services.normaliser.run(since, datetime.now(UTC))  # the next flywheel run sweeps it
    assert embedded_questions(app) == 0


async def test_a_conversation_deleted_or_consent_withdrawn_while_the_flywheel_collects_is_not_stored(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collection read conversations and consent in one transaction and stored in a later one: what
    was erased in between (redacting 20,000 conversations takes a while) was stored again."""
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    services = container_of(app).services
    [others] = services.conversations.recent(OTHER)
    prepare = services.sessions._prepare

    def erase_meanwhile(incoming: IncomingSession) -> object:
        if incoming.session_id == others.conversation_id:
            services.conversations.delete(OTHER, others.conversation_id)
        else:
            services.privacy.set_consent(CUSTOMER, False)
        return prepare(incoming)

    monkeypatch.setattr(services.sessions, "_prepare", erase_meanwhile)
    collected = services.own_sessions.collect(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))

    assert sorted(r.outcome.value for r in collected.results) == ["not_stored_gone"] * 2
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.sessions.count() == 0


async def test_without_default_consent_only_users_who_said_yes_are_learned_from(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app(LUNA_LEARNING__CONSENT_DEFAULT="false")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://luna.test"
    ) as client:
        assert (await client.get(CONSENT, headers=dev_user())).json()["data"]["learning"] is False
        await use_luna(client, app, CUSTOMER)
        await use_luna(client, app, OTHER)
        await client.put(CONSENT, json={"learning": True}, headers=dev_user(OTHER))
    assert learning_users(app, consent_default=False) == {OTHER}


@pytest.mark.parametrize(
    "body", [{"learning": "no"}, {"learning": 0}, {}, {"learning": True, "scope": "ads"}]
)
async def test_bad_consent_bodies_are_400_and_record_nothing(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    assert_error(await client.put(CONSENT, json=body, headers=dev_user()), 400, "invalid_input")
    assert (await client.get(CONSENT, headers=dev_user())).json()["data"]["decided"] is False


async def test_my_export_holds_everything_stored_about_me_and_nothing_of_others(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """GET /users/me gave counts only: events with their meta, ratings and the consent history could
    not be seen (GDPR Art. 15 and 20)."""
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    await client.put(CONSENT, json={"learning": False}, headers=dev_user())

    response = await client.get(MY_EXPORT, headers=dev_user())

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["user"]["user_id"] == CUSTOMER
    assert [(c["scope"], c["granted"]) for c in data["consent"]] == [("learning", False)]
    assert sorted(e["type"] for e in data["events"]) == ["feedback", "like", "view"]
    assert {e["user_id"] for e in data["events"]} == {CUSTOMER}
    assert [r["question"] for r in data["ratings"]] == ["Was ist § 14a?"] and len(data["labels"]) == 1
    [conversation] = data["conversations"]
    assert conversation["turns"][0]["question"] == "Was ist § 14a?" and conversation["user_id"] == CUSTOMER
    assert data["meters"] == []
    assert response.json()["message"] == "Your data: 3 events, 1 ratings, 1 conversations."


async def test_my_routes_are_for_customers_only(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for method, path in (("GET", ME), ("GET", CONSENT), ("DELETE", MY_DATA), ("GET", MY_EXPORT)):
        assert_error(await client.request(method, path, headers=admin), 403)  # known, but no customer
        assert_error(await client.request(method, path), 401)


async def test_erasing_my_data_removes_everything_of_mine_and_nothing_of_others(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)
    collected = container_of(app).services.own_sessions.collect(
        datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC)
    )
    assert [r.outcome.value for r in collected.results] == ["stored", "stored"]  # the flywheel has both
    services = container_of(app).services
    services.normaliser.run(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))  # embeds both questions
    assert embedded_questions(app) == 2
    await client.put(CONSENT, json={"learning": True}, headers=dev_user())
    others_before = stored(app, OTHER)

    response = await client.delete(MY_DATA, headers=dev_user())
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "user_id": CUSTOMER,
        "events": 3,
        "ratings": 1,
        "labels": 1,
        "consent_records": 1,
        "conversations": 1,
        "flywheel_sessions": 1,
        "flywheel_questions": 1,
        "ticket_examples": 0,
    }
    assert stored(app, CUSTOMER) == NOTHING
    assert embedded_questions(app) == 1  # the other user's: the pseudonym and session went with it
    assert stored(app, OTHER) == others_before
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        [entry] = uow.audit.list(action="users.erase")
    assert (entry.actor, entry.target) == (f"user:{CUSTOMER}", f"user:{CUSTOMER}")
    assert entry.details == {
        "events": 3,
        "ratings": 1,
        "labels": 1,
        "consent_records": 1,
        "conversations": 1,
        "flywheel_sessions": 1,
        "flywheel_questions": 1,
        "ticket_examples": 0,
    }
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.sessions.count() == 1  # the other user's

    again = await client.delete(MY_DATA, headers=dev_user())
    assert again.json()["data"]["events"] == 0  # erasing twice is harmless


async def test_erasing_my_data_keeps_a_no_to_learning(client: httpx.AsyncClient) -> None:
    """Erased with the rest, a withdrawal left the default (learn) to apply to whoever had said no."""
    await client.put(CONSENT, json={"learning": False}, headers=dev_user())

    assert (await client.delete(MY_DATA, headers=dev_user())).status_code == 200
    consent = (await client.get(CONSENT, headers=dev_user())).json()["data"]

    assert (consent["learning"], consent["decided"]) == (False, True)


async def test_the_admin_erases_a_users_data(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await use_luna(client, app, CUSTOMER)
    await use_luna(client, app, OTHER)

    response = await client.delete(f"{ADMIN_PREFIX}/users/{CUSTOMER}/data", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["events"] == 3
    assert stored(app, CUSTOMER) == NOTHING
    assert stored(app, OTHER) != NOTHING
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        [entry] = uow.audit.list(action="users.erase")
    assert entry.actor == "admin"


async def test_admin_erasure_refuses_unknown_users_and_missing_keys(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await use_luna(client, app, CUSTOMER)
    assert_error(await client.delete(f"{ADMIN_PREFIX}/users/{uuid.uuid4()}/data", headers=admin), 404)
    assert_error(await client.delete(f"{ADMIN_PREFIX}/users/not-a-user/data", headers=admin), 404)
    assert_error(await client.delete(f"{ADMIN_PREFIX}/users/{CUSTOMER}/data", headers=dev_user()), 403)
    assert_error(
        await client.delete(f"{ADMIN_PREFIX}/users/{CUSTOMER}/data", headers={"X-Admin-Key": "wrong"}), 403
    )
    assert stored(app, CUSTOMER) != NOTHING
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.audit.list(action="users.erase") == []


def test_a_decision_made_in_the_same_instant_as_the_last_still_counts_as_newest(app: FastAPI) -> None:
    """Clocks are coarse on some systems and may step back; the last decision must win regardless."""
    frozen = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    service = PrivacyService(container_of(app).database, consent_default=True, clock=lambda: frozen)
    first = service.set_consent(CUSTOMER, False)
    second = service.set_consent(CUSTOMER, True)
    assert second.updated_at is not None and first.updated_at is not None
    assert second.updated_at > first.updated_at
    assert service.consent(CUSTOMER).learning is True
