"""No request guesses a boolean or a whole number from another type, on any route.

``{"force": "yes"}`` on a promotion was a forced promotion of a version that failed its gates, and
``{"version": true}`` rolled a dataset back to version 1: Pydantic's lax mode reads "yes", "on", 1 and
"1" as true and true as 1. Every JSON body field that takes a boolean or an integer is found in the
OpenAPI schema and sent a wrong type; each must be refused with a 400 naming it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

_PATH_PARAM = "00000000-0000-4000-8000-000000000001"
#: What Pydantic's lax mode read as the type asked for.
_WRONG = {"boolean": ["yes", 1], "integer": [True, "1", 2.0]}


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _scalar_type(schema: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """``boolean`` or ``integer`` for a field of that type (also when it may be null)."""
    options = schema.get("anyOf", [schema])
    types = {_resolve(option, spec).get("type") for option in options} - {"null"}
    return types.pop() if len(types) == 1 and types <= {"boolean", "integer"} else None


def scalar_fields(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, field, type) of every boolean or integer field of a JSON request body."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]  # optional body
            body = _resolve(options[0], spec)
            for field, schema in body.get("properties", {}).items():
                kind = _scalar_type(schema, spec)
                if kind is not None:
                    found.append((method, path, field, kind))
    return found


@pytest.fixture
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_the_schema_has_such_fields_to_check(spec: dict[str, Any]) -> None:
    fields = {(path, field) for _, path, field, _ in scalar_fields(spec)}
    assert ("/api/v1/admin/finetune/adapters/{name}/{version}/promote", "force") in fields
    assert ("/api/v1/admin/snapshots", "qdrant") in fields
    assert len(fields) >= 15, sorted(fields)


async def test_every_boolean_and_integer_body_field_refuses_another_type(
    app: FastAPI, spec: dict[str, Any], admin: dict[str, str]
) -> None:
    guessed = []
    async with http_client(app) as client:
        account = {"name": "strict", "scopes": ["sessions:write"]}
        created = await client.post("/api/v1/admin/service-accounts", headers=admin, json=account)
        headers = {**admin, "X-Service-Key": created.json()["data"]["key"], "X-Dev-User": _PATH_PARAM}
        for method, path, field, kind in scalar_fields(spec):
            url = path.replace("{", "").replace("}", "")
            url = "/".join(_PATH_PARAM if part in _params(path) else part for part in url.split("/"))
            for wrong in _WRONG[kind]:
                response = await client.request(method, url, json={field: wrong}, headers=headers)
                if response.status_code != 400 or f"body.{field}" not in _named(response):
                    guessed.append(f"{method.upper()} {path} {field}={wrong!r}: {response.status_code}")
    assert not guessed, "\n".join(guessed)


def _params(path: str) -> set[str]:
    return {part[1:-1] for part in path.split("/") if part.startswith("{")}


def _named(response: httpx.Response) -> set[str]:
    """The fields the refusal names (the OpenAI-compatible routes list them in ``error``)."""
    body = response.json()
    details = body["error"] if "error" in body else (body.get("data") or {}).get("details") or {}
    return {error.get("field") for error in details.get("errors", [])}
