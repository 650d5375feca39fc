"""The demo subsidy page answers what it states (issue #14).

Tried as a new user on the demo knowledge base: "Wie hoch ist die Grundförderung?" was refused although
the page's table says "Grundförderung | 30 %": the gate judged only the sentence closest in meaning,
not the row that reads first and holds the question's words. And a wrapped line in the page's source
cut a quoted sentence in two ("Dazu gehören neben dem" / "Gerät auch die Demontage …").
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_knowledge_api import DEV_USER, SAMPLES, upload

pytestmark = pytest.mark.anyio


@pytest.fixture
async def subsidy_page(client: httpx.AsyncClient) -> None:
    page = (SAMPLES / "foerderung-heizungstausch.html").read_bytes()
    assert (await upload(client, page, "foerderung-heizungstausch.html")).status_code in (200, 201, 202)


async def ask(client: httpx.AsyncClient, question: str) -> dict[str, object]:
    response = await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)
    assert response.status_code == 200
    data: dict[str, object] = response.json()["data"]
    return data


@pytest.mark.usefixtures("subsidy_page")
async def test_the_row_that_names_the_asked_subsidy_answers(client: httpx.AsyncClient) -> None:
    data = await ask(client, "Wie hoch ist die Grundförderung?")

    lead = str(data["answer"]).split("\n")[0]
    assert "Grundförderung" in lead and "30 %" in lead
    assert data["citations"]


@pytest.mark.usefixtures("subsidy_page")
async def test_a_paragraph_wrapped_in_the_page_source_is_quoted_as_whole_sentences(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/rag/search", json={"question": "Welche Kosten sind förderfähig?"}, headers=DEV_USER
    )

    assert response.status_code == 200
    texts = [str(hit["payload"]["text"]) for hit in response.json()["data"]["citations"]]
    assert any("Dazu gehören neben dem Gerät auch die Demontage der alten Heizung" in text for text in texts)
