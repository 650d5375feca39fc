"""Which meters belong to which customer: their energy advice and charts are about these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class UserMeterRepository(Protocol):
    def link(self, user_id: str, meter_ids: Sequence[str]) -> None:
        """Link the meters (already linked ones stay); an unknown meter raises :class:`NotFound`."""
        ...

    def unlink(self, user_id: str, meter_ids: Sequence[str]) -> int: ...

    def meters_for(self, user_id: str) -> list[str]:
        """The user's meters, sorted."""
        ...
