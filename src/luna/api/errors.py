"""Every failure becomes an error envelope with the right HTTP status; nothing leaks a stack trace.

Services raise :mod:`luna.domain.errors`; FastAPI and Starlette raise their own exceptions for
unknown routes, wrong methods and invalid requests. The handlers here give all of them the same
shape (``{status: "error", message, data: {code, details?}, trace_id}``), and map FastAPI's 422 for
invalid requests to 400, as the API contract says.
"""

from __future__ import annotations

import http
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from luna.api.envelope import error_response
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

log = structlog.stdlib.get_logger("luna.api")

INTERNAL_ERROR_MESSAGE = "Internal server error; quote the trace id when reporting it."
DEFAULT_RETRY_AFTER_SEC = 1


class Unauthorized(LunaError):
    """Credentials are missing or invalid (HTTP 401)."""

    code = "unauthorized"


class Forbidden(LunaError):
    """Credentials are valid but do not allow this request (HTTP 403)."""

    code = "forbidden"


_STATUS_BY_ERROR: dict[type[LunaError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    UnsupportedType: 415,
    Unprocessable: 422,
    RateLimited: 429,
    Unavailable: 503,
}

_CODE_BY_STATUS: dict[int, str] = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "unprocessable",
    429: "rate_limited",
    503: "unavailable",
}


def status_for(error: LunaError) -> int:
    """The HTTP status of a domain error (its nearest mapped base class; a bare LunaError is a 400)."""
    for cls in type(error).__mro__:
        if cls in _STATUS_BY_ERROR:
            return _STATUS_BY_ERROR[cls]
    return 400


def _retry_after_sec(error: RateLimited) -> int:
    """Whole seconds from ``details["retry_after_sec"]``, rounded up; a default when absent or odd."""
    try:
        return max(1, math.ceil(float(error.details.get("retry_after_sec", DEFAULT_RETRY_AFTER_SEC))))
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_RETRY_AFTER_SEC


def luna_error_response(error: LunaError) -> JSONResponse:
    status_code = status_for(error)
    headers: dict[str, str] = {}
    if status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(_retry_after_sec(error))
    return error_response(status_code, error.code, error.message, error.details, headers)


def _phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def http_error_response(request: Request, error: HTTPException) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method …) and any ``HTTPException`` raised by code."""
    status_code = error.status_code
    phrase = _phrase(status_code)
    message = error.detail if isinstance(error.detail, str) and error.detail != phrase else phrase
    if status_code == 404 and error.detail == phrase:
        message = f"No such endpoint: {request.method} {request.url.path}"
    headers = dict(error.headers or {})
    if status_code == 405:
        allowed = _allowed_methods(request) or headers.get("Allow", "")
        headers["Allow"] = allowed
        message = f"Method {request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    code = _CODE_BY_STATUS.get(status_code, "internal_error" if status_code >= 500 else "http_error")
    if status_code == 400 and isinstance(error.__cause__, RecursionError):
        # FastAPI's "There was an error parsing the body" for JSON its parser gave up on.
        code, message = "malformed_json", "The request body is not readable JSON: it is nested too deeply."
    return error_response(status_code, code, message, headers=headers or None)


def _allowed_methods(request: Request) -> str:
    """Every method the API documents on this path: Starlette names only the first route that matches
    the path, although FastAPI makes one route per method (GET and DELETE of an item are two)."""
    path = request.scope.get("path", "")
    methods = {
        method.upper()
        for template, operations in request.app.openapi().get("paths", {}).items()
        if compile_path(template)[0].match(path)
        for method in operations
    }
    return ", ".join(sorted(methods))


#: What pydantic adds to a location for the member of a union it tried ("messages.0.content.str",
#: "….list[dict[str,any]]", "….function-after[…]"): no field a client sent.
_UNION_MEMBER = re.compile(r"(?:str|int|float|bool|none|list|dict|tuple|set|bytes)(?:\[.*\])?|[a-z-]+\[.*\]")


def _field_name(location: Sequence[Any]) -> str:
    return ".".join(str(p) for p in location if not (isinstance(p, str) and _UNION_MEMBER.fullmatch(p)))


#: The fields a validation error lists; a body with thousands of unknown keys gets a short answer that
#: counts the rest (``not_listed``), not one entry per key.
_LISTED_ERRORS = 20


def validation_error_response(error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 becomes a 400 that names each bad field and its problem, never its value."""
    problems = list(error.errors())
    malformed = next((p for p in problems if p.get("type") == "json_invalid"), None)
    if malformed is not None:
        position = malformed["loc"][-1] if malformed.get("loc") else "?"
        # The parser's reasons end in "at" ("Invalid control character at"): the position follows.
        reason = str((malformed.get("ctx") or {}).get("error", "not valid JSON")).removesuffix(" at")
        return error_response(
            400,
            "malformed_json",
            f"The request body is not valid JSON: {reason} (at character {position}).",
            {"position": position, "reason": reason},
        )
    errors = [{"field": _field_name(p.get("loc", ())), "problem": _problem(p)} for p in problems]
    summary = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    details: dict[str, object] = {"errors": errors[:_LISTED_ERRORS]}
    if len(errors) > _LISTED_ERRORS:
        details["not_listed"] = len(errors) - _LISTED_ERRORS
    return error_response(400, "invalid_input", f"Invalid request: {summary}{more}", details)


def _problem(problem: Mapping[str, Any]) -> str:
    """Pydantic's words, but for a form part sent as text where a file belongs (an empty file name makes
    the part text): it said "Expected UploadFile, received: <class 'str'>"."""
    message = str(problem.get("msg", "invalid"))
    if "Expected UploadFile" in message:
        return "must be a file: a multipart part with a file name (curl -F file=@name.pdf)"
    return message


def internal_error_response() -> JSONResponse:
    return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)


async def _on_luna_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LunaError)
    response = luna_error_response(error)
    if response.status_code >= 500:
        log.warning("backend_unavailable", error_code=error.code, error=error.message)
    return response


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return http_error_response(request, error)


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return validation_error_response(error)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers for every expected failure; unexpected ones are caught by the request middleware."""
    app.add_exception_handler(LunaError, _on_luna_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
