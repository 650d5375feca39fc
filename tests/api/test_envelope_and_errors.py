"""Every JSON response is an envelope with the trace id, and every failure has the right status."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.errors import (
    Conflict,
    InvalidInput,
    LunaError,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
    Unprocessable,
    UnsupportedType,
)
from tests.api.conftest import http_client, log_lines

pytestmark = pytest.mark.anyio

SECRET_TEXT = "db password is hunter2"


def assert_envelope(response: httpx.Response, status: str) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"status", "message", "data", "trace_id"}
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert body["trace_id"] == response.headers["X-Trace-Id"]
    return body  # type: ignore[no-any-return]


def assert_error(response: httpx.Response, http_status: int, code: str) -> dict[str, object]:
    """The refusal's envelope; on the OpenAI-compatible routes, their OpenAI-shaped error read as one."""
    assert response.status_code == http_status, response.text
    if response.url.path.startswith("/v1/"):
        error = response.json()["error"]
        assert error["trace_id"] == response.headers["X-Trace-Id"] and error["message"]
        body = {"status": "error", "message": error["message"], "data": {"code": error["code"]}}
    else:
        body = assert_envelope(response, "error")
    assert body["data"]["code"] == code  # type: ignore[index]
    return body


async def test_success_is_an_envelope_with_the_trace_id_in_body_and_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/system/info")

    assert response.status_code == 200
    body = assert_envelope(response, "ok")
    assert body["data"]["name"] == "Luna"  # type: ignore[index]


async def test_head_answers_wherever_get_does_with_its_headers_and_no_body(client: httpx.AsyncClient) -> None:
    """Health checkers probe with HEAD; /system/info answered 405 while /openapi.json answered 200."""
    got = await client.get("/api/v1/system/info")
    head = await client.head("/api/v1/system/info")
    missing = await client.head("/api/v1/nothing-here")

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]
    assert missing.status_code == 404
    assert (await client.request("HEAD", "/api/v1/rag/ask")).status_code == 405  # a POST route stays POST


async def test_each_request_gets_its_own_trace_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/system/info")
    second = await client.get("/api/v1/system/info")

    assert first.headers["X-Trace-Id"] != second.headers["X-Trace-Id"]


async def test_a_sane_incoming_trace_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/system/info", headers={"X-Trace-Id": "proxy-42_ab"})

    assert response.headers["X-Trace-Id"] == "proxy-42_ab"
    assert response.json()["trace_id"] == "proxy-42_ab"


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", "new\\nline", ""])
async def test_an_odd_incoming_trace_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/api/v1/system/info", headers={"X-Trace-Id": incoming})

    assert response.status_code == 200
    assert response.headers["X-Trace-Id"] != incoming
    assert len(response.headers["X-Trace-Id"]) == 36  # a uuid4


async def test_validation_error_is_400_naming_each_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get("/api/v1/admin/jobs?limit=0&offset=-1", headers=admin)

    body = assert_error(response, 400, "invalid_input")
    fields = {error["field"] for error in body["data"]["details"]["errors"]}  # type: ignore[index]
    assert fields == {"query.limit", "query.offset"}


async def test_a_body_with_hundreds_of_unknown_keys_gets_a_short_error_that_counts_the_rest(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """(More than 1,000 keys in one object are refused before validation, below.)"""
    body = {"question": "Was kostet die Netznutzung?", **{f"k{i}": 1 for i in range(900)}}
    response = await client.post("/api/v1/rag/ask", headers=admin, json=body)

    error = assert_error(response, 400, "invalid_input")
    details = error["data"]["details"]  # type: ignore[index]
    assert len(details["errors"]) == 20 and details["not_listed"] == 880
    assert details["errors"][0] == {"field": "body.k0", "problem": "Extra inputs are not permitted"}
    assert "(and 897 more)" in str(error["message"])
    assert len(response.content) < 5_000


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/rag/search", {"question": "Netzentgelt", "top_k": "5"}, "body.top_k"),
        ("/api/v1/rag/search", {"question": "Netzentgelt", "top_k": True}, "body.top_k"),
        ("/api/v1/rag/ask", {"question": "Netzentgelt", "top_k": "3"}, "body.top_k"),
        ("/api/v1/rag/ask", {"question": "Netzentgelt", "stream": "yes"}, "body.stream"),
    ],
)
async def test_a_quoted_number_or_a_word_for_a_boolean_is_400_not_guessed(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    response = await client.post(path, headers=admin, json=body)

    error = assert_error(response, 400, "invalid_input")
    assert error["data"]["details"]["errors"][0]["field"] == field  # type: ignore[index]


async def test_invalid_body_field_is_400(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post("/api/v1/admin/jobs", headers=admin, json={"name": "x", "params": [1, 2]})

    body = assert_error(response, 400, "invalid_input")
    assert body["data"]["details"]["errors"][0]["field"] == "body.params"  # type: ignore[index]


async def test_malformed_json_is_400_with_a_clear_message(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post("/api/v1/admin/jobs", headers=headers, content=b'{"name": ')

    body = assert_error(response, 400, "malformed_json")
    assert "not valid JSON" in str(body["message"])


async def test_a_key_named_twice_in_one_object_is_400_and_changes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """Python kept the last of two equal keys: a second "scopes" granted a service account what the
    first did not name, and a second "name" queued a job."""
    headers = {**admin, "Content-Type": "application/json"}
    twice = b'{"name": "n8n", "scopes": ["kpi:read"], "scopes": ["sessions:read-raw"]}'

    response = await client.post("/api/v1/admin/service-accounts", headers=headers, content=twice)

    body = assert_error(response, 400, "invalid_input")
    assert "'scopes' twice" in str(body["message"])
    errors = body["data"]["details"]["errors"]  # type: ignore[index]
    assert errors == [{"field": "body.scopes", "problem": body["message"]}]  # as validation names fields
    listed = await client.get("/api/v1/admin/service-accounts", headers=admin)
    assert listed.json()["data"]["accounts"] == []
    nested = b'{"name": "x", "params": {"steps": [{"a": 1}, {"a": 1, "a": 2}]}}'
    refused = assert_error(
        await client.post("/api/v1/admin/jobs", headers=headers, content=nested), 400, "invalid_input"
    )
    assert refused["data"]["details"]["errors"][0]["field"] == "body.params.steps.1.a"  # type: ignore[index]


async def test_an_object_with_more_keys_than_any_request_takes_is_400_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """60,000 unknown keys in 1 MB took 1–2.5 s each to refuse, and held other requests up."""
    headers = {**admin, "Content-Type": "application/json"}
    wide = {"name": "x", "params": {f"k{key}": key for key in range(60_000)}}

    response = await client.post("/api/v1/admin/jobs", headers=headers, content=json.dumps(wide).encode())

    body = assert_error(response, 400, "invalid_input")
    assert str(body["message"]) == (
        "The JSON body has an object with 60,000 keys (body.params); "
        "no request takes more than 1,000 in one object."
    )
    assert body["data"]["details"]["errors"][0]["field"] == "body.params"  # type: ignore[index]
    assert (await client.get("/api/v1/admin/jobs", headers=admin)).json()["data"]["total"] == 0


async def test_valid_json_the_server_cannot_read_says_why(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    long_number = b'{"name": "x", "params": {"a": ' + b"7" * 5_000 + b"}}"
    control = b'{"name": "a' + b"\t" + b'b"}'  # a raw tab inside a string, at character 11

    number = await client.post("/api/v1/admin/jobs", headers=headers, content=long_number)
    raw_tab = await client.post("/api/v1/admin/jobs", headers=headers, content=control)

    assert "more than 4,300 digits" in str(assert_error(number, 400, "invalid_input")["message"])
    message = str(assert_error(raw_tab, 400, "malformed_json")["message"])
    assert message == "The request body is not valid JSON: Invalid control character (at character 11)."


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/admin/jobs/"), ("GET", "/v1/models/")])
async def test_an_api_path_with_a_trailing_slash_is_404_naming_the_path_without_it(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
) -> None:
    """It was a 307 with an empty body to an absolute http:// address, which a POST client rarely
    follows and which is wrong behind a TLS proxy."""
    response = await client.request(method, path, headers=admin, json={"name": "x"})

    body = assert_error(response, 404, "not_found")
    assert str(body["message"]).endswith(f"end without a slash: {path.rstrip('/')}")


async def test_a_compressed_body_is_415_saying_to_send_it_uncompressed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    body = gzip.compress(b'{"name": "maintenance.refresh_events_daily"}')

    response = await client.post("/api/v1/admin/jobs", headers=headers, content=body)

    error = assert_error(response, 415, "unsupported_type")
    assert "Content-Encoding 'gzip' is not supported" in str(error["message"])
    listed = await client.get("/api/v1/admin/jobs", headers=admin)
    assert listed.json()["data"]["total"] == 0


async def test_json_nested_too_deeply_to_read_is_400_saying_so(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post("/api/v1/admin/jobs", headers=headers, content=deep)

    body = assert_error(response, 400, "malformed_json")
    assert "nested too deeply" in str(body["message"])


async def test_body_that_is_not_utf8_is_400(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post("/api/v1/admin/jobs", headers=headers, content=b'{"name": "\xff\xfe"}')

    assert_error(response, 400, "invalid_input")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_for_a_json_endpoint_is_415(
    client: httpx.AsyncClient, admin: dict[str, str], content_type: str | None
) -> None:
    headers = dict(admin)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post("/api/v1/admin/jobs", headers=headers, content=b'{"name": "x"}')

    body = assert_error(response, 415, "unsupported_type")
    assert body["data"]["details"]["expected"] == "application/json"  # type: ignore[index]
    said = f"was sent as {content_type}" if content_type else "names no Content-Type"  # not "sent as none"
    assert str(body["message"]).endswith(f"{said}.")


async def test_json_with_a_charset_is_accepted(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    headers = {**admin, "Content-Type": "application/json; charset=utf-8"}
    response = await client.post("/api/v1/admin/jobs", headers=headers, content=b'{"name": "unknown.job"}')

    assert_error(response, 400, "invalid_input")  # reached the service, which knows no such job


async def test_body_over_the_json_limit_is_413(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    big = json.dumps({"name": "x", "params": {"blob": "a" * 2048}}).encode()
    async with http_client(build_app(LUNA_API__MAX_JSON_KB=1)) as client:
        declared = await client.post(
            "/api/v1/admin/jobs", headers={**admin, "Content-Type": "application/json"}, content=big
        )

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 256):
                yield big[start : start + 256]

        streamed = await client.post(
            "/api/v1/admin/jobs", headers={**admin, "Content-Type": "application/json"}, content=chunks()
        )

    assert_error(declared, 413, "too_large")
    assert_error(streamed, 413, "too_large")
    assert "1 KiB" in declared.json()["message"]


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no/such/thing")

    body = assert_error(response, 404, "not_found")
    assert "/api/v1/no/such/thing" in str(body["message"])


async def test_wrong_method_is_405_with_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/system/info")

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"


async def test_a_wrong_method_names_every_method_the_path_offers(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    item = "/api/v1/admin/item/5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f"
    options = await client.options(item, headers=admin)
    patch = await client.patch(item, headers=admin)

    for response in (options, patch):
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == "DELETE, GET, PUT"
        assert "DELETE, GET, PUT" in response.json()["message"]


@pytest.fixture
def app_with_faults(app: FastAPI) -> FastAPI:
    """The real app plus test-only routes that fail in the ways services and bugs fail."""

    @app.get("/api/v1/test/crash")
    def crash() -> None:
        raise RuntimeError(SECRET_TEXT)

    @app.get("/api/v1/test/raise/{kind}")
    def raise_domain_error(kind: str) -> None:
        errors: dict[str, LunaError] = {
            "invalid": InvalidInput("bad"),
            "missing": NotFound("gone"),
            "conflict": Conflict("duplicate sha256"),
            "large": TooLarge("too big"),
            "type": UnsupportedType("not a PDF"),
            "unprocessable": Unprocessable("no text in document"),
            "limited": RateLimited("slow down", details={"retry_after_sec": 7}),
            "down": Unavailable("model server unreachable"),
        }
        raise errors[kind]

    return app


async def test_unhandled_exception_is_a_500_envelope_without_its_text(
    app_with_faults: FastAPI, json_logs: io.StringIO
) -> None:
    async with http_client(app_with_faults) as client:
        response = await client.get("/api/v1/test/crash")

    body = assert_error(response, 500, "internal_error")
    assert SECRET_TEXT not in response.text
    assert "Traceback" not in response.text
    assert "trace id" in str(body["message"])
    errors = [line for line in log_lines(json_logs) if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["trace_id"] == body["trace_id"]
    assert SECRET_TEXT in errors[0]["exception"]  # the operator sees what happened


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("invalid", 400, "invalid_input"),
        ("missing", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("large", 413, "too_large"),
        ("type", 415, "unsupported_type"),
        ("unprocessable", 422, "unprocessable"),
        ("limited", 429, "rate_limited"),
        ("down", 503, "unavailable"),
    ],
)
async def test_domain_errors_map_to_their_status(
    app_with_faults: FastAPI, kind: str, status: int, code: str
) -> None:
    async with http_client(app_with_faults) as client:
        response = await client.get(f"/api/v1/test/raise/{kind}")

    assert_error(response, status, code)


async def test_rate_limited_says_when_to_retry(app_with_faults: FastAPI) -> None:
    async with http_client(app_with_faults) as client:
        response = await client.get("/api/v1/test/raise/limited")

    assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/v1/admin/jobs?limit=abc", {}),
        ("GET", "/api/v1/admin/jobs?limit=99999999999999999999999", {}),
        ("GET", "/api/v1/admin/jobs?status=exploded", {}),
        ("GET", "/api/v1/admin/jobs/%00%ff", {}),
        ("GET", "/api/v1/admin/jobs/" + "9" * 500, {}),
        ("POST", "/api/v1/admin/jobs", {"json": [1, 2, 3]}),
        ("POST", "/api/v1/admin/jobs", {"json": "just a string"}),
        ("POST", "/api/v1/admin/jobs", {"json": {"name": "x" * 1000}}),
        (
            "POST",
            "/api/v1/admin/jobs",
            {"content": b'{"name": "maintenance.refresh_events_daily", "params": 1e400}'},
        ),
        (
            "POST",
            "/api/v1/admin/jobs",
            {"content": b'{"name": "maintenance.refresh_events_daily", "params": {"x": NaN}}'},
        ),
        (
            "POST",
            "/api/v1/admin/jobs",
            {"content": b'{"name": "maintenance.refresh_events_daily", "params": {"x": 1e400}}'},
        ),
        ("POST", "/api/v1/admin/jobs", {"content": b"[" * 5000 + b"]" * 5000}),
        ("POST", "/api/v1/admin/jobs", {"json": {"name": "maintenance.refresh_events_daily", "extra": 1}}),
        ("POST", "/api/v1/admin/jobs/not-a-uuid/cancel", {}),
        ("PATCH", "/api/v1/admin/jobs", {}),
    ],
)
async def test_bad_input_never_produces_a_500(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str, kwargs: dict[str, object]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]

    assert 400 <= response.status_code < 500, response.text
    assert_envelope(response, "error")


async def test_openapi_documents_envelopes_and_400_instead_of_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")

    schema = response.json()
    jobs = schema["paths"]["/api/v1/admin/jobs"]["get"]["responses"]
    assert "422" not in jobs
    assert jobs["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert {"401", "403"} <= set(jobs)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    ok_schema = jobs["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ok_schema]["properties"]) == {
        "status",
        "message",
        "data",
        "trace_id",
    }


async def test_swagger_ui_is_served_under_the_api_prefix(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/rag/search", {"question": "Netzentgelt", "top_k": "5"}, "body.top_k"),  # request validation
        (
            "/api/v1/feedback/rag",
            {"question": "\u200b", "answer": "a", "useful": True},
            "question",
        ),  # service
        ("/api/v1/events", {"type": "click", "item_id": "kein-uuid"}, "item_id"),  # service, per event
    ],
)
async def test_a_refused_field_is_named_in_one_shape_whoever_refuses_it(
    client: httpx.AsyncClient, path: str, body: dict[str, object], field: str
) -> None:
    """Clients read ``details.errors[].field`` and ``problem``; services answered ``details.field`` or
    ``errors[].message`` before."""
    response = await client.post(
        path, headers={"X-Dev-User": "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"}, json=body
    )

    error = assert_error(response, 400, "invalid_input")
    (problem,) = error["data"]["details"]["errors"]  # type: ignore[index]
    assert set(problem) == {"field", "problem"} and problem["field"] == field and problem["problem"]
