"""A search filter's values must have their field's type: anything else is a 400, never a 500.

The vector store takes 64-bit integers and texts; a float, a boolean, a list of mixed types or a
number past 64 bits used to fail inside it (hybrid and dense search, ask, and a queued reindex job).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_knowledge_api import DEV_USER, TARIFF, upload

pytestmark = pytest.mark.anyio

QUESTION = "Wann lohnt sich ein dynamischer Stromtarif?"
WRONG_TYPES = [
    {"page": 10**30},
    {"page": 2**63},
    {"page": -(10**19)},
    {"version": [1.5]},
    {"version": [1, 2.0]},
    {"version": True},
    {"kind": ["document", 1]},
    {"chunk_idx": [1, "a"]},
    {"kind": "x" * 5000},
]


@pytest.mark.parametrize("filters", WRONG_TYPES, ids=lambda f: str(f)[:30])
@pytest.mark.parametrize("endpoint", ["search", "ask"])
async def test_a_filter_value_of_the_wrong_type_is_400(
    client: httpx.AsyncClient, endpoint: str, filters: dict[str, Any]
) -> None:
    await upload(client, TARIFF.encode())
    body = {"question": QUESTION, "filters": filters}

    response = await client.post(f"/api/v1/rag/{endpoint}", json=body, headers=DEV_USER)

    assert response.status_code == 400, response.text
    assert response.json()["data"]["code"] == "invalid_input"


async def test_filters_of_the_right_type_still_search(client: httpx.AsyncClient) -> None:
    await upload(client, TARIFF.encode(), kind="note")
    filters = {"kind": ["note", "regulation"], "version": 1, "chunk_idx": [0, 1, 2, 3]}

    response = await client.post(
        "/api/v1/rag/search", json={"question": QUESTION, "filters": filters}, headers=DEV_USER
    )

    assert response.status_code == 200, response.text
    assert {c["payload"]["kind"] for c in response.json()["data"]["citations"]} == {"note"}


@pytest.mark.parametrize(
    "scope",
    [{"filter": {"kind": 10**30}}, {"filter": {"tags": [1.5]}}, {"filter": {"kind": ["document", 1]}}],
    ids=str,
)
async def test_a_reindex_filter_of_the_wrong_type_is_400_and_queues_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], scope: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/admin/reindex", json=scope, headers=admin)

    assert response.status_code == 400, response.text
    jobs = (await client.get("/api/v1/admin/jobs", headers=admin)).json()["data"]
    assert jobs["total"] == 0
