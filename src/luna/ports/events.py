"""Repositories of the learning loop's inputs: events, rated answers with their labels, consent.

"Learning" reads (``for_learning``) leave out users whose newest ``learning`` consent record says no,
and, when ``consent_default`` is False, users with no record at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Protocol

from luna.domain.events import Consent, Event, EventType, Label, RagFeedback


class EventRepository(Protocol):
    def add_many(self, events: Sequence[Event]) -> None:
        """Insert events (their users exist); nothing is inserted when one of them fails."""
        ...

    def for_user(
        self, user_id: str, *, types: Collection[EventType] | None = None, limit: int = 200
    ) -> list[Event]:
        """The user's newest events first, optionally of some types only."""
        ...

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[Event]]:
        """Every event of consenting users, in (ts, event_id) order, in batches."""
        ...

    def count(self) -> int: ...

    def delete_for_user(self, user_id: str) -> int:
        """Erase the user's events; return how many."""
        ...


class FeedbackRepository(Protocol):
    def add(self, feedback: RagFeedback, labels: Sequence[Label]) -> None:
        """Store one rating and its per-item labels together."""
        ...

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[RagFeedback]]:
        """Every rating of consenting users (and anonymous ones), in (ts, feedback_id) order."""
        ...

    def count(self) -> int: ...

    def delete_for_user(self, user_id: str) -> tuple[int, int]:
        """Erase the user's ratings and labels; return (ratings, labels)."""
        ...


class ConsentRepository(Protocol):
    def record(self, consent: Consent) -> None:
        """Append a record; the newest per user and scope is the one that counts."""
        ...

    def current(self, user_id: str, scope: str) -> Consent | None: ...

    def delete_for_user(self, user_id: str) -> int: ...
