"""The trace id: one per request, in the response envelope, the ``X-Trace-Id`` header and every log line.

A caller (a reverse proxy, the dashboard) may bring its own id so one id follows a request across
systems; anything that is not a short, plain token is replaced, so a header cannot inject text
into the logs.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

TRACE_HEADER = "X-Trace-Id"

_SANE_TRACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_current: ContextVar[str | None] = ContextVar("luna_trace_id", default=None)


def accept_or_generate(incoming: str | None) -> str:
    """The caller's trace id when it is a sane token, otherwise a new uuid4."""
    if incoming is not None and _SANE_TRACE_ID.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


def current_trace_id() -> str:
    """The id of the request being handled (a fresh one outside a request, e.g. in a test)."""
    return _current.get() or str(uuid.uuid4())


def bind_trace_id(trace_id: str) -> Token[str | None]:
    """Make ``trace_id`` current; pass the returned token to :func:`unbind_trace_id` afterwards."""
    return _current.set(trace_id)


def unbind_trace_id(token: Token[str | None]) -> None:
    _current.reset(token)
