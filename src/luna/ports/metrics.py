"""Read-only aggregates for the usage and ingest metrics (``/metrics/overview``, ``/metrics/ingest``,
Prometheus).

Everything here is counted by the database (GROUP BY, COUNT, AVG), so a dashboard or a scrape never
pulls raw rows. Every figure per day is a Europe/Berlin calendar day: events as ``mv_events_daily`` cuts
them, the ingest figures alike.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Ratings:
    """Rated answers (``rag_feedback``): how many, and how many of them were marked useful."""

    useful: int
    total: int

    @property
    def useful_ratio(self) -> float | None:
        """``useful / total``; None without ratings (no ratings is not a rate of zero)."""
        return self.useful / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Durations in seconds: how many, their mean and their 95th percentile (nearest rank)."""

    count: int
    avg_sec: float | None = None
    p95_sec: float | None = None


@dataclass(frozen=True, slots=True)
class JobRun:
    """One finished job: when it ran, how it ended and what it returned (for per-file outcomes)."""

    name: str
    status: str
    finished_at: datetime
    started_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_sec(self) -> float | None:
        if self.started_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


class MetricsRepository(Protocol):
    def events_daily(self, since: date) -> dict[date, dict[str, int]]:
        """Events per Europe/Berlin day (``since``, a Berlin date, on) and type, as ``mv_events_daily`` holds
        them now."""
        ...

    def events_by_type(self) -> dict[str, int]:
        """Every event in ``mv_events_daily`` by type (all days)."""
        ...

    def ratings(self, since: datetime | None = None) -> Ratings:
        """Rated answers from ``since`` on (all of them when None)."""
        ...

    def items_per_day(self, since: date) -> dict[date, int]:
        """Items by the Berlin day they were created (every status)."""
        ...

    def chunks_per_day(self, since: date) -> dict[date, int]:
        """Chunks by the Berlin day they were written, archived ones included (they were indexed then)."""
        ...

    def failed_items_per_day(self, since: date) -> dict[date, int]:
        """Items in status ``failed`` by the Berlin day they last changed."""
        ...

    def finished_jobs(self, names: Collection[str], since: datetime) -> list[JobRun]:
        """Jobs of these names that finished (succeeded, failed, cancelled) since ``since``, oldest first."""
        ...

    def indexing_durations(self, since: datetime) -> DurationStats:
        """Seconds from an item's ``pending`` row to ``indexed`` (``updated_at − created_at``) for first
        versions created from ``since`` on: storing, embedding and writing a document. Later versions and
        archived items are left out, since their ``updated_at`` no longer marks the end of the ingest."""
        ...
