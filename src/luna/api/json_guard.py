"""JSON bodies whose meaning is ambiguous or lost are refused with the reason, before the app reads them.

* A key named twice in one object: Python keeps the last one silently, so ``{"scopes": ["kpi:read"],
  "scopes": ["sessions:read-raw"]}`` granted what a reviewer of the first line would not expect, and a
  proxy or log that keeps the first one saw another request than Luna acted on.
* An integer of more digits than Python converts (4,300): FastAPI answered "There was an error parsing
  the body" for a body that is valid JSON, without the reason.
* An object of more keys than any request takes (1,000): 60,000 unknown keys in 1 MB took 1–2.5 s of
  validation and error reporting each, and eight such bodies at once held other requests for 8 s.
"""

from __future__ import annotations

import json
from typing import Any, Final

from luna.domain.errors import InvalidInput, field_problem

#: No request body holds an object with more keys than this (the widest model has a few dozen fields).
MAX_OBJECT_KEYS: Final = 1000


class _Pairs(list[tuple[str, Any]]):
    """One JSON object as the parser read it: its keys in order, a repeated key kept."""


def _first_problem(value: Any, path: str) -> tuple[str, str] | None:
    """The field and what is wrong with it: the first object, in document order, that names a key twice
    or holds too many keys, with its path in the shape request validation names fields (``body.params.a``,
    ``body.items.0.name``), so both refusals read alike."""
    children: list[tuple[str, Any]] = []
    if isinstance(value, _Pairs):
        if len(value) > MAX_OBJECT_KEYS:
            field = path[:200]
            return field, (
                f"The JSON body has an object with {len(value):,} keys ({field}); "
                f"no request takes more than {MAX_OBJECT_KEYS:,} in one object."
            )
        seen: set[str] = set()
        for key, item in value:
            if key in seen:
                field = f"{path}.{key}"[:200]
                named = f"The JSON body names the key {key[:70]!r} twice in one object ({field})"
                return field, f"{named}; name each key once."
            seen.add(key)
            children.append((key, item))
    elif isinstance(value, list):
        children = [(str(index), item) for index, item in enumerate(value)]
    for name, child in children:
        if (found := _first_problem(child, f"{path}.{name}")) is not None:
            return found
    return None


def check_json_meaning(body: bytes) -> None:
    """InvalidInput for a body naming a key twice in one object, holding an object of more than
    :data:`MAX_OBJECT_KEYS` keys or a too long integer; a body
    that is no JSON at all (or nested too deeply to parse) is left to the app's own message."""
    if b'"' not in body and len(body) < 4_300:  # no object key and no number that long: nothing to find
        return
    try:
        problem = _first_problem(json.loads(body, object_pairs_hook=_Pairs), "body")
    except ValueError as error:
        if "digits" in str(error):
            raise InvalidInput(
                "A number in the JSON body has more than 4,300 digits, more than any field takes."
            ) from None
        return  # not JSON at all: the app's own message says where
    except RecursionError:
        return
    if problem is not None:
        field, message = problem
        raise InvalidInput(message, details=field_problem(field, message))
