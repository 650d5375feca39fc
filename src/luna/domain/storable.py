"""Text every database backend can store: PostgreSQL refuses NUL characters, psycopg lone surrogates.

A value that breaks this rule passes type validation and fails as a 500 in an adapter, so services
check the text they store from callers here (the API also refuses such text at the door,
:mod:`luna.api.text_guard`; this covers the CLI, the dashboards and form fields).
"""

from __future__ import annotations

from luna.domain.errors import InvalidInput


def storable_text(value: str, name: str) -> str:
    """``value`` unless the database cannot store it: NUL characters and lone surrogates are refused."""
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters", details={"field": name})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} is not valid Unicode text", details={"field": name}) from None
    return value
