"""Luna speaks the OpenAI chat protocol: the official ``openai`` client asks, streams and lists models
against a real server, and gets Luna's cited German answers (issue #19, item 7)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jwt
import openai
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.services.knowledge.ingest import IngestRequest
from tests.api.conftest import ADMIN_KEY, JWT_SECRET, http_client, served_over_http

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "netzentgelte-2026.pdf"
QUESTION = "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?"


def customer_token() -> str:
    claims = {"sub": "4d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "exp": int(time.time()) + 600}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


#: httpx waits 5 s by default: a first request builds the process's services (the models), which on a
#: busy CI machine took longer, and the test is about what Luna answers, not how fast.
SLOW_START_SEC = 60.0


@pytest.fixture
def served_luna(build_app: Callable[..., FastAPI]) -> Iterator[tuple[str, Container]]:
    """A real uvicorn on loopback (the ``openai`` client brings its own HTTP stack): its ``/v1`` URL
    and the container behind it."""
    app = build_app()
    container: Container = app.state.container
    container.services.knowledge.ingest.ingest(IngestRequest(SAMPLE.read_bytes(), filename=SAMPLE.name))
    with served_over_http(app) as base:
        yield f"{base}/v1", container


@pytest.fixture
def served(served_luna: tuple[str, Container]) -> str:
    return served_luna[0]


def client(base_url: str, api_key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=api_key or customer_token(), max_retries=0)


def test_a_question_gets_luna_s_cited_answer_with_its_sources(served: str) -> None:
    completion = client(served).chat.completions.create(
        model="luna", messages=[{"role": "user", "content": QUESTION}]
    )

    content = completion.choices[0].message.content or ""
    assert "8,12" in content and "[chunk " in content
    assert "\n\nQuellen:\n- [chunk " in content and "Netzentgelte 2026" in content
    assert completion.choices[0].finish_reason == "stop"


def test_the_answer_streams_in_chunks_and_ends_with_stop(served: str) -> None:
    stream = client(served).chat.completions.create(
        model="luna", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)

    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert len(chunks) > 5
    assert "8,12" in text and "Quellen:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_the_last_user_message_is_the_question(served: str) -> None:
    completion = client(served).chat.completions.create(
        model="luna",
        messages=[
            {"role": "system", "content": "Antworte knapp."},
            {"role": "user", "content": "Hallo Luna"},
            {"role": "assistant", "content": "Guten Tag."},
            {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        ],
    )
    assert "8,12" in (completion.choices[0].message.content or "")


def test_a_follow_up_is_answered_in_the_context_of_the_earlier_user_question(served: str) -> None:
    completion = client(served).chat.completions.create(
        model="luna",
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "Für Haushalte 8,12 ct/kWh."},
            {"role": "user", "content": "Und für Gewerbe?"},
        ],
    )

    first_paragraph = (completion.choices[0].message.content or "").split("\n\n")[0]
    assert "Gewerbe" in first_paragraph and "7,64" in first_paragraph


def test_a_greeting_is_answered_as_luna_without_a_search(served: str) -> None:
    """Chat tools open with "Hallo"; searched, it was refused with a pointer to the nearest document."""
    completion = client(served).chat.completions.create(
        model="luna", messages=[{"role": "user", "content": "Hallo Luna!"}]
    )

    content = completion.choices[0].message.content or ""
    assert content.startswith("Guten Tag, ich bin Luna.") and "Quellen" not in content
    assert "[chunk" not in content and "beantworten diese Frage nicht" not in content


def test_the_answer_names_luna_whatever_model_was_asked_for(served: str) -> None:
    """A client set up for another server still gets answers, but is not told that model gave them."""
    asked = client(served).chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": QUESTION}]
    )
    streamed = client(served).chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": QUESTION}], stream=True
    )

    assert asked.model == "luna"
    assert {chunk.model for chunk in streamed} == {"luna"}


def test_models_lists_luna_and_retrieves_her_card(served: str) -> None:
    assert [model.id for model in client(served).models.list()] == ["luna"]
    assert client(served).models.retrieve("luna").id == "luna"
    with pytest.raises(openai.NotFoundError, match="this API offers one, 'luna'"):
        client(served).models.retrieve("gpt-4")


@pytest.mark.parametrize(
    ("option", "param"),
    [
        (
            {"tool_choice": "required", "tools": [{"type": "function", "function": {"name": "f"}}]},
            "tool_choice",
        ),
        ({"tool_choice": {"type": "function", "function": {"name": "f"}}}, "tool_choice"),
        ({"function_call": {"name": "f"}, "functions": [{"name": "f"}]}, "function_call"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logprobs": True}, "logprobs"),
        ({"max_tokens": -1}, "max_tokens"),
    ],
)
def test_what_luna_cannot_honour_is_refused_naming_it(
    served: str, option: dict[str, object], param: str
) -> None:
    """A client forcing a tool call or JSON output got a German answer and failed in its own code."""
    body = {"model": "luna", "messages": [{"role": "user", "content": QUESTION}], **option}
    refused = httpx.post(f"{served}/chat/completions", json=body, headers=_bearer(), timeout=SLOW_START_SEC)

    assert refused.status_code == 400 and refused.json()["error"]["param"] == param
    allowed = {
        "tool_choice": "auto",
        "function_call": "none",
        "response_format": {"type": "text"},
        "logprobs": False,
        "max_tokens": 50,
    }
    answered = httpx.post(
        f"{served}/chat/completions", json={**body, **allowed}, headers=_bearer(), timeout=SLOW_START_SEC
    )
    assert answered.status_code == 200


def test_the_usage_counts_words_and_streams_last_when_asked_for(served: str) -> None:
    messages: list[dict[str, str]] = [{"role": "user", "content": QUESTION}]
    asked = client(served).chat.completions.create(model="luna", messages=messages)  # type: ignore[arg-type]
    streamed = list(
        client(served).chat.completions.create(
            model="luna",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},  # type: ignore[arg-type]
        )
    )

    usage = asked.usage
    assert usage is not None and usage.prompt_tokens == len(QUESTION.split())
    assert usage.completion_tokens == len((asked.choices[0].message.content or "").split())
    last = streamed[-1]
    assert last.choices == [] and last.usage == usage  # the same answer, counted the same way
    assert streamed[-2].choices[0].finish_reason == "stop"


def test_a_wrong_token_is_refused_and_the_admin_key_works(served: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(served, api_key="kein-gueltiges-token").models.list()
    operator = openai.OpenAI(
        base_url=served, api_key="unused", default_headers={"X-Admin-Key": ADMIN_KEY}, max_retries=0
    )
    assert [model.id for model in operator.models.list()] == ["luna"]


def test_a_conversation_without_a_user_question_is_a_400(served: str) -> None:
    with pytest.raises(openai.BadRequestError):
        client(served).chat.completions.create(model="luna", messages=[{"role": "system", "content": "x"}])


@pytest.mark.parametrize("text", [None, {"a": [1, 2]}, 7])
def test_a_text_part_without_a_string_is_a_400(served: str, text: object) -> None:
    """It was asked as the question "None" or "{'a': [1, 2]}"."""
    with pytest.raises(openai.BadRequestError, match="needs its text as a string"):
        client(served).chat.completions.create(
            model="luna",
            messages=[{"role": "user", "content": [{"type": "text", "text": text}]}],  # type: ignore[list-item,misc]
        )


def test_a_question_longer_than_rag_ask_allows_is_a_400_and_a_long_history_is_fine(served: str) -> None:
    with pytest.raises(openai.BadRequestError, match="at most 2000 characters"):
        client(served).chat.completions.create(
            model="luna", messages=[{"role": "user", "content": "Strom " * 400}]
        )
    long_history = [
        {"role": "user", "content": "Was kostet Strom? " * 200},
        {"role": "assistant", "content": "Das steht im Preisblatt. " * 200},
        {"role": "user", "content": "Wann lohnt sich ein dynamischer Stromtarif?"},
    ]
    answered = client(served).chat.completions.create(model="luna", messages=long_history)
    assert answered.choices[0].message.content


def test_a_refusal_reaches_the_client_in_openai_s_error_shape(served: str) -> None:
    """Chat tools show ``error.message``; given Luna's envelope they showed a JSON dump."""
    with pytest.raises(openai.BadRequestError) as refused:
        client(served).chat.completions.create(
            model="luna", messages=[{"role": "user", "content": "Was kostet Strom?"}], n=2
        )
    error = refused.value
    assert (error.type, error.param, error.code) == ("invalid_request_error", "n", "invalid_input")
    assert "less than or equal to 1" in error.message and error.response.headers["X-Trace-Id"]


def test_a_wrong_content_type_names_the_field_not_pydantic_s_union_members(served: str) -> None:
    """``param`` read "messages.0.content.str", with "….list[dict[str,any]]" among the errors."""
    refused = httpx.post(
        f"{served}/chat/completions",
        json={"messages": [{"role": "user", "content": 7}]},
        headers=_bearer(),
        timeout=SLOW_START_SEC,
    )

    error = refused.json()["error"]
    assert refused.status_code == 400 and error["param"] == "messages.0.content"
    assert {e["field"] for e in error["errors"]} == {"body.messages.0.content"}


def test_a_number_for_stream_is_refused_naming_it_not_guessed(served: str) -> None:
    refused = httpx.post(
        f"{served}/chat/completions",
        json={"messages": [{"role": "user", "content": "Hi"}], "stream": 1},
        headers=_bearer(),
        timeout=SLOW_START_SEC,
    )
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "stream"


def test_errors_from_authentication_the_middleware_and_unknown_paths_are_openai_shaped(served: str) -> None:
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        client(served, api_key="kein-gueltiges-token").models.list()
    assert unauthenticated.value.type == "authentication_error"
    broken = httpx.post(f"{served}/chat/completions", content=b"{", headers=_bearer(), timeout=SLOW_START_SEC)
    unknown = httpx.get(f"{served}/engines", headers=_bearer(), timeout=SLOW_START_SEC)
    for response, code in ((broken, "malformed_json"), (unknown, "not_found")):
        error = response.json()["error"]
        assert error["code"] == code and error["message"] and error["trace_id"]
        assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.anyio
async def test_a_rate_limited_question_is_openai_s_rate_limit_error_with_retry_after(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app(LUNA_RAG__ASK_PER_MINUTE="1")
    body = {"model": "luna", "messages": [{"role": "user", "content": "Was kostet Strom?"}]}
    async with http_client(app) as http:
        for refused in ({**body, "n": 2}, {**body, "messages": [{"role": "system", "content": "Sei kurz."}]}):
            assert (
                await http.post("/v1/chat/completions", json=refused, headers=_bearer())
            ).status_code == 400
        answered = await http.post("/v1/chat/completions", json=body, headers=_bearer())  # refusals cost none
        limited = await http.post("/v1/chat/completions", json=body, headers=_bearer())
    assert answered.status_code == 200 and limited.status_code == 429
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1


def test_the_rest_of_the_api_keeps_luna_s_envelope(served: str) -> None:
    refused = httpx.get(served.removesuffix("/v1") + "/api/v1/users/me", timeout=SLOW_START_SEC)
    assert refused.status_code == 401 and refused.json()["status"] == "error"


def _bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token()}", "Content-Type": "application/json"}
