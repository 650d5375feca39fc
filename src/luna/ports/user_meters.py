"""Which meters belong to which customer: their energy advice and charts are about these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class UserMeterRepository(Protocol):
    def link(self, user_id: str, meter_ids: Sequence[str]) -> None:
        """Link the meters (already linked ones stay).

        An unknown user or meter raises :class:`NotFound` (its ``details`` list the unknown meters),
        and then nothing is linked.
        """
        ...

    def unlink(self, user_id: str, meter_ids: Sequence[str]) -> int:
        """Remove these links; return how many existed."""
        ...

    def meters_for(self, user_id: str) -> list[str]:
        """The user's meters, sorted (none for an unknown user)."""
        ...
