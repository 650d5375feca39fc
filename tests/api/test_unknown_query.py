"""A query parameter a route does not read is a 400 naming it, on every route, like an unknown body key.

``GET /rag/conversations?offset=5`` answered the first page again, silently, when the list could not
page: the client believed it paged. Every route of the OpenAPI schema is sent a parameter it does not
declare and must say so.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

CUSTOMER = {"X-Dev-User": "00000000-0000-4000-8000-000000000002"}
_PATH_PARAM = "00000000-0000-4000-8000-000000000001"


async def test_an_unknown_parameter_is_named_with_those_the_route_reads(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/rag/conversations?page=5&limit=2", headers=CUSTOMER)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Unknown query parameter 'page'; this endpoint reads limit, offset."
    assert body["data"]["details"] == {"unknown": ["page"], "known": ["limit", "offset"]}


async def test_a_route_that_reads_no_parameters_says_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/system/info?verbose=1&x=2")

    assert response.status_code == 400
    assert response.json()["message"] == "Unknown query parameters 'verbose', 'x'; this endpoint reads none."


async def test_the_parameters_a_route_reads_still_work(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/rag/conversations?limit=2", headers=CUSTOMER)

    assert response.status_code == 200, response.text


async def test_every_route_refuses_a_parameter_it_does_not_read(app: FastAPI, admin: dict[str, str]) -> None:
    spec: dict[str, Any] = app.openapi()
    accepted = []
    async with http_client(app) as client:
        for path, operations in spec["paths"].items():
            url = "/".join(_PATH_PARAM if part.startswith("{") else part for part in path.split("/"))
            for method, operation in operations.items():
                if path == "/metrics":
                    continue  # Prometheus's exposition: a scraper's job may add parameters of its own
                reads_json = "application/json" in operation.get("requestBody", {}).get("content", {})
                response = await client.request(
                    method,
                    f"{url}?luna_unknown=1",
                    headers={**admin, **CUSTOMER},
                    json={} if reads_json else None,
                )
                if response.status_code != 400 or "'luna_unknown'" not in response.text:
                    accepted.append(f"{method.upper()} {path}: {response.status_code}")
    assert not accepted, "\n".join(accepted)


@pytest.mark.parametrize("query", ["limit=1&limit=2", "status=queued&status=running"])
async def test_a_query_parameter_given_twice_is_a_400_not_the_last_one_silently(
    client: httpx.AsyncClient, admin: dict[str, str], query: str
) -> None:
    """``?status=queued&status=running`` listed the running jobs only."""
    response = await client.get(f"/api/v1/admin/jobs?{query}", headers=admin)

    assert response.status_code == 400
    assert f"Query parameter {query.split('=')[0]!r} is given 2 times" in response.json()["message"]
