"""Text no database stores (NUL characters, lone surrogates) is a 400 at the door and stores nothing.

PostgreSQL refuses a NUL in a text column; before this rule a question, a title, a prompt note or a
search term with one passed validation and failed as a 500 there, while SQLite stored it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from luna.api.text_guard import NUL_MESSAGE, check_json_text
from luna.container import Container
from luna.domain.errors import InvalidInput
from tests.api.test_knowledge_api import TARIFF, upload

pytestmark = pytest.mark.anyio


def _json(text: str) -> bytes:
    return text.encode("utf-8")


@pytest.mark.parametrize(
    "body",
    [
        r'{"question": "Was kostet\u0000 Strom?"}',
        r'{"a": ["ok", {"b": "x\u0000"}]}',
        r'{"k\u0000": 1}',
        r'{"q": "\\\u0000"}',  # an escaped backslash, then a NUL
        r'{"q": "\ud800"}',  # a high surrogate alone
        r'{"q": "\udc00 after"}',  # a low surrogate alone
        r'{"q": "\ud83d x \ude00"}',  # a pair split by other text
        r'{"q": "\ud83d\u0041"}',  # a high surrogate before a letter
    ],
)
def test_a_json_body_with_a_nul_or_a_lone_surrogate_is_refused(body: str) -> None:
    with pytest.raises(InvalidInput):
        check_json_text(_json(body))


@pytest.mark.parametrize(
    "body",
    [
        r'{"question": "Was kostet Strom?"}',
        r'{"q": "\\u0000 is how JSON writes a NUL"}',  # a backslash as text, then "u0000"
        r'{"q": "\ud83d\ude00 \u00e4\u00df"}',  # an emoji as a surrogate pair, escaped umlauts
        '{"q": "Grüße 😀"}',
    ],
)
def test_json_text_every_database_stores_passes(body: str) -> None:
    check_json_text(_json(body))


async def test_a_question_with_a_nul_is_400_and_no_conversation_is_stored(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/rag/ask",
        content=_json(r'{"question": "Was kostet\u0000 Strom?"}'),
        headers={**admin, "Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert response.json()["data"]["code"] == "invalid_input"
    assert "NUL" in response.json()["message"]
    assert response.json()["data"]["details"]["errors"][0]["field"] == "body.question"
    container: Container = app.state.container
    with container.database.unit_of_work(read_only=True) as uow:
        assert (
            uow.conversations.updated_between(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), limit=10)
            == []
        )


async def test_a_json_body_without_a_content_type_is_checked_too(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/admin/prompts",
        content=_json(r'{"text": "x", "note": "a\u0000b"}'),
        headers=admin,
    )

    assert response.status_code == 400, response.text
    versions = (await client.get("/api/v1/admin/prompts", headers=admin)).json()["data"]["versions"]
    assert [v["version"] for v in versions] == [0]


@pytest.mark.parametrize("query", ["tag=%00", "query=a%00b"])
async def test_a_nul_in_the_query_string_is_400(
    client: httpx.AsyncClient, admin: dict[str, str], query: str
) -> None:
    response = await client.get(f"/api/v1/admin/items?{query}", headers=admin)

    assert response.status_code == 400, response.text
    assert response.json()["data"]["code"] == "invalid_input"
    (error,) = response.json()["data"]["details"]["errors"]
    assert set(error) == {"field", "problem"} and error["field"].startswith("query.")


async def test_a_nul_in_the_path_names_the_path_in_the_shape_of_every_field_refusal(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get("/api/v1/admin/jobs/a%00b", headers=admin)

    assert response.status_code == 400, response.text
    assert response.json()["data"]["details"]["errors"] == [{"field": "path", "problem": NUL_MESSAGE}]


@pytest.mark.parametrize("target", ["/energy?from=abc&to=%00", "/ask%00", "/admin/corpus?q=a%00"])
async def test_a_nul_in_a_dashboard_address_is_a_german_page_not_the_apis_json(
    client: httpx.AsyncClient, target: str
) -> None:
    """People read the dashboards' answers: the API's English JSON must not reach them."""
    response = await client.get(target)

    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "Ungültige Adresse" in response.text and '<a href="/">Zur Übersicht</a>' in response.text


@pytest.mark.parametrize("form", [{"title": "a\x00b"}, {"tags": ["ok", "a\x00b"]}])
async def test_an_upload_whose_title_or_tag_holds_a_nul_is_400_and_stores_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], form: dict[str, object]
) -> None:
    response = await upload(client, TARIFF.encode(), **form)

    assert response.status_code == 400, response.text
    listed = (await client.get("/api/v1/admin/items", headers=admin)).json()["data"]
    assert listed["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "x", "note": "a\\u0000b"}'.encode("utf-16-le"),  # json.loads would read UTF-16 itself
        b'{"text": "x", "note": "a\xed\xa0\x80b"}',  # a lone surrogate as raw bytes, no escape to see
    ],
    ids=["utf-16", "surrogate-bytes"],
)
async def test_a_json_body_that_is_not_utf8_is_400_and_stores_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        "/api/v1/admin/prompts", content=body, headers={**admin, "Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["message"]
    versions = (await client.get("/api/v1/admin/prompts", headers=admin)).json()["data"]["versions"]
    assert [v["version"] for v in versions] == [0]
