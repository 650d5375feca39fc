"""``/recommend``, the operators' meter links, and energy advice in Luna's answers, over HTTP.

The app runs on a copy of a data dir that already holds a small topic corpus (see
``tests/integration/recommend_support.py``). Refused requests are checked twice: the 4xx envelope,
and that nothing was stored.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.events import EventType
from tests.api.conftest import http_client
from tests.integration.recommend_support import (
    Corpus,
    build_corpus,
    fill_meter,
    ingest_heat_plan,
    ingest_swiss_plan,
    record,
    teach_bandit,
)

pytestmark = pytest.mark.anyio

USER = "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"
OTHER = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CUSTOMER = {"X-Dev-User": USER}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Corpus]:
    data_dir = tmp_path_factory.mktemp("recommend-api-corpus") / "var"
    return data_dir, build_corpus(data_dir)


@pytest.fixture
def corpus(corpus_dir: tuple[Path, Corpus]) -> Corpus:
    return corpus_dir[1]


@pytest.fixture
def app(build_app: Callable[..., FastAPI], corpus_dir: tuple[Path, Corpus], tmp_path: Path) -> FastAPI:
    shutil.copytree(corpus_dir[0], tmp_path / "var")
    return build_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


def recommend_events(app: FastAPI) -> int:
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        return sum(len(uow.events.for_user(user, types={EventType.RECOMMEND})) for user in (USER, OTHER))


def linked_meters(app: FastAPI, user_id: str) -> list[str]:
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        return uow.user_meters.meters_for(user_id)


# -- /recommend --------------------------------------------------------------------------------------


async def test_a_customer_gets_their_own_list_and_the_id_to_credit_clicks_to(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await client.post("/api/v1/recommend", headers=CUSTOMER)

    assert response.status_code == 200, response.text
    body = response.json()
    data = body["data"]
    assert body["status"] == "ok" and len(data["items"]) == 10
    assert data["recommendation_id"] is not None and data["strategy"] in ("popular", "fresh", "blend")
    item = data["items"][0]
    assert set(item) == {"chunk_id", "score", "payload", "reason", "kind"} and item["kind"] == "content"
    assert item["reason"] and {"title", "text", "item_id"} <= set(item["payload"])
    assert recommend_events(app) == 1


async def test_asking_for_lists_too_often_is_429_and_stores_nothing(
    build_app: Callable[..., FastAPI], corpus_dir: tuple[Path, Corpus], tmp_path: Path
) -> None:
    """Every list a customer gets is stored for the bandit: a loop must not fill the database."""
    shutil.copytree(corpus_dir[0], tmp_path / "var")
    app = build_app(LUNA_RECOMMEND__PER_MINUTE="2")
    async with http_client(app) as client:
        codes = [(await client.post("/api/v1/recommend", headers=CUSTOMER)).status_code for _ in range(3)]
        limited = await client.post("/api/v1/recommend", headers=CUSTOMER)
        other = await client.post("/api/v1/recommend", headers={"X-Dev-User": OTHER})

    assert codes == [200, 200, 429] and other.status_code == 200
    assert limited.json()["data"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert recommend_events(app) == 3  # two of USER's, one of OTHER's


async def test_a_known_reader_gets_topic_matched_items(
    build_app: Callable[..., FastAPI], corpus_dir: tuple[Path, Corpus], tmp_path: Path
) -> None:
    """With the bandit off every answer is a blend, whose content part follows the reader's likes."""
    shutil.copytree(corpus_dir[0], tmp_path / "var")
    app = build_app(LUNA_RECOMMEND__BANDIT="off")
    heat_pumps = corpus_dir[1].of_topic("waermepumpe")
    async with http_client(app) as client:
        await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 1})  # creates the user
        for note in heat_pumps[:2]:
            record(container_of(app), USER, EventType.LIKE, note, datetime.now(UTC) - timedelta(minutes=5))

        response = await client.post(
            "/api/v1/recommend", headers=CUSTOMER, json={"user_id": USER, "top_k": 3}
        )

    data = response.json()["data"]
    assert (data["strategy"], data["extra"]["segment"]) == ("blend", "warm")
    assert data["items"][0]["chunk_id"] == heat_pumps[2].chunk_id
    assert data["items"][0]["reason"] == "weil Sie sich für Wärmepumpen interessieren"


async def test_a_reader_of_one_long_document_gets_the_whole_list_filled_from_other_documents(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The content pool of someone who liked parts of one long plan is that plan's chunks, of which at
    most two may be shown: the rest of the ten places come from the other documents (popular, new …)."""
    container = container_of(app)
    plan = ingest_heat_plan(container)
    teach_bandit(container, "content", "warm")
    await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 1})  # creates the user
    for note in plan[:3]:
        record(container, USER, EventType.LIKE, note, datetime.now(UTC) - timedelta(minutes=5))

    response = await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 10})

    data = response.json()["data"]
    assert data["strategy"] == "content" and data["extra"]["segment"] == "warm"
    items = data["items"]
    assert len(items) == 10, [item["payload"]["title"] for item in items]
    per_document = Counter(item["payload"]["item_id"] for item in items)
    assert per_document[plan[0].item_id] == 2 and max(per_document.values()) <= 2
    assert all(item["reason"] for item in items)


async def test_a_dismissed_recommendation_keeps_its_document_away_and_the_list_full(
    client: httpx.AsyncClient,
) -> None:
    """What "Nicht interessant" sends: a dislike naming the chunk and the answer it came from."""
    first = (await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 10})).json()["data"]
    dismissed = first["items"][0]
    event = {
        "type": "dislike",
        "chunk_id": dismissed["chunk_id"],
        "meta": {"recommendation_id": first["recommendation_id"]},
    }

    stored = await client.post("/api/v1/events", headers=CUSTOMER, json=event)
    again = (await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 10})).json()["data"]

    assert stored.status_code == 201, stored.text
    assert len(again["items"]) == 10
    assert dismissed["payload"]["item_id"] not in {item["payload"]["item_id"] for item in again["items"]}


async def test_a_german_household_gets_a_swiss_municipal_plan_only_when_nothing_else_is_left(
    client: httpx.AsyncClient, app: FastAPI, corpus: Corpus
) -> None:
    """Issue 19: a Swiss plan (CHF, Kanton, Winterthur) was recommended to a German heat-pump reader.
    Now a full list of ten leaves it out, and a list asking for everything has it last, saying why."""
    container = container_of(app)
    swiss = ingest_swiss_plan(container)
    await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 1})  # creates the user
    for note in corpus.of_topic("waermepumpe")[:2]:
        record(container, USER, EventType.LIKE, note, datetime.now(UTC) - timedelta(minutes=5))

    ten = (await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 10})).json()["data"]
    everything = (await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 50})).json()["data"]

    assert len(ten["items"]) == 10 and ten["extra"]["country"] == "DE"
    assert swiss.chunk_id not in {item["chunk_id"] for item in ten["items"]}
    content = [item for item in everything["items"] if item["kind"] == "content"]
    assert len(content) == 19 - 2  # every chunk but the two the reader liked
    last = content[-1]
    assert (last["chunk_id"], last["payload"]["country"]) == (swiss.chunk_id, "CH")
    assert "ein Beispiel aus der Schweiz" in last["reason"]
    assert all(item["payload"]["country"] != "CH" for item in content[:-1])


async def test_operators_may_preview_anyone_without_logging_it(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    for body in ({"user_id": USER}, {"user_id": str(uuid.uuid4())}, {}):
        response = await client.post("/api/v1/recommend", headers=admin, json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["recommendation_id"] is None and data["extra"]["segment"] == "cold"
        assert len(data["items"]) == 10
    assert recommend_events(app) == 0


async def test_a_customer_asking_for_someone_else_is_forbidden(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await client.post("/api/v1/recommend", headers=CUSTOMER, json={"user_id": OTHER})

    assert response.status_code == 403 and response.json()["data"]["code"] == "forbidden"
    assert recommend_events(app) == 0


async def test_without_credentials_it_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/recommend")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"top_k": 0}, "body.top_k"),
        ({"top_k": 201}, "body.top_k"),
        ({"top_k": "viele"}, "body.top_k"),
        ({"top_k": "5"}, "body.top_k"),
        ({"top_k": True}, "body.top_k"),
        ({"user_id": "nobody"}, "body.user_id"),
        ({"user_id": 42}, "body.user_id"),
        ({"top_k": 5, "strategy": "content"}, "body.strategy"),
    ],
)
async def test_bad_bodies_are_400_and_log_nothing(
    client: httpx.AsyncClient, app: FastAPI, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/recommend", headers=CUSTOMER, json=body)

    assert response.status_code == 400
    assert response.json()["data"]["details"]["errors"][0]["field"] == field
    assert recommend_events(app) == 0


async def test_top_k_above_the_configured_maximum_is_400(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 51})

    assert response.status_code == 400 and "between 1 and 50" in response.json()["message"]
    assert recommend_events(app) == 0


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [(b"{top_k: 3", "application/json", 400), (b"top_k=3", "text/plain", 415)],
)
async def test_malformed_or_mistyped_bodies_are_refused(
    client: httpx.AsyncClient, app: FastAPI, content: bytes, content_type: str, status: int
) -> None:
    response = await client.post(
        "/api/v1/recommend", headers={**CUSTOMER, "Content-Type": content_type}, content=content
    )

    assert response.status_code == status and response.json()["status"] == "error"
    assert recommend_events(app) == 0


# -- meter links --------------------------------------------------------------------------------------


async def test_operators_set_read_and_remove_a_customers_meters(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    url = f"/api/v1/admin/users/{OTHER}/meters"

    put = await client.put(url, headers=admin, json={"meter_ids": ["haus-2", "haus-1"]})
    assert put.status_code == 200, put.text
    assert put.json()["data"]["meter_ids"] == ["haus-1", "haus-2"]
    assert put.json()["data"]["meters"][0]["kind"] == "household"

    replaced = await client.put(url, headers=admin, json={"meter_ids": ["laden-1", "haus-1"]})
    assert replaced.json()["data"]["meter_ids"] == ["haus-1", "laden-1"]

    listed = await client.get(url, headers=admin)
    assert listed.status_code == 200 and listed.json()["data"]["meter_ids"] == ["haus-1", "laden-1"]

    removed = await client.delete(f"{url}/haus-1", headers=admin)
    assert removed.status_code == 200 and removed.json()["data"]["meter_ids"] == ["laden-1"]
    assert linked_meters(app, OTHER) == ["laden-1"]

    again = await client.delete(f"{url}/haus-1", headers=admin)
    assert again.status_code == 404

    audit = await client.get("/api/v1/admin/audit", params={"action": "meters.links"}, headers=admin)
    changes = [(e["target"], e["details"]) for e in reversed(audit.json()["data"]["entries"])]
    assert changes == [
        (f"user:{OTHER}", {"linked": ["haus-1", "haus-2"], "unlinked": []}),
        (f"user:{OTHER}", {"linked": ["laden-1"], "unlinked": ["haus-2"]}),
        (f"user:{OTHER}", {"linked": [], "unlinked": ["haus-1"]}),
    ]


async def test_an_unknown_meter_is_404_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    url = f"/api/v1/admin/users/{OTHER}/meters"
    await client.put(url, headers=admin, json={"meter_ids": ["haus-1"]})

    response = await client.put(url, headers=admin, json={"meter_ids": ["haus-2", "gibt-es-nicht"]})

    assert response.status_code == 404
    assert response.json()["data"]["details"] == {"unknown_meter_ids": ["gibt-es-nicht"]}
    assert linked_meters(app, OTHER) == ["haus-1"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/v1/admin/users/{OTHER}/meters", {"meter_ids": ["zähler 1"]}),
        (f"/api/v1/admin/users/{OTHER}/meters", {"meter_ids": "haus-1"}),
        (f"/api/v1/admin/users/{OTHER}/meters", {"meter_ids": ["haus-1"], "extra": True}),
        (f"/api/v1/admin/users/{OTHER}/meters", {"meter_ids": [f"m-{i}" for i in range(101)]}),
        ("/api/v1/admin/users/not-a-uuid/meters", {"meter_ids": ["haus-1"]}),
    ],
)
async def test_bad_link_requests_are_400_and_store_nothing(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str], path: str, body: Any
) -> None:
    response = await client.put(path, headers=admin, json=body)

    assert response.status_code == 400, response.text
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        assert uow.users.get(OTHER) is None


async def test_links_of_an_unknown_user_are_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    url = f"/api/v1/admin/users/{uuid.uuid4()}/meters"

    assert (await client.get(url, headers=admin)).status_code == 404
    assert (await client.delete(f"{url}/haus-1", headers=admin)).status_code == 404


async def test_an_id_that_is_no_uuid_names_no_customer_on_lookups(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """As on every other lookup by ID (``DELETE /admin/users/{id}/data`` too): 404, not 400. Only the
    PUT, which would create the customer, refuses it as bad input (above)."""
    for response in (
        await client.get("/api/v1/admin/users/not-a-uuid/meters", headers=admin),
        await client.delete("/api/v1/admin/users/not-a-uuid/meters/haus-1", headers=admin),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["message"] == "No user with id 'not-a-uuid'."


async def test_a_path_that_can_be_no_meter_id_names_no_meter(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """A malformed meter ID in a path was a 400 where a malformed UUID is a 404."""
    customer = {"X-Dev-User": OTHER}
    for response in (
        await client.delete("/api/v1/users/me/meters/a%20b", headers=customer),
        await client.get("/api/v1/admin/meters/a%20b/claim-code", headers=admin),
        await client.delete(f"/api/v1/admin/users/{OTHER}/meters/a%20b", headers=admin),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["message"] == "No meter with id 'a b'."
    too_long = await client.get(f"/api/v1/admin/meters/{'m' * 300}/claim-code", headers=admin)
    assert too_long.status_code == 404, too_long.text  # however it is malformed


async def test_customers_cannot_set_links_through_the_operators_route(
    client: httpx.AsyncClient, meters: list[str]
) -> None:
    """Customers link a meter only with its claim code (``POST /users/me/meters``,
    tests/api/test_meter_claims_api.py), never by naming meters on the admin route."""
    response = await client.put(
        f"/api/v1/admin/users/{USER}/meters", headers=CUSTOMER, json={"meter_ids": meters}
    )

    assert response.status_code == 403


# -- energy advice in /recommend and in Luna's answers ---------------------------------------------------


@pytest.fixture
async def metered_customer(client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]) -> str:
    fill_meter(container_of(app), "haus-1", datetime(2025, 6, 2, tzinfo=UTC), days=14)
    response = await client.put(
        f"/api/v1/admin/users/{USER}/meters", headers=admin, json={"meter_ids": ["haus-1"]}
    )
    assert response.status_code == 200
    return USER


async def test_a_meter_linked_customer_gets_energy_items(
    client: httpx.AsyncClient, metered_customer: str
) -> None:
    response = await client.post("/api/v1/recommend", headers=CUSTOMER, json={"top_k": 6})

    items = response.json()["data"]["items"]
    assert items[0]["kind"] == "energy" and items[0]["chunk_id"] is None
    assert "€ im Monat" in items[0]["payload"]["text"] and items[0]["payload"]["saving_eur_month"] > 0
    assert response.json()["data"]["extra"]["meter_ids"] == ["haus-1"]


async def test_luna_ends_an_answer_about_the_customers_costs_with_their_advice(
    client: httpx.AsyncClient, metered_customer: str
) -> None:
    response = await client.post(
        "/api/v1/rag/ask", headers=CUSTOMER, json={"question": "Wie kann ich meine Stromkosten senken?"}
    )

    data = response.json()["data"]
    head, advice = data["answer"].split("\n\nHandlungsempfehlung aus Ihren Zählerdaten:\n")
    assert head and advice.startswith("- ") and "€ im Monat" in advice
    assert {c["chunk_id"] for c in data["citations"]} <= set(data["chunks_used"])


async def test_the_advice_streams_after_the_answer_and_before_the_citations(
    client: httpx.AsyncClient, metered_customer: str
) -> None:
    body = {"question": "Wie kann ich meine Stromkosten senken?", "stream": True}
    async with client.stream("POST", "/api/v1/rag/ask", json=body, headers=CUSTOMER) as response:
        raw = "".join([chunk async for chunk in response.aiter_text()])
    events = [
        (block.split("event: ")[1].split("\r\n")[0], json.loads(block.split("data: ", 1)[1]))
        for block in raw.replace("\r\n\r\n", "\n\n").split("\n\n")
        if "event: " in block
    ]

    tokens = [data["text"] for kind, data in events if kind == "token"]
    assert tokens[-1].startswith("\n\nHandlungsempfehlung aus Ihren Zählerdaten:")
    assert [kind for kind, _ in events][-2:] == ["citations", "done"]
    assert "".join(tokens) == events[-1][1]["answer"]


@pytest.mark.parametrize(
    "question", ["Wie setzen sich die Netzentgelte zusammen?", "Was ist ein Stromtarif?"]
)
async def test_general_questions_get_no_personal_advice(
    client: httpx.AsyncClient, metered_customer: str, question: str
) -> None:
    response = await client.post("/api/v1/rag/ask", headers=CUSTOMER, json={"question": question})

    assert "Handlungsempfehlung aus Ihren Zählerdaten" not in response.json()["data"]["answer"]


async def test_operators_asking_get_no_personal_advice(
    client: httpx.AsyncClient, metered_customer: str, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/rag/ask", headers=admin, json={"question": "Wie kann ich meine Stromkosten senken?"}
    )

    assert "Handlungsempfehlung aus Ihren Zählerdaten" not in response.json()["data"]["answer"]


async def test_customers_see_the_meters_linked_to_them_and_nobody_elses(
    client: httpx.AsyncClient, admin: dict[str, str], meters: list[str]
) -> None:
    await client.put(f"/api/v1/admin/users/{USER}/meters", headers=admin, json={"meter_ids": ["haus-2"]})
    await client.put(f"/api/v1/admin/users/{OTHER}/meters", headers=admin, json={"meter_ids": ["laden-1"]})

    mine = await client.get("/api/v1/users/me/meters", headers=CUSTOMER)

    assert mine.status_code == 200, mine.text
    assert mine.json()["data"]["meter_ids"] == ["haus-2"]
    assert (await client.get("/api/v1/users/me/meters")).status_code == 401
