"""IDs in URL paths: a path segment that is not a UUID (or no meter ID) names nothing, so it is a 404,
not a 400."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import Path

from luna.domain.energy_validation import METER_ID_PATTERN
from luna.domain.errors import NotFound

_METER_ID = re.compile(f"^{METER_ID_PATTERN}$")
#: A meter ID in a path, checked by :func:`meter_or_404`.
PathMeterId = Annotated[str, Path(description="1–64 characters of A–Z a–z 0–9 . _ : -")]


def uuid_or_404(value: str, noun: str) -> str:
    """The canonical form of the UUID ``value``; anything else raises NotFound for "no <noun>"."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"No {noun} with id {value[:80]!r}.") from None


def meter_or_404(value: str) -> str:
    """``value`` if it can be a meter ID; anything else names no meter (404, as a malformed UUID does)."""
    if not _METER_ID.match(value):
        raise NotFound(f"No meter with id {value[:80]!r}.")
    return value
