"""One middleware around every HTTP request: trace id, admin key, body limit, text no database can
store (:mod:`luna.api.text_guard`), metrics, access log.

It sits inside Starlette's own error middleware and outside the exception handlers, so it sees the
final status of every response, can stamp ``X-Trace-Id`` on all of them, and, as the last resort,
turns any exception no handler took into a 500 envelope (the exception goes to the log with the
trace id, never to the client).

Admin requests have their key checked here, before the app reads (or size-checks) the body: a
caller without the key learns nothing about the endpoint, and its body is never parsed. The routers
check the key again with :func:`~luna.api.auth.require_admin`, which also documents it in OpenAPI.
"""

from __future__ import annotations

import time
from typing import Final

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from luna.api.auth import ADMIN_KEY_HEADER, DEV_USER_HEADER, SERVICE_KEY_HEADER, check_admin_key
from luna.api.deadline import RequestDeadlines, within
from luna.api.errors import http_error_response, internal_error_response, luna_error_response
from luna.api.json_guard import check_json_meaning
from luna.api.prometheus import HttpMetrics
from luna.api.route_templates import RouteTemplates
from luna.api.text_guard import check_json_text, check_target, is_json
from luna.api.tracing import TRACE_HEADER, accept_or_generate, bind_trace_id, unbind_trace_id
from luna.domain.errors import InvalidInput, LunaError, NotFound, Unavailable

access_log = structlog.stdlib.get_logger("luna.api.access")
error_log = structlog.stdlib.get_logger("luna.api")

_MULTIPART = "multipart/form-data"

#: Every path under these prefixes needs the admin key: the admin routers and the simulator controls.
ADMIN_PATH_PREFIXES = ("/api/v1/admin", "/api/v1/sim")


def _route_path(scope: Scope) -> str:
    """The path the router matches: without the ``root_path`` a proxy mounts the app under."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :].startswith("/"):
        return path[len(root_path) :]
    return path


def is_admin_path(scope: Scope) -> bool:
    path = _route_path(scope)
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in ADMIN_PATH_PREFIXES)


#: The API's paths (none ends in a slash); the dashboards' paths keep Starlette's redirect.
_API_PATHS: Final = ("/api/", "/v1/")


def _refuse_trailing_slash(path: str) -> None:
    """An API path with a trailing slash is a 404 naming the path without it: Starlette answered a 307
    with an empty body and an absolute ``http://`` location (wrong behind a TLS proxy), which most
    clients do not follow for a POST."""
    if path.endswith("/") and path.startswith(_API_PATHS) and path.strip("/").count("/") >= 1:
        raise NotFound(
            f"No such path: {path[:200]}. The API's paths end without a slash: {path.rstrip('/')[:200]}"
        )


#: What a person gets for a dashboard address with a NUL in it: German, no JSON (docs/dashboards.md).
BAD_ADDRESS_PAGE: Final = (
    '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Ungültige Adresse · Luna</title>'
    "</head><body><main><h1>Ungültige Adresse</h1><p>Die Adresse enthält ein Nullzeichen (%00), das keine "
    'Seite haben kann.</p><p><a href="/">Zur Übersicht</a></p></main></body></html>'
)


class _BadDashboardAddress(Exception):
    """A dashboard address :func:`check_target` refused."""


def _check_target(scope: Scope) -> None:
    """A NUL in the address is the API's 400 envelope, or on a dashboard address a German page."""
    try:
        check_target(scope["path"], scope.get("query_string", b""))
    except InvalidInput:
        if _route_path(scope).startswith(_API_PATHS):
            raise
        raise _BadDashboardAddress from None


def _refuse_encoded_body(scope: Scope) -> None:
    """A compressed body (``Content-Encoding: gzip``) is a 415 saying so: nothing here decodes one, and
    it was read as text and refused as "not UTF-8"."""
    encoding = Headers(scope=scope).get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise HTTPException(
            415, f"Content-Encoding {encoding[:40]!r} is not supported: send the body uncompressed."
        )


#: The headers that say who is calling: each may be sent once.
_CREDENTIAL_HEADERS: Final = ("Authorization", ADMIN_KEY_HEADER, DEV_USER_HEADER, SERVICE_KEY_HEADER)


def _refuse_repeated_credentials(scope: Scope) -> None:
    """Two ``X-Admin-Key`` (or ``Authorization`` …) headers are a 400: which one counts would otherwise
    depend on which layer reads them (the first wins in one, a proxy may have added the other)."""
    headers = Headers(scope=scope)
    for name in _CREDENTIAL_HEADERS:
        if len(headers.getlist(name)) > 1:
            raise InvalidInput(f"The {name} header is sent {len(headers.getlist(name))} times; send it once.")


def _check_admin_key(scope: Scope) -> None:
    """Raise 401/403 (as :func:`require_admin` would) for an admin request without a valid key."""
    request = Request(scope)
    check_admin_key(request.headers.get(ADMIN_KEY_HEADER), request)


def _size(limit_bytes: int) -> str:
    if limit_bytes >= 1024 * 1024:
        return f"{limit_bytes / (1024 * 1024):g} MiB"
    return f"{limit_bytes / 1024:g} KiB"


class BodyLimit:
    """Reject request bodies over the limit: JSON (and anything else) ``max_json``, uploads ``max_upload``.

    A declared ``Content-Length`` over the limit fails at the first read, before any byte is
    buffered; a body without one is counted while it streams in.
    """

    def __init__(self, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    def wrap(self, scope: Scope, receive: Receive) -> Receive:
        headers = Headers(scope=scope)
        is_upload = headers.get("content-type", "").lower().startswith(_MULTIPART)
        limit = self.max_upload_bytes if is_upload else self.max_json_bytes
        declared = headers.get("content-length")
        received = 0

        def too_large() -> HTTPException:
            kind = "upload" if is_upload else "request body"
            return HTTPException(413, f"The {kind} is larger than the limit of {_size(limit)}.")

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None:
                if not declared.isdigit():
                    raise HTTPException(400, "The Content-Length header is not a number.")
                if int(declared) > limit:
                    raise too_large()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large()
            return message

        return limited_receive


class _ArrivingBody:
    """The request's body as the app reads it, and whether a read is waiting on the client: a deadline
    that passes while the client still owes bytes (fewer than its Content-Length) is the client's delay,
    a 408; one that passes while the handler works is Luna's, a 503."""

    def __init__(self, receive: Receive) -> None:
        #: Someone (the app, or the JSON check) waits for body bytes the client has not sent yet.
        self.waiting = False
        self._receive = receive

    async def receive(self) -> Message:
        self.waiting = True
        message = await self._receive()
        self.waiting = False  # not in a finally: a read cancelled at the deadline was still waiting
        return message


def _utf8_without_nul(body: bytes) -> bool:
    """JSON travels as UTF-8 (RFC 8259 §8.1). json.loads would also accept UTF-16 or UTF-32 (whose bytes
    hold NULs, which UTF-8 JSON never does) and the bytes of a lone surrogate, text the escape scan of
    :func:`check_json_text` cannot see."""
    if b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _checked_json(scope: Scope, receive: Receive) -> Receive:
    """A JSON body (or one without a content type, which FastAPI reads as JSON) read whole and
    refused when its strings hold text no database stores; the app then reads it from memory. It is
    checked before the app runs, so the 400 can name the field (FastAPI would turn any error raised
    while it reads a body into a 400 without the reason)."""
    content_type = Headers(scope=scope).get("content-type", "")
    if scope["method"] in ("GET", "HEAD", "OPTIONS") or (content_type and not is_json(content_type)):
        return receive
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    if not _utf8_without_nul(body):
        raise HTTPException(400, "The JSON body is not UTF-8 text.")
    check_json_text(body)
    check_json_meaning(body)

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        templates: RouteTemplates,
        body_limit: BodyLimit,
        deadlines: RequestDeadlines,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates
        self.body_limit = body_limit
        self.deadlines = deadlines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = accept_or_generate(Headers(scope=scope).get(TRACE_HEADER))
        scope.setdefault("state", {})["trace_id"] = trace_id
        token = bind_trace_id(trace_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_trace(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[TRACE_HEADER] = trace_id
            await send(message)

        with structlog.contextvars.bound_contextvars(trace_id=trace_id):
            try:
                _refuse_repeated_credentials(scope)
                if is_admin_path(scope):
                    _check_admin_key(scope)
                _check_target(scope)
                _refuse_trailing_slash(scope["path"])
                _refuse_encoded_body(scope)
                deadline = self.deadlines.for_path(_route_path(scope))

                body = _ArrivingBody(self.body_limit.wrap(scope, receive))

                async def call() -> None:
                    await self.app(scope, await _checked_json(scope, body.receive), send_with_trace)

                if deadline is None:
                    await call()
                else:
                    try:
                        await within(deadline, call, lambda: response_started)
                    except Unavailable:
                        if not body.waiting:
                            raise
                        raise HTTPException(
                            408,
                            f"The request body did not arrive within {deadline:g} s (it is shorter "
                            "than its Content-Length, or the client stopped sending).",
                        ) from None
            except Exception as error:
                if response_started:
                    error_log.exception("error_after_response_started")
                    raise
                response: Response
                if isinstance(error, _BadDashboardAddress):
                    response = HTMLResponse(BAD_ADDRESS_PAGE, status_code=400)
                elif isinstance(error, LunaError):
                    response = luna_error_response(error)
                elif isinstance(error, HTTPException):
                    response = http_error_response(Request(scope, receive), error)
                else:
                    error_log.exception("unhandled_error")
                    response = internal_error_response()
                await response(scope, receive, send_with_trace)
            finally:
                duration = time.perf_counter() - started
                route = self.templates.template_for(scope)
                self.metrics.observe(scope["method"], route, status, duration)
                access_log.info(
                    "http_request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(duration * 1000, 2),
                )
                unbind_trace_id(token)
