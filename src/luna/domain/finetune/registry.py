"""The adapter registry's states and moves: candidate → champion → archived, and back by rollback.

One adapter name has at most one champion, the adapter the chat backend serves. Promoting a version
archives the champion it replaces; a rollback marks the champion ``rolled_back`` and restores the
archived one promoted last before it (or none: then the base model answers); a rolled-back version is
never restored by a later rollback, only by a deliberate promotion. Every version keeps its metrics
and gate results, so a rollback never needs a new evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AdapterState(StrEnum):
    CANDIDATE = "candidate"
    CHAMPION = "champion"
    ARCHIVED = "archived"
    #: Archived by a rollback: never restored by a later rollback.
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True, slots=True)
class AdapterVersion:
    """One trained adapter: where its files lie (``blob_prefix``) and what it was measured at."""

    name: str
    version: int
    state: AdapterState
    created_at: datetime
    base_model: str
    #: ``<dataset>@v<number>``: the dataset version it was trained on.
    dataset: str
    #: The job (or CLI run) that made it, and the MLflow run ID when tracking was on.
    run_id: str
    blob_prefix: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    #: ``{"passed": bool, "checks": [{"gate", "value", "threshold", "passed"}, ...]}``
    gates: Mapping[str, Any] = field(default_factory=dict)
    #: When it last became champion (kept when archived: rollback restores the latest before).
    promoted_at: datetime | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"


def previous_champion(versions: Sequence[AdapterVersion], current: AdapterVersion) -> AdapterVersion | None:
    """The version a rollback from ``current`` restores: the last one promoted before it."""
    if current.promoted_at is None:
        return None
    promoted = current.promoted_at
    earlier = [
        (v.promoted_at, v.version, v)
        for v in versions
        if v.state is AdapterState.ARCHIVED and v.promoted_at is not None and v.promoted_at < promoted
    ]
    return max(earlier, key=lambda row: (row[0], row[1]))[2] if earlier else None
