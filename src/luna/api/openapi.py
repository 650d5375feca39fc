"""The OpenAPI document tells the truth about errors: envelopes with 400, never FastAPI's 422 shape."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from luna.api.schemas.envelope import ErrorEnvelope
from luna.api.schemas.openai_chat import OpenAIErrorBody

ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
#: The OpenAI-compatible routes answer errors in OpenAI's shape (``api/openai_errors.py``).
OPENAI_ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/OpenAIErrorBody"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def error_response(description: str) -> dict[str, Any]:
    """A ``responses=`` entry for an error this API answers with an envelope."""
    return {"model": ErrorEnvelope, "description": description}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error_response("Invalid input: the fields and their problems are in `data.details.errors`"),
    500: error_response("Internal error; the trace id identifies it in the logs"),
}
#: The one error of routes that belong to a signed-in customer (``/users/me``, conversations).
CUSTOMER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_response("No valid customer credentials (Bearer token, or X-Dev-User in development)")
}
#: Errors of every operation that reads a request body; added where the schema shows a body.
_BODY_ERRORS = {
    "413": "The request body is larger than the limit",
    "415": "The body is not in the content type the endpoint reads",
}
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    **COMMON_ERRORS,
    401: error_response("The X-Admin-Key header is missing"),
    403: error_response("The X-Admin-Key is wrong, or admin access is not configured"),
}

#: The errors of the OpenAI-compatible routes, in OpenAI's shape.
OPENAI_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OpenAIErrorBody, "description": "Invalid request; `error.param` names the field"},
    401: {"model": OpenAIErrorBody, "description": "No valid API key (a customer's JWT, or X-Admin-Key)"},
    429: {"model": OpenAIErrorBody, "description": "Too many questions; see Retry-After"},
    500: {"model": OpenAIErrorBody, "description": "Internal error; `error.trace_id` identifies it"},
}


def _error_entry(description: str, schema_ref: dict[str, str]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema_ref}}}


def _document_errors(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        schema_ref = OPENAI_ERROR_SCHEMA_REF if path.startswith("/v1/") else ERROR_SCHEMA_REF
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses and "HTTPValidationError" in json.dumps(responses["422"]):
                del responses["422"]
                responses.setdefault("400", _error_entry("Invalid input", schema_ref))
            if "requestBody" in operation:
                for status, description in _BODY_ERRORS.items():
                    responses.setdefault(status, _error_entry(description, schema_ref))
    components = schema.get("components", {}).get("schemas", {})
    remaining = json.dumps(schema.get("paths", {}))
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in remaining:
            components.pop(name, None)


def install_openapi(app: FastAPI) -> None:
    """Post-process the generated schema once, the first time it is requested."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_errors(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
