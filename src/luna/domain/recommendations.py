"""What ``POST /recommend`` answers: chunks worth reading and, for meter-linked users, energy advice."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RecommendationKind(StrEnum):
    CONTENT = "content"
    ENERGY = "energy"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """``chunk_id`` is empty for energy advice; ``reason`` is one short German sentence."""

    chunk_id: str | None
    score: float
    payload: dict[str, Any]
    reason: str
    kind: RecommendationKind = RecommendationKind.CONTENT


@dataclass(frozen=True, slots=True)
class Recommendations:
    items: list[Recommendation]
    #: The strategy the bandit chose for this answer (``content``, ``popular``, ``fresh`` …).
    strategy: str
    #: The ``recommend`` event that logged this answer: clicks that name it credit the strategy.
    recommendation_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
