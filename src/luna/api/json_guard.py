"""JSON bodies whose meaning is ambiguous or lost are refused with the reason, before the app reads them.

* A key named twice in one object: Python keeps the last one silently, so ``{"scopes": ["kpi:read"],
  "scopes": ["sessions:read-raw"]}`` granted what a reviewer of the first line would not expect, and a
  proxy or log that keeps the first one saw another request than Luna acted on.
* An integer of more digits than Python converts (4,300): FastAPI answered "There was an error parsing
  the body" for a body that is valid JSON, without the reason.
"""

from __future__ import annotations

import json
from typing import Any

from luna.domain.errors import InvalidInput, field_problem


class _Pairs(list[tuple[str, Any]]):
    """One JSON object as the parser read it: its keys in order, a repeated key kept."""


def _first_repeat(value: Any, path: str) -> tuple[str, str] | None:
    """The first key named twice in one object, in document order, with its path in the shape request
    validation names fields (``body.params.a``, ``body.items.0.name``), so both refusals read alike."""
    children: list[tuple[str, Any]] = []
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, item in value:
            if key in seen:
                return key, f"{path}.{key}"
            seen.add(key)
            children.append((key, item))
    elif isinstance(value, list):
        children = [(str(index), item) for index, item in enumerate(value)]
    for name, child in children:
        if (found := _first_repeat(child, f"{path}.{name}")) is not None:
            return found
    return None


def check_json_meaning(body: bytes) -> None:
    """InvalidInput for a body naming a key twice in one object or holding a too long integer; a body
    that is no JSON at all (or nested too deeply to parse) is left to the app's own message."""
    if b'"' not in body and len(body) < 4_300:  # no object key and no number that long: nothing to find
        return
    try:
        repeat = _first_repeat(json.loads(body, object_pairs_hook=_Pairs), "body")
    except ValueError as error:
        if "digits" in str(error):
            raise InvalidInput(
                "A number in the JSON body has more than 4,300 digits, more than any field takes."
            ) from None
        return  # not JSON at all: the app's own message says where
    except RecursionError:
        return
    if repeat is not None:
        key, field = repeat[0][:70], repeat[1][:200]
        message = f"The JSON body names the key {key!r} twice in one object ({field}); name each key once."
        raise InvalidInput(message, details=field_problem(field, message))
