"""Versioned popularity and quality scores of chunks and items, written by the learning job.

Each run writes a new version; retrieval and the recommender read the newest one. Scores depend only
on the job's inputs and its ``as_of`` time (the newest input's timestamp unless given), so running the
job twice on the same data gives the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ScoreTarget(StrEnum):
    CHUNK = "chunk"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class Score:
    """``popularity``: time-decayed weighted events, scaled to 0..1 by the run's maximum.
    ``quality``: Bayesian-smoothed share of useful ratings (the prior mean when never rated)."""

    target: ScoreTarget
    target_id: str
    popularity: float
    quality: float
    events: int = 0
    positives: int = 0
    negatives: int = 0


@dataclass(frozen=True, slots=True)
class ScoreVersion:
    version: int
    computed_at: datetime
    as_of: datetime
    actor: str
    inputs_sha256: str
    chunks: int
    items: int
    params: dict[str, Any] = field(default_factory=dict)
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what when, with what effect (the learning job writes one per run)."""

    audit_id: str
    ts: datetime
    actor: str
    action: str
    target: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
