"""The envelope every JSON response of the API travels in (seed 001 §1, "Common Response")."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

DataT = TypeVar("DataT")


class Envelope(BaseModel, Generic[DataT]):
    """``status`` says whether the request did what was asked; ``data`` carries the result."""

    status: Literal["ok", "error"] = Field(description="`ok` on success, `error` otherwise")
    message: str = Field(description="What happened, in a sentence")
    data: DataT
    trace_id: str = Field(description="Identifies this request in the logs; also in the X-Trace-Id header")


class ErrorData(BaseModel):
    """Why a request failed: a stable ``code`` for programs, ``details`` for people and programs."""

    code: str = Field(description="Stable machine-readable reason, e.g. `invalid_input`, `not_found`")
    details: dict[str, Any] | None = Field(
        default=None, description="More about the failure, e.g. `errors: [{field, problem}]` for bad input"
    )


class ErrorEnvelope(Envelope[ErrorData]):
    status: Literal["error"] = "error"
