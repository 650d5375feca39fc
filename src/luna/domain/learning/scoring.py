"""Popularity and quality of chunks and items, computed from a stream of events and ratings.

**Popularity**: every event of weight ``w`` (``learning.event_weights`` by type) that happened ``Δ`` before
``as_of`` counts ``w · 0.5^(Δ / half_life)``. A chunk sums its own events; an item sums the events of all
its chunks (archived ones too: the user read an earlier version of the item) plus the events that name
only the item. Each kind is scaled to 0..1 by the run's largest sum, negative sums (negative weights)
count as 0.

**Quality**: ``(positives + prior_mean · prior_weight) / (positives + negatives + prior_weight)``. A rated
answer is one positive (useful) or negative for each chunk it cited and once for each item behind those
chunks. ``like`` and ``dislike`` events are explicit judgements of a chunk, so they count as a positive
or negative rating as well as by their popularity weight: a chunk that readers keep disliking loses
quality even though it is viewed often.

**Determinism**: ``as_of`` is the newest input's timestamp unless given (never the wall clock), events
after a given ``as_of`` are left out, and each input is folded in exactly once in the order the
repositories guarantee, so the same inputs give bit-identical scores. Per target only a running decayed
sum is kept (rescaled to the target's newest event), so a million events need no more memory than the
targets they name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from luna.domain.events import Event, EventType, RagFeedback
from luna.domain.learning.fingerprint import InputsDigest
from luna.domain.scores import Score, ScoreTarget

SECONDS_PER_DAY: Final = 86_400.0

#: Events that judge a chunk explicitly: True counts as a useful rating, False as a useless one.
JUDGEMENTS: Final[Mapping[str, bool]] = {EventType.LIKE.value: True, EventType.DISLIKE.value: False}


@dataclass(frozen=True, slots=True)
class LearningParams:
    """Everything besides the inputs that decides the scores; stored with each version and hashed."""

    half_life_days: float
    event_weights: Mapping[str, float]
    prior_mean: float
    prior_weight: float
    consent_default: bool

    def __post_init__(self) -> None:
        if not (math.isfinite(self.half_life_days) and self.half_life_days > 0):
            raise ValueError(f"half_life_days must be positive, got {self.half_life_days}")
        if not 0.0 <= self.prior_mean <= 1.0:
            raise ValueError(f"prior_mean must lie in [0, 1], got {self.prior_mean}")
        if not (math.isfinite(self.prior_weight) and self.prior_weight > 0):
            raise ValueError(f"prior_weight must be positive, got {self.prior_weight}")
        if any(not math.isfinite(weight) for weight in self.event_weights.values()):
            raise ValueError("event weights must be finite")

    @property
    def half_life_sec(self) -> float:
        return self.half_life_days * SECONDS_PER_DAY

    def weight(self, event_type: str) -> float:
        return float(self.event_weights.get(event_type, 0.0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "half_life_days": self.half_life_days,
            "event_weights": {name: float(weight) for name, weight in sorted(self.event_weights.items())},
            "quality_prior_mean": self.prior_mean,
            "quality_prior_weight": self.prior_weight,
            "consent_default": self.consent_default,
            "judgements": "one voice per reader and target (the latest)",
        }


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """What scoring needs to know about a chunk named by an input: its item and whether it is archived."""

    item_id: str
    archived: bool


#: Looks up chunks by ID (archived ones included); unknown IDs are left out of the answer.
Resolver = Callable[[Collection[str]], Mapping[str, ChunkRef]]


def quality(positives: int, negatives: int, prior_mean: float, prior_weight: float) -> float:
    """Bayesian-smoothed share of useful ratings: the prior counts as ``prior_weight`` ratings."""
    return (positives + prior_mean * prior_weight) / (positives + negatives + prior_weight)


class _Tally:
    """One target's inputs: a decayed weight sum referenced to its newest event, and counters.

    ``decayed`` is ``Σ w · 0.5^((reference − ts) / half_life)``; every factor is at most 1, so the sum
    neither overflows nor depends on where the clock's zero lies.
    """

    __slots__ = ("decayed", "events", "negatives", "positives", "reference")

    def __init__(self) -> None:
        self.decayed = 0.0
        self.reference: float | None = None
        self.events = 0
        self.positives = 0
        self.negatives = 0

    def add(self, weight: float, at: float, half_life_sec: float) -> None:
        if self.reference is None:
            self.decayed, self.reference = weight, at
        elif at >= self.reference:
            self.decayed = self.decayed * math.pow(0.5, (at - self.reference) / half_life_sec) + weight
            self.reference = at
        else:
            self.decayed += weight * math.pow(0.5, (self.reference - at) / half_life_sec)

    def judge(self, useful: bool, count: int = 1) -> None:
        if useful:
            self.positives += count
        else:
            self.negatives += count

    def value_at(self, at: float, half_life_sec: float) -> float:
        if self.reference is None:
            return 0.0
        return self.decayed * math.pow(0.5, (at - self.reference) / half_life_sec)


@dataclass(frozen=True, slots=True)
class LearnedScores:
    """One run's outcome: scores of the live chunks and items that have any input, sorted by ID."""

    as_of: datetime
    inputs_sha256: str
    chunks: list[Score]
    items: list[Score]
    events: int
    ratings: int
    params: dict[str, Any] = field(default_factory=dict)


class ScoreAccumulator:
    """Folds batches of events and ratings into per-target tallies, then scores the live targets.

    ``resolve`` names the item of each chunk an input mentions (asked once per chunk, per batch);
    ``finish`` is given the items that are live (indexed) and scores only those and their current
    (not archived) chunks.
    """

    def __init__(self, params: LearningParams, *, as_of: datetime | None, resolve: Resolver) -> None:
        if as_of is not None and as_of.utcoffset() is None:
            raise ValueError("as_of must carry a time zone")
        self._params = params
        self._as_of = as_of
        self._resolve = resolve
        self._refs: dict[str, ChunkRef] = {}
        self._unknown: set[str] = set()
        self._chunks: dict[str, _Tally] = {}
        self._items: dict[str, _Tally] = {}
        self._newest: datetime | None = None
        #: Each reader's latest judgement per target, and the (reader, target, type) whose weight counted.
        self._verdicts: dict[tuple[str, str, str], bool] = {}
        self._weighed: set[tuple[str, str, str, str]] = set()
        self._digest = InputsDigest()
        self.events = 0
        self.ratings = 0

    def add_events(self, events: Iterable[Event]) -> None:
        batch = [event for event in events if self._in_time(event.ts) and self._counts(event.type)]
        self._learn_chunks(event.chunk_id for event in batch if event.chunk_id)
        for event in batch:
            ref = self._refs.get(event.chunk_id) if event.chunk_id else None
            item_id = ref.item_id if ref is not None else event.item_id
            if ref is None and item_id is None:
                continue  # names neither a known chunk nor an item: nothing to credit
            targets = [(ScoreTarget.ITEM.value, item_id, self._items)] if item_id else []
            if ref is not None and event.chunk_id:
                targets.append((ScoreTarget.CHUNK.value, event.chunk_id, self._chunks))
            at = event.ts.timestamp()
            for kind, target_id, tallies in targets:
                tally = tallies.setdefault(target_id, _Tally())
                tally.events += 1
                self._fold(event, (event.user_id, kind, target_id), tally, at)
            self._used(event.ts)
            self._digest.event(event)
            self.events += 1

    def _fold(self, event: Event, voter: tuple[str, str, str], tally: _Tally, at: float) -> None:
        """One event's weight and judgement on one target, a reader's repeated judgements counted once."""
        weight = self._params.weight(event.type)
        judgement = JUDGEMENTS.get(event.type)
        if judgement is not None:
            earlier = self._verdicts.get(voter)
            if earlier is not None:
                tally.judge(earlier, count=-1)
            tally.judge(judgement)
            self._verdicts[voter] = judgement
            if (*voter, event.type) in self._weighed:
                return
            self._weighed.add((*voter, event.type))
        if weight:
            tally.add(weight, at, self._params.half_life_sec)

    def add_ratings(self, ratings: Iterable[RagFeedback]) -> None:
        batch = [rating for rating in ratings if self._in_time(rating.ts) and rating.chunks_used]
        self._learn_chunks(chunk_id for rating in batch for chunk_id in rating.chunks_used)
        for rating in batch:
            cited = sorted({chunk_id for chunk_id in rating.chunks_used if chunk_id in self._refs})
            if not cited:
                continue  # every cited chunk is gone: the rating cannot be credited to anything
            for chunk_id in cited:
                self._chunks.setdefault(chunk_id, _Tally()).judge(rating.useful)
            for item_id in sorted({self._refs[chunk_id].item_id for chunk_id in cited}):
                self._items.setdefault(item_id, _Tally()).judge(rating.useful)
            self._used(rating.ts)
            self._digest.rating(rating)
            self.ratings += 1

    def item_ids(self) -> set[str]:
        """Every item an input was credited to: the candidates ``finish`` asks to be checked."""
        return set(self._items)

    def finish(self, live_items: Collection[str], *, fallback_as_of: datetime) -> LearnedScores:
        """Score the live targets. ``fallback_as_of`` is only the recorded time of a run without inputs."""
        as_of = self._as_of or self._newest or fallback_as_of
        live_chunks = {
            chunk_id: tally
            for chunk_id, tally in self._chunks.items()
            if not self._refs[chunk_id].archived and self._refs[chunk_id].item_id in live_items
        }
        live = {item_id: tally for item_id, tally in self._items.items() if item_id in live_items}
        for chunk_id in sorted(live_chunks):
            self._digest.target(ScoreTarget.CHUNK.value, chunk_id, self._refs[chunk_id].item_id)
        for item_id in sorted(live):
            self._digest.target(ScoreTarget.ITEM.value, item_id, item_id)
        params = self._params.as_dict()
        self._digest.params({**params, "as_of": as_of.isoformat() if self._as_of else "newest input"})
        return LearnedScores(
            as_of=as_of,
            inputs_sha256=self._digest.hexdigest(),
            chunks=self._scores(ScoreTarget.CHUNK, live_chunks, as_of),
            items=self._scores(ScoreTarget.ITEM, live, as_of),
            events=self.events,
            ratings=self.ratings,
            params=params,
        )

    def _scores(self, target: ScoreTarget, tallies: Mapping[str, _Tally], as_of: datetime) -> list[Score]:
        half_life, at = self._params.half_life_sec, as_of.timestamp()
        raw = {target_id: max(tally.value_at(at, half_life), 0.0) for target_id, tally in tallies.items()}
        top = max(raw.values(), default=0.0)
        prior_mean, prior_weight = self._params.prior_mean, self._params.prior_weight
        return [
            Score(
                target=target,
                target_id=target_id,
                popularity=raw[target_id] / top if top > 0 else 0.0,
                quality=quality(tally.positives, tally.negatives, prior_mean, prior_weight),
                events=tally.events,
                positives=tally.positives,
                negatives=tally.negatives,
            )
            for target_id, tally in sorted(tallies.items())
        ]

    def _in_time(self, ts: datetime) -> bool:
        return self._as_of is None or ts <= self._as_of

    def _counts(self, event_type: str) -> bool:
        """Only events with a popularity weight or a judgement shape scores (``recommend`` logs do not)."""
        return self._params.weight(event_type) != 0 or event_type in JUDGEMENTS

    def _learn_chunks(self, chunk_ids: Iterable[str]) -> None:
        wanted = {chunk_id for chunk_id in chunk_ids if chunk_id not in self._refs}
        wanted -= self._unknown
        if not wanted:
            return
        found = self._resolve(sorted(wanted))
        self._refs.update({chunk_id: ref for chunk_id, ref in found.items() if chunk_id in wanted})
        self._unknown |= wanted - set(found)

    def _used(self, ts: datetime) -> None:
        if self._newest is None or ts > self._newest:
            self._newest = ts
