"""A question about a firm, brand or place that no document names is refused, not answered about the
documents' own (issue #14; measured in ``bench/absent_names.py``).

"Was kostet die Netznutzung bei den Stadtwerken Ulm?" over a price sheet of another operator found the
sheet's table and quoted its 8,12 ct/kWh as if it were Ulm's.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import http_client
from tests.api.test_knowledge_api import DEV_USER, SAMPLES, upload

pytestmark = pytest.mark.anyio

ASK = "/api/v1/rag/ask"


async def ask(client: httpx.AsyncClient, question: str) -> dict[str, object]:
    response = await client.post(ASK, json={"question": question}, headers=DEV_USER)
    assert response.status_code == 200
    data: dict[str, object] = response.json()["data"]
    return data


@pytest.fixture
async def price_sheet(client: httpx.AsyncClient) -> None:
    sheet = (SAMPLES / "netzentgelte-2026.pdf").read_bytes()
    assert (await upload(client, sheet, "netzentgelte-2026.pdf")).status_code in (200, 201, 202)


@pytest.mark.usefixtures("price_sheet")
async def test_a_question_about_a_place_no_document_names_is_refused_and_says_why(
    client: httpx.AsyncClient,
) -> None:
    refused = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde in Ulm?")

    assert refused["citations"] == [] and "8,12" not in str(refused["answer"])
    assert "„Ulm“ kommt in meinen Unterlagen nicht vor" in str(refused["answer"])
    assert "Netzentgelte 2026" in str(refused["answer"])  # what the knowledge base does cover


@pytest.mark.usefixtures("price_sheet")
async def test_a_brand_no_document_names_is_refused(client: httpx.AsyncClient) -> None:
    refused = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde bei Viessmann?")

    assert refused["citations"] == []
    assert "„Viessmann“ kommt in meinen Unterlagen nicht vor" in str(refused["answer"])


@pytest.mark.usefixtures("price_sheet")
async def test_a_law_no_document_holds_is_refused(client: httpx.AsyncClient) -> None:
    refused = await ask(
        client, "Was kostet die Netznutzung pro Kilowattstunde nach der Stromnetzentgeltverordnung?"
    )

    assert refused["citations"] == []
    assert "„Stromnetzentgeltverordnung“ kommt in meinen Unterlagen nicht vor" in str(refused["answer"])


@pytest.mark.usefixtures("price_sheet")
async def test_names_the_documents_hold_abbreviations_and_the_reader_s_own_name_and_town_still_get_the_answer(
    client: httpx.AsyncClient,
) -> None:
    for question in (
        "Was kostet die Netznutzung pro Kilowattstunde?",
        "Ich bin Erika Mustermann. Was kostet die Netznutzung pro Kilowattstunde?",
        "Ich bin Erika. Was kostet die Netznutzung pro Kilowattstunde?",
        "Ich wohne in Ulm. Was kostet die Netznutzung pro Kilowattstunde?",  # the home sets the scene
        "Was kostet die Netznutzung pro Kilowattstunde für mein BHKW?",  # an abbreviation, written out there
    ):
        answer = await ask(client, question)
        assert "8,12" in str(answer["answer"]), question
        assert "nicht vor" not in str(answer["answer"]), question


@pytest.mark.usefixtures("price_sheet")
async def test_a_follow_up_that_drops_the_unknown_firm_is_answered(client: httpx.AsyncClient) -> None:
    first = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde bei Viessmann?")
    body = {"question": "Und allgemein?", "conversation_id": first["conversation_id"]}
    response = await client.post(ASK, json=body, headers=DEV_USER)

    assert "nicht vor" in str(first["answer"])
    follow_up = response.json()["data"]
    assert "8,12" in follow_up["answer"] and "nicht vor" not in follow_up["answer"]


async def test_operators_may_switch_the_check_off(build_app: Callable[..., FastAPI]) -> None:
    async with http_client(build_app(LUNA_RAG__REFUSE_UNKNOWN_NAMES="false")) as client:
        sheet = (SAMPLES / "netzentgelte-2026.pdf").read_bytes()
        assert (await upload(client, sheet, "netzentgelte-2026.pdf")).status_code in (200, 201, 202)
        answer = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde bei Viessmann?")

    # answered from the price sheet, as before the check: the operator's choice
    assert "8,12" in str(answer["answer"]) and "nicht vor" not in str(answer["answer"])


@pytest.mark.usefixtures("price_sheet")
async def test_a_year_the_found_passages_never_mention_is_refused_the_sheet_s_own_year_answered(
    client: httpx.AsyncClient,
) -> None:
    refused = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde im Jahr 2019?")
    answered = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde im Jahr 2026?")

    assert refused["citations"] == [] and "8,12" not in str(refused["answer"])
    assert "Zum Jahr 2019 finde ich" in str(refused["answer"])
    assert "8,12" in str(answered["answer"]) and answered["citations"]


@pytest.mark.usefixtures("price_sheet")
async def test_a_year_the_question_ends_on_counts_as_asked(client: httpx.AsyncClient) -> None:
    """The customer probe got the 2026 sheet's 8,12 ct as the price of 2021."""
    refused = await ask(client, "Wie hoch war der Arbeitspreis für Haushalte 2021?")

    assert refused["citations"] == [] and "8,12" not in str(refused["answer"])
    assert "Zum Jahr 2021 finde ich" in str(refused["answer"])


async def test_a_plural_the_tagger_takes_for_a_name_is_known_by_its_base_form(
    client: httpx.AsyncClient,
) -> None:
    """HanTa tags "Boni" a proper name; the subsidy page names each "…bonus" of the programme."""
    page = (SAMPLES / "foerderung-heizungstausch.html").read_bytes()
    assert (await upload(client, page, "foerderung-heizungstausch.html")).status_code in (200, 201, 202)

    answer = await ask(client, "Welche Boni gibt es bei der Heizungsförderung?")
    refused = await ask(client, "Welche Boni zahlt Viessmann bei der Heizungsförderung?")

    assert "nicht vor" not in str(answer["answer"]) and answer["citations"], answer["answer"]
    assert "„Viessmann“ kommt in meinen Unterlagen nicht vor" in str(refused["answer"])
    assert "„Boni“" not in str(refused["answer"])  # the brand is unknown, the plural is not


async def test_a_utility_is_known_by_its_name_with_its_kind_not_by_its_town_alone(
    client: httpx.AsyncClient,
) -> None:
    """A price sheet that names München (its grid lies there) holds no prices of the Stadtwerke München."""
    sheet = (
        "# Preisblatt Netzentgelte 2026\n\nNetzbetreiber: Energienetz Süd, Sitz in München.\n\n"
        "Das Netzentgelt für Haushalte beträgt 8,12 ct/kWh netto.\n"
    )
    assert (await upload(client, sheet.encode(), "preisblatt.md")).status_code == 201

    refused = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde bei den Stadtwerken München?")
    answered = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde?")

    assert refused["citations"] == [] and "8,12" not in str(refused["answer"])
    assert "„Stadtwerken München“ kommt in meinen Unterlagen nicht vor" in str(refused["answer"])
    assert "8,12" in str(answered["answer"]) and "nicht vor" not in str(answered["answer"])


async def test_a_utility_a_document_names_is_answered(client: httpx.AsyncClient) -> None:
    sheet = "# Preisblatt 2026\n\nDie Stadtwerke München berechnen Haushalten 8,12 ct/kWh Netzentgelt.\n"
    assert (await upload(client, sheet.encode(), "preisblatt.md")).status_code == 201

    answer = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde bei den Stadtwerken München?")

    assert "8,12" in str(answer["answer"]) and "nicht vor" not in str(answer["answer"])
