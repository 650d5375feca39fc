"""Users are known by a UUID; they are created on first sight of a valid token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    external_id: str | None = None
    created_at: datetime | None = None
