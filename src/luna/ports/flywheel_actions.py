"""Where the flywheel's action tickets and their history are kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from luna.domain.flywheel.actions import Action, ActionEvent, ActionKey, ActionStatus


class ActionRepository(Protocol):
    def add(self, action: Action) -> None:
        """Store a new ticket; a taken ``action_id`` raises ``Conflict``."""
        ...

    def get(self, action_id: str) -> Action | None: ...

    def list(self, *, status: ActionStatus | None = None, limit: int = 50) -> Sequence[Action]:
        """Newest first (by creation), optionally only those in ``status``."""
        ...

    def update(self, action: Action, from_status: ActionStatus) -> bool:
        """Store ``action``'s status, details, job and ``updated_at`` only if the stored ticket is still
        in ``from_status``; False when it was not (another caller moved it first).

        A compare-and-set, so two operators approving at once cannot both start its job.
        """
        ...

    def add_event(self, event: ActionEvent) -> None:
        """Append a history entry; an unknown ticket raises ``NotFound``."""
        ...

    def events(self, action_id: str) -> Sequence[ActionEvent]:
        """The ticket's history, oldest first."""
        ...

    def open_keys(self) -> set[ActionKey]:
        """The keys of every ticket still open, approved or running (a new one would duplicate them)."""
        ...
