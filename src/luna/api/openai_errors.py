"""Errors on the OpenAI-compatible routes (``/v1/…``) in OpenAI's shape, not in Luna's envelope.

Chat tools (Open WebUI, LibreChat, the ``openai`` package) read ``error.message`` from a failed
request and show it to the person; given Luna's envelope they showed a raw JSON dump or "unknown
error". Every error answer on ``/v1`` — from a route, a dependency (authentication, rate limit), the
request middleware (body limits, malformed JSON, deadlines) or an unknown ``/v1`` path — is rewritten
here as ``{"error": {"message", "type", "param", "code", "trace_id"}}`` with the same status and
headers (``Retry-After``, ``X-Trace-Id``). Successful answers, streams included, pass untouched.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPENAI_PREFIX = "/v1/"

#: OpenAI's error types by status; the OpenAI clients raise their matching exception classes from the
#: status, and chat tools show ``type`` next to the message.
_TYPE_BY_STATUS = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def error_type(status: int) -> str:
    if status in _TYPE_BY_STATUS:
        return _TYPE_BY_STATUS[status]
    return "server_error" if status >= 500 else "invalid_request_error"


def openai_error(status: int, envelope: dict[str, Any]) -> dict[str, Any]:
    """Luna's error envelope as OpenAI's error object: the message, the code, as ``param`` the (first)
    field a refusal names (``body.messages.0.content`` → ``messages.0.content``), and, where fields
    were refused, all of them as ``errors`` (``[{field, problem}]``, Luna's one shape)."""
    data = _mapping(envelope.get("data"))
    problems = _mapping(data.get("details")).get("errors")
    fields = [_mapping(p).get("field") for p in problems] if isinstance(problems, list) else []
    first = next((f for f in fields if isinstance(f, str)), None)
    error = {
        "message": str(envelope.get("message", "")),
        "type": error_type(status),
        "param": first.removeprefix("body.").removeprefix("query.") if first else None,
        "code": data.get("code"),
        "trace_id": envelope.get("trace_id"),
    }
    if problems:
        error["errors"] = problems
    return {"error": error}


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class OpenAIErrors:
    """ASGI middleware: on ``/v1/…``, a JSON error answer (status ≥ 400) is re-shaped for OpenAI clients."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path.startswith(OPENAI_PREFIX) or path == OPENAI_PREFIX[:-1]):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        body = bytearray()

        async def reshape(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held = message
                return
            if held is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_reshaped(held, bytes(body), send)

        await self.app(scope, receive, reshape)


async def _send_reshaped(start: Message, body: bytes, send: Send) -> None:
    headers = MutableHeaders(scope=start)
    try:
        envelope = (
            json.loads(body) if headers.get("content-type", "").startswith("application/json") else None
        )
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and envelope.get("status") == "error":
        body = json.dumps(openai_error(start["status"], envelope), ensure_ascii=False).encode("utf-8")
        headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body})
