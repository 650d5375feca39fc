"""Versioned scores of the learning job and the audit trail of who changed what."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from luna.domain.scores import AuditEntry, Score, ScoreTarget, ScoreVersion


class ScoreRepository(Protocol):
    def add_version(self, version: ScoreVersion, scores: Sequence[Score]) -> int:
        """Store a new version (``version.version`` is ignored) with its scores; return its number."""
        ...

    def latest_version(self) -> ScoreVersion | None: ...

    def versions(self, limit: int = 20) -> list[ScoreVersion]:
        """Newest first."""
        ...

    def get_many(
        self, target: ScoreTarget, target_ids: Collection[str], *, version: int | None = None
    ) -> dict[str, Score]:
        """Scores of the given targets in ``version`` (default: the newest); unscored ones are left out."""
        ...

    def top(
        self, target: ScoreTarget, limit: int, *, by: str = "popularity", version: int | None = None
    ) -> list[Score]:
        """The best-scored targets by ``popularity`` or ``quality``, best first (ties by target ID)."""
        ...

    def scores_of(self, version: int, target: ScoreTarget, batch_size: int = 5000) -> Iterator[list[Score]]:
        """Every score of ``target`` kind in ``version``, in target-ID order, in batches (consume it inside
        the unit of work that produced it)."""
        ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...

    def list(
        self, *, action: str | None = None, limit: int = 50, since: datetime | None = None, offset: int = 0
    ) -> list[AuditEntry]:
        """Newest first, skipping the ``offset`` newest; with ``since``, only entries at or after that
        instant."""
        ...
