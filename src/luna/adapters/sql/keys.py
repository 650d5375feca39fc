"""UUID keys: strings at the domain boundary, ``uuid.UUID`` inside the SQL adapter."""

from __future__ import annotations

import uuid

from luna.domain.errors import InvalidInput


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (a lookup by a garbage id finds nothing)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def require_uuid(value: str, field: str) -> uuid.UUID:
    """The UUID in ``value``; a new row with a garbage key is a caller's mistake."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise InvalidInput(f"{field} must be a UUID, got {value!r}", details={"field": field})
    return parsed
