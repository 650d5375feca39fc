"""Errors that services raise; the API maps each to its HTTP status, the CLI to a message.

Messages are written for the person who sent the request (English for the API; the dashboards
translate the ``code``).
"""

from __future__ import annotations

from typing import Any


class LunaError(Exception):
    """Base class: a failure the caller can understand and act on."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


def field_problem(field: str, problem: str) -> dict[str, Any]:
    """``details`` of a refusal of one field, in the shape every field-level refusal has (request
    validation's included): ``{"errors": [{"field": …, "problem": …}]}``, so a client reads one shape."""
    return {"errors": [{"field": field, "problem": problem}]}


class InvalidInput(LunaError):
    code = "invalid_input"


class NotFound(LunaError):
    code = "not_found"


class Conflict(LunaError):
    code = "conflict"


class TooLarge(LunaError):
    code = "too_large"


class UnsupportedType(LunaError):
    code = "unsupported_type"


class Unprocessable(LunaError):
    code = "unprocessable"


class RateLimited(LunaError):
    code = "rate_limited"


class Unavailable(LunaError):
    """A backend (database, model server …) could not be reached; the request may be retried."""

    code = "unavailable"
