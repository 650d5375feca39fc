"""Text no database can store is refused at the door: NUL characters and lone UTF-16 surrogates.

PostgreSQL refuses a NUL in a text column and psycopg cannot encode a lone surrogate, so such a value
used to pass validation and fail as a 500 deep in an adapter (a question, a title, a search term),
while SQLite stored it. Every JSON body, query string and path is checked once here instead of field
by field: a valid JSON text can only carry these characters as ``\\u`` escapes, so scanning the
escapes finds them without parsing the body twice. Uploaded files are bytes, not text, and are not
scanned; their form fields are checked by the services that read them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from luna.domain.errors import InvalidInput, field_problem

_JSON = re.compile(r"^application/([\w.+-]+\+)?json\b", re.IGNORECASE)
#: One escape of a JSON string: ``\uXXXX`` (group 1) or a two-character one (``\\``, ``\"`` …), so
#: an escaped backslash before "u0000" is consumed as a pair and never read as an escape of its own.
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_HIGH = range(0xD800, 0xDC00)
_LOW = range(0xDC00, 0xE000)

NUL_MESSAGE = "Text must not contain NUL characters (\\u0000)."
SURROGATE_MESSAGE = "Text must be valid Unicode: a lone UTF-16 surrogate (\\ud800–\\udfff) was sent."


def is_json(content_type: str) -> bool:
    return _JSON.match(content_type.strip()) is not None


def check_target(path: str, query_string: bytes) -> None:
    """Refuse a request whose path or query string holds a NUL (``%00`` or a raw byte); the error names
    the query parameter as validation errors do (``query.meter_id``)."""
    if "\x00" in path:
        raise InvalidInput(NUL_MESSAGE, details=field_problem("path", NUL_MESSAGE))
    if b"%00" not in query_string and b"\x00" not in query_string:
        return
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    name = next((key for key, value in pairs if "\x00" in key or "\x00" in value), None)
    field = "query" if name is None or "\x00" in name else f"query.{name[:70]}"
    raise InvalidInput(f"{field}: {NUL_MESSAGE}", details=field_problem(field, NUL_MESSAGE))


def check_json_text(body: bytes) -> None:
    """Refuse a JSON body whose strings would hold a NUL or a lone surrogate once decoded; the error
    names the field as validation errors do (``body.meta.note``)."""
    try:
        _scan(body)
    except InvalidInput as error:
        field = _field_of(body)
        if field is None:
            raise
        raise InvalidInput(f"{field}: {error.message}", details=field_problem(field, error.message)) from None


def _scan(body: bytes) -> None:
    if b"\\u" not in body:
        return
    pending_high_end = -1
    for escape in _ESCAPE.finditer(body):
        hex_digits = escape.group(1)
        unit = int(hex_digits, 16) if hex_digits else -1
        paired = escape.start() == pending_high_end
        if pending_high_end >= 0 and not (paired and unit in _LOW):
            raise InvalidInput(SURROGATE_MESSAGE)
        if unit in _LOW and not paired:
            raise InvalidInput(SURROGATE_MESSAGE)
        if unit == 0:
            raise InvalidInput(NUL_MESSAGE)
        pending_high_end = escape.end() if unit in _HIGH else -1
    if pending_high_end >= 0:
        raise InvalidInput(SURROGATE_MESSAGE)


def _field_of(body: bytes) -> str | None:
    """Where in the JSON body the first unstorable text is (``None`` when the body is no JSON)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and _unstorable(value):
            return path
        if isinstance(value, dict):
            for key, inner in reversed(list(value.items())):
                if _unstorable(key):
                    return path
                stack.append((f"{path}.{key}", inner))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", inner) for index, inner in reversed(list(enumerate(value))))
    return None


def _unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= character <= "\udfff" for character in text)
