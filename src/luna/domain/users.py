"""Users are known by a UUID; they are created on first sight of a valid token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

#: The nil and the max UUID are placeholders (a default, an unset field), never someone's ID: a token or
#: a development header naming one would give every such client one shared account.
PLACEHOLDER_USER_IDS = frozenset({uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)})


def placeholder_refusal(user_id: str) -> str | None:
    """Why ``user_id`` can name no new user (a placeholder UUID), or None: every way an operator creates
    a user (events, ratings, meter links, consent for a named user) asks here."""
    try:
        parsed = uuid.UUID(user_id)
    except ValueError:
        return None
    if parsed in PLACEHOLDER_USER_IDS:
        return f"user_id {parsed} is a placeholder UUID, which names no user"
    return None


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    external_id: str | None = None
    created_at: datetime | None = None
