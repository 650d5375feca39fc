"""What a learning run changed: how many chunks' scores moved against the previous version, and which most.

The audit log records this with every run, so an operator can see what the nightly job did to retrieval
without diffing tables. A chunk without a score behaves like one with popularity 0 and the prior quality
(that is what retrieval assumes), so a chunk that gains or loses its score is compared against that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from luna.domain.scores import Score

#: Differences below this are rounding, not movement.
EPSILON: Final = 1e-12
TOP_MOVERS: Final = 10


@dataclass(frozen=True, slots=True)
class Mover:
    chunk_id: str
    popularity_before: float
    popularity_after: float
    quality_before: float
    quality_after: float

    @property
    def shift(self) -> float:
        return max(
            abs(self.popularity_after - self.popularity_before), abs(self.quality_after - self.quality_before)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "popularity": [self.popularity_before, self.popularity_after],
            "quality": [self.quality_before, self.quality_after],
        }


@dataclass(frozen=True, slots=True)
class ScoreChanges:
    """``moved``: chunks scored before and now whose scores differ; ``added``/``removed``: chunks that
    gained or lost their score; ``top``: the largest shifts of all three, largest first."""

    previous_version: int | None
    moved: int
    added: int
    removed: int
    top: list[Mover] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.moved + self.added + self.removed

    def as_dict(self) -> dict[str, Any]:
        return {
            "previous_version": self.previous_version,
            "changed": self.changed,
            "moved": self.moved,
            "added": self.added,
            "removed": self.removed,
            "top_movers": [mover.as_dict() for mover in self.top],
        }


def compare(
    previous: Mapping[str, Score],
    current: Iterable[Score],
    *,
    prior_mean: float,
    previous_version: int | None,
    top: int = TOP_MOVERS,
) -> ScoreChanges:
    """Compare chunk scores by target ID; ties among the top movers are ordered by chunk ID."""
    moved = added = 0
    seen: set[str] = set()
    movers: list[Mover] = []
    for score in current:
        seen.add(score.target_id)
        before = previous.get(score.target_id)
        mover = Mover(
            score.target_id,
            before.popularity if before else 0.0,
            score.popularity,
            before.quality if before else prior_mean,
            score.quality,
        )
        if before is None:
            added += 1
        elif mover.shift > EPSILON:
            moved += 1
        else:
            continue
        movers.append(mover)
    gone = [score for target_id, score in previous.items() if target_id not in seen]
    movers += [Mover(s.target_id, s.popularity, 0.0, s.quality, prior_mean) for s in gone]
    movers.sort(key=lambda mover: (-mover.shift, mover.chunk_id))
    return ScoreChanges(previous_version, moved, added, len(gone), movers[:top])
