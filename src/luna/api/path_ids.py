"""IDs in URL paths: a path segment that is not a UUID names nothing, so it is a 404, not a 400."""

from __future__ import annotations

import uuid

from luna.domain.errors import NotFound


def uuid_or_404(value: str, noun: str) -> str:
    """The canonical form of the UUID ``value``; anything else raises NotFound for "no <noun>"."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"No {noun} with id {value!r}.") from None
