"""Conversations: a customer's follow-up question is answered in context, and the dialogue is kept."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import ADMIN_KEY
from tests.api.test_knowledge_api import upload

#: A well-formed ID that no row has (fixed, so every test worker collects the same test names).
UNKNOWN_ID = "5b0f6c1e-7a2d-4c3b-9e1f-0a1b2c3d4e5f"

pytestmark = pytest.mark.anyio

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
CUSTOMER = {"X-Dev-User": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"}
OTHER_CUSTOMER = {"X-Dev-User": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}
OPERATOR = {"X-Admin-Key": ADMIN_KEY}


async def ask(
    client: httpx.AsyncClient, question: str, headers: dict[str, str] = CUSTOMER, **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/rag/ask", json={"question": question, **body}, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


PRICE_QUESTION = "Was kostet die Netznutzung pro Kilowattstunde?"
#: A document where "Gewerbe" alone leads: without its context "Und für Gewerbe?" ends up here.
TRADE_OFFICE = """# Gewerbeanmeldung in Musterstadt

Wer ein Gewerbe anmelden will, geht zum Gewerbeamt im Rathaus. Für Gewerbe kostet die Anmeldung
26 Euro, die Ummeldung 20 Euro. Das Gewerbeamt ist montags bis freitags von 8 bis 12 Uhr geöffnet.
"""


async def follow_up_on_price_sheet(client: httpx.AsyncClient, question: str, follow_up: str) -> str:
    """The follow-up's answer, asked after ``question`` in one conversation over the price sheet."""
    await upload_price_sheet(client)
    first = await ask(client, question)
    answer: str = (await ask(client, follow_up, conversation_id=first["conversation_id"]))["answer"]
    return answer


async def upload_price_sheet(client: httpx.AsyncClient) -> None:
    for name in ("netzentgelte-2026.pdf", "waermepumpe-im-einfamilienhaus.docx"):
        response = await upload(client, (SAMPLES / name).read_bytes(), name)
        assert response.status_code in (200, 201), response.text
    response = await upload(client, TRADE_OFFICE.encode(), "gewerbeamt.md")
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize("follow_up", ["Und im Niedriglastfenster?", "Und das Niedriglastfenster?"])
async def test_a_follow_up_answered_by_a_row_that_holds_only_its_own_words_is_answered(
    client: httpx.AsyncClient, follow_up: str
) -> None:
    """The joined question ("Wann gilt das Hochlastfenster? Und im Niedriglastfenster?") shares half
    its words with the Niedriglast row; the follow-up's own words are all in it."""
    answer = await follow_up_on_price_sheet(client, "Wann gilt das Hochlastfenster?", follow_up)

    lead = answer.split(" [chunk ")[0]
    assert "Niedriglast" in lead and "00:00" in lead and "3,25" in lead, answer


async def test_a_follow_up_with_what_the_rows_before_were_without_gets_the_other_rows(
    client: httpx.AsyncClient,
) -> None:
    """ "Und mit Leistungsmessung?" after the price question: not the rows "… ohne Leistungsmessung"."""
    answer = await follow_up_on_price_sheet(client, PRICE_QUESTION, "Und mit Leistungsmessung?")

    lead = answer.split("\n\n")[0]
    assert "Leistungsmessung unter 2.500 h/a" in lead and "6,48" in lead, answer
    assert "ohne Leistungsmessung" not in lead


@pytest.mark.parametrize(
    "question",
    [
        "Was kostet die Netznutzung pro Kilowattstunde?",
        # the README's: its answer leads with the household and the trade row, both said before
        "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
    ],
)
async def test_a_follow_up_is_answered_in_the_context_of_the_question_before(
    client: httpx.AsyncClient, question: str
) -> None:
    await upload_price_sheet(client)
    alone = await ask(client, "Und für Gewerbe?")
    first = await ask(client, question)

    follow_up = await ask(client, "Und für Gewerbe?", conversation_id=first["conversation_id"])

    assert "Gewerbeamt" in alone["answer"].split("\n\n")[0]  # alone, the question is about the office

    assert follow_up["conversation_id"] == first["conversation_id"]
    first_paragraph = follow_up["answer"].split("\n\n")[0]
    assert "Gewerbe" in first_paragraph and "7,64" in first_paragraph
    # the answer leads with the trade row, though the first answer quoted it too (the table below
    # holds every row, so the paragraph alone would not tell)
    lead = follow_up["answer"].split(" [chunk ")[0]
    assert "Gewerbe" in lead and "7,64" in lead, follow_up["answer"]
    assert follow_up["citations"] and follow_up["unsupported_numbers"] == []
    # The first answer showed the price table whole; the follow-up's row says what is new, not the
    # table again.
    assert "| Kundengruppe |" in first["answer"] and "| Kundengruppe |" not in follow_up["answer"]


async def test_small_talk_between_a_question_and_its_follow_up_is_no_topic(client: httpx.AsyncClient) -> None:
    """ "Wer bist du?" stands on its own: "Und für Gewerbe?" after it was searched with it, not the price."""
    await upload_price_sheet(client)
    first = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde?")
    thanks = await ask(client, "Wer bist du?", conversation_id=first["conversation_id"])

    follow_up = await ask(client, "Und für Gewerbe?", conversation_id=first["conversation_id"])

    assert thanks["answer"].startswith("Ich bin Luna") and thanks["citations"] == []
    assert "7,64" in follow_up["answer"].split("\n\n")[0], follow_up["answer"]


async def test_a_follow_up_set_in_another_country_is_refused_without_offering_a_merged_question(
    client: httpx.AsyncClient,
) -> None:
    await upload_price_sheet(client)
    first = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde?")

    abroad = await ask(client, "Und in Österreich?", conversation_id=first["conversation_id"])

    assert "was in Österreich gilt, steht nicht darin" in abroad["answer"] and abroad["citations"] == []
    # The customer's own follow-up has no place-free version to offer ("Und?"), and the earlier
    # question it was searched with is not offered glued to it.
    assert not any("Und" in question for question in abroad["follow_ups"])


async def test_the_conversation_is_kept_with_its_turns_and_sources_and_listed_newest_first(
    client: httpx.AsyncClient,
) -> None:
    await upload_price_sheet(client)
    older = await ask(client, "Wie laut ist eine Wärmepumpe?")
    first = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde?")
    await ask(client, "Und für Gewerbe?", conversation_id=first["conversation_id"])

    listed = await client.get("/api/v1/rag/conversations", headers=CUSTOMER)
    read = await client.get(f"/api/v1/rag/conversations/{first['conversation_id']}", headers=CUSTOMER)

    conversations = listed.json()["data"]["conversations"]
    listed_ids = [c["conversation_id"] for c in conversations]
    assert listed_ids == [first["conversation_id"], older["conversation_id"]]
    assert conversations[0]["title"] == "Was kostet die Netznutzung pro Kilowattstunde?"
    turns = read.json()["data"]["turns"]
    assert [t["question"] for t in turns] == [
        "Was kostet die Netznutzung pro Kilowattstunde?",
        "Und für Gewerbe?",
    ]
    assert turns[0]["answer"] == first["answer"]
    assert [s["chunk_id"] for s in turns[0]["sources"]] == [c["chunk_id"] for c in first["citations"]]
    assert turns[0]["sources"][0]["payload"]["title"]


async def test_conversations_are_read_page_by_page(client: httpx.AsyncClient) -> None:
    asked = [await ask(client, question) for question in ("Was ist ein Smart Meter?", "Was kostet Strom?")]
    newest_first = [a["conversation_id"] for a in reversed(asked)]

    pages = [
        await client.get(f"/api/v1/rag/conversations?limit=1&offset={offset}", headers=CUSTOMER)
        for offset in (0, 1, 2)
    ]
    negative = await client.get("/api/v1/rag/conversations?offset=-1", headers=CUSTOMER)

    listed = [[c["conversation_id"] for c in page.json()["data"]["conversations"]] for page in pages]
    assert listed == [newest_first[:1], newest_first[1:], []]
    assert negative.status_code == 400


async def test_another_customers_conversation_is_unknown_to_you(client: httpx.AsyncClient) -> None:
    mine = await ask(client, "Was ist ein Smart Meter?")
    conversation = f"/api/v1/rag/conversations/{mine['conversation_id']}"

    read = await client.get(conversation, headers=OTHER_CUSTOMER)
    continued = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Und wer baut ihn ein?", "conversation_id": mine["conversation_id"]},
        headers=OTHER_CUSTOMER,
    )
    deleted = await client.delete(conversation, headers=OTHER_CUSTOMER)

    assert (read.status_code, continued.status_code, deleted.status_code) == (404, 404, 404)
    still_there = await client.get(conversation, headers=CUSTOMER)
    assert len(still_there.json()["data"]["turns"]) == 1


@pytest.mark.parametrize("conversation_id", [UNKNOWN_ID, "not-a-uuid"])
async def test_an_unknown_conversation_is_a_404_and_stores_nothing(
    client: httpx.AsyncClient, conversation_id: str
) -> None:
    asked = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Und für Gewerbe?", "conversation_id": conversation_id},
        headers=CUSTOMER,
    )
    read = await client.get(f"/api/v1/rag/conversations/{conversation_id}", headers=CUSTOMER)

    assert asked.status_code == 404 and asked.json()["status"] == "error"
    assert read.status_code == 404
    listed = await client.get("/api/v1/rag/conversations", headers=CUSTOMER)
    assert listed.json()["data"]["conversations"] == []


async def test_a_conversation_continued_under_another_spelling_of_its_id_answers_with_the_one_id(
    client: httpx.AsyncClient,
) -> None:
    """A client keys its state on the returned ID: braces or upper case sent must not become a second ID."""
    first = await ask(client, "Was ist ein Smart Meter?")
    spelled = "{" + first["conversation_id"].upper() + "}"

    follow_up = await ask(client, "Und wer baut ihn ein?", conversation_id=spelled)

    assert follow_up["conversation_id"] == first["conversation_id"]
    listed = await client.get("/api/v1/rag/conversations", headers=CUSTOMER)
    assert [c["conversation_id"] for c in listed.json()["data"]["conversations"]] == [
        first["conversation_id"]
    ]


@pytest.mark.parametrize(
    "question", ["\u200b", "\u200e\u200f", "\ufeff ", "\u2800\u2800", "\u00ad", " \u3164 "]
)
async def test_a_question_of_invisible_characters_is_empty_and_stores_no_conversation(
    client: httpx.AsyncClient, question: str
) -> None:
    asked = await client.post("/api/v1/rag/ask", json={"question": question}, headers=CUSTOMER)

    assert asked.status_code == 400 and asked.json()["message"] == "The question is empty."
    assert asked.json()["data"]["details"]["errors"][0]["field"] == "question"
    listed = await client.get("/api/v1/rag/conversations", headers=CUSTOMER)
    assert listed.json()["data"]["conversations"] == []


async def test_direction_and_control_characters_in_a_question_are_not_kept(client: httpx.AsyncClient) -> None:
    """One right-to-left override would show the conversation's title reversed in every list; an ESC
    sequence was kept in the turn and the flywheel made a topic "mrot" of "\x1b[31mrot"."""
    asked = await ask(client, "Was kostet \u202eStrom\u202c im\x07 Winter?\x1b")

    read = await client.get(f"/api/v1/rag/conversations/{asked['conversation_id']}", headers=CUSTOMER)

    conversation = read.json()["data"]
    assert conversation["title"] == "Was kostet Strom im Winter?"
    assert conversation["turns"][0]["question"] == "Was kostet Strom im  Winter? "


async def test_the_admin_key_asks_without_a_conversation(client: httpx.AsyncClient) -> None:
    answer = await ask(client, "Was ist ein Smart Meter?", headers=OPERATOR)
    refused = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Und dann?", "conversation_id": str(uuid.uuid4())},
        headers=OPERATOR,
    )

    assert answer["conversation_id"] is None
    assert refused.status_code == 400 and "conversation_id" in refused.json()["message"]


async def test_a_deleted_conversation_is_gone_and_erasure_removes_the_rest(client: httpx.AsyncClient) -> None:
    first = await ask(client, "Was ist ein Smart Meter?")
    second = await ask(client, "Was kostet ein Smart Meter?")

    deleted = await client.delete(f"/api/v1/rag/conversations/{first['conversation_id']}", headers=CUSTOMER)
    me = await client.get("/api/v1/users/me", headers=CUSTOMER)
    erased = await client.delete("/api/v1/users/me/data", headers=CUSTOMER)

    assert deleted.status_code == 200
    assert me.json()["data"]["conversations"] == 1
    assert erased.json()["data"]["conversations"] == 1
    gone = await client.get(f"/api/v1/rag/conversations/{second['conversation_id']}", headers=CUSTOMER)
    assert gone.status_code == 404


async def test_a_follow_up_adds_to_the_answer_before_instead_of_repeating_it(
    client: httpx.AsyncClient,
) -> None:
    for name in ("stromtarife-und-lastverschiebung.md", "waermepumpe-im-einfamilienhaus.docx"):
        response = await upload(client, (SAMPLES / name).read_bytes(), name)
        assert response.status_code in (200, 201), response.text
    first = await ask(client, "Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?")

    follow_up = await ask(client, "Und was brauche ich dafür?", conversation_id=first["conversation_id"])

    lead = follow_up["answer"].split("\n\n")[0]
    assert "Voraussetzung ist ein intelligentes Messsystem" in lead  # what is needed, said first
    assert "Voraussetzung" not in first["answer"]  # and not said before
    assert follow_up["citations"] and follow_up["unsupported_numbers"] == []


async def test_a_follow_up_of_the_longest_allowed_length_is_answered_not_refused_as_too_long(
    client: httpx.AsyncClient,
) -> None:
    await upload_price_sheet(client)
    first = await ask(client, "Was kostet die Netznutzung pro Kilowattstunde?")

    follow_up = await ask(
        client, "Und für Gewerbe " + "w" * 1_980 + "?", conversation_id=first["conversation_id"]
    )

    assert follow_up["conversation_id"] == first["conversation_id"]
