"""Repositories of the learning loop's inputs: events, rated answers with their labels, consent.

"Learning" reads (``for_learning``) leave out users whose newest ``learning`` consent record says no,
and, when ``consent_default`` is False, users with no record at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from luna.domain.events import Consent, Event, EventType, Label, RagFeedback


class EventRepository(Protocol):
    def add_many(self, events: Sequence[Event]) -> None:
        """Insert events (their users exist) in one statement; nothing is inserted when one fails."""
        ...

    def get(self, event_id: str) -> Event | None: ...

    def for_user(
        self, user_id: str, *, types: Collection[EventType] | None = None, limit: int = 200
    ) -> list[Event]:
        """The user's newest events first, optionally of some types only."""
        ...

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[Event]]:
        """Every event of consenting users, in (ts, event_id) order, in batches."""
        ...

    def count(self, *, user_id: str | None = None) -> int:
        """All events, or one user's."""
        ...

    def delete_for_user(self, user_id: str) -> int:
        """Erase the user's events; return how many."""
        ...


class FeedbackRepository(Protocol):
    def add(self, feedback: RagFeedback, labels: Sequence[Label]) -> None:
        """Store one rating and its per-item labels together."""
        ...

    def get(self, feedback_id: str) -> RagFeedback | None: ...

    def labels(self, *, user_id: str | None = None, feedback_id: str | None = None) -> list[Label]:
        """Labels of one user or one rating (or all), oldest first."""
        ...

    def for_learning(self, *, consent_default: bool, batch_size: int = 5000) -> Iterator[list[RagFeedback]]:
        """Every rating of consenting users (and anonymous ones), in (ts, feedback_id) order."""
        ...

    def count(self, *, user_id: str | None = None) -> int:
        """All ratings, or one user's."""
        ...

    def count_labels(self, *, user_id: str | None = None) -> int: ...

    def for_user(self, user_id: str, *, since: datetime) -> list[RagFeedback]:
        """The user's ratings at or after ``since``, oldest first."""
        ...

    def newest(self, *, useful: bool | None = None, limit: int) -> list[RagFeedback]:
        """The latest ratings first (only 👍 or only 👎 with ``useful``), for operators to read."""
        ...

    def delete_for_user(self, user_id: str) -> tuple[int, int]:
        """Erase the user's ratings and labels; return (ratings, labels)."""
        ...


class ConsentRepository(Protocol):
    def record(self, consent: Consent) -> None:
        """Append a record; the newest per user and scope is the one that counts."""
        ...

    def current(self, user_id: str, scope: str) -> Consent | None: ...

    def records_since(self, since: datetime) -> list[Consent]:
        """Every record at or after ``since``, oldest first (what a restore must not roll back)."""
        ...

    def for_user(self, user_id: str) -> list[Consent]:
        """The user's records, oldest first (what the user's data export shows)."""
        ...

    def delete_for_user(self, user_id: str) -> int: ...
