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


class _DuplicateKey(Exception):
    """Raised from inside the parser (not a ValueError, which the parser's own errors are)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)
    return dict(pairs)


def check_json_meaning(body: bytes) -> None:
    """InvalidInput for a body naming a key twice in one object or holding a too long integer; a body
    that is no JSON at all (or nested too deeply to parse) is left to the app's own message."""
    if b'"' not in body and len(body) < 4_300:  # no object key and no number that long: nothing to find
        return
    try:
        json.loads(body, object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        key = duplicate.key[:70]
        message = f"The JSON body names the key {key!r} twice in one object; name each key once."
        raise InvalidInput(message, details=field_problem(key, message)) from None
    except ValueError as error:
        if "digits" in str(error):
            raise InvalidInput(
                "A number in the JSON body has more than 4,300 digits, more than any field takes."
            ) from None
    except RecursionError:
        return
