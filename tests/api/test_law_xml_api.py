"""A law uploaded in its official XML is stored under its name and answered from its sections; a damaged
one is refused with a 422 and leaves nothing behind."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_knowledge_api import DEV_USER, nothing_stored, upload
from tests.unit.test_law_xml import LAW

pytestmark = pytest.mark.anyio


async def test_a_law_in_xml_is_stored_by_its_name_and_answered_from_its_section(
    client: httpx.AsyncClient,
) -> None:
    stored = await upload(client, LAW.encode(), "musterg.xml")
    assert stored.status_code in (200, 201, 202)
    assert stored.json()["data"]["title"] == "Gesetz über das Muster (Mustergesetz – MusterG)"

    answer = (
        await client.post("/api/v1/rag/ask", json={"question": "Wie lange ist die Frist?"}, headers=DEV_USER)
    ).json()["data"]

    assert "zwei Wochen" in answer["answer"].split("\n\n")[0]
    assert "§ 1" in answer["answer"]


async def test_a_damaged_law_file_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    refused = await upload(client, LAW.encode()[:700], "musterg.xml")

    assert refused.status_code == 422
    assert "XML could not be read" in refused.json()["message"]
    assert nothing_stored(app)
