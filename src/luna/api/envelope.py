"""Building envelopes: routers return :func:`ok`; the error handlers use :func:`error_response`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi.responses import JSONResponse

from luna.api.schemas.envelope import Envelope, ErrorData, ErrorEnvelope
from luna.api.tracing import current_trace_id

DataT = TypeVar("DataT")
#: The longest error message an answer carries.
MAX_MESSAGE_CHARS = 1_000


def ok(data: DataT, message: str = "ok") -> Envelope[DataT]:
    """A success envelope for the current request."""
    return Envelope[DataT](status="ok", message=message, data=data, trace_id=current_trace_id())


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error envelope for the current request with its HTTP status; a message that quotes a huge
    input (a 60,000-character ID in the path) is cut, so a refusal stays small and fast."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    body = ErrorEnvelope(
        message=message,
        data=ErrorData(code=code, details=dict(details) if details else None),
        trace_id=current_trace_id(),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=dict(headers or {}))
