"""What the recommender knows about one user: an interest vector, topics, and what not to show again.

The profile is the seed's "Avg-Embeddings" (001 §4): the weighted mean of the passage vectors of the
chunks in the user's newest positive events (``recommend.profile_events`` of view, click, like,
solve). An event weighs its type's ``learning.event_weights`` (a like counts more than a view) times
``0.5 ** (age / learning.half_life_days)``, so interests drift with what the user reads now. The
vectors are the ones in the vector index: nothing is embedded again. An event naming only an item
stands for the item's first chunks.

Exclusions follow the user's explicit signals:

- a disliked chunk is never shown again, and neither is the rest of its item, unless the user liked
  or solved something of that item after the dislike (a dislike is usually about the document);
- chunks the user already clicked, liked or solved (among the profile's events) are not recommended
  again: they have read them.

A user who withdrew consent to learning (``consent`` scope ``learning``; no record means
``learning.consent_default``) gets no profile, so the cold-start lists; their dislikes still apply,
since not showing something is their instruction, not something learnt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from luna.domain.bandit import COLD, WARM
from luna.domain.events import LEARNING_SCOPE, Event, EventType
from luna.domain.recommend_reasons import topics_of
from luna.ports.sql import UnitOfWork
from luna.ports.vectors import VectorIndex

Vector = npt.NDArray[np.float64]

POSITIVE_TYPES = frozenset({EventType.VIEW, EventType.CLICK, EventType.LIKE, EventType.SOLVE})
CONSUMED_TYPES = frozenset({EventType.CLICK, EventType.LIKE, EventType.SOLVE})
#: Dislikes read per request: enough for any real user, bounded for a runaway client.
MAX_DISLIKES = 5000
#: Chunks that stand for an item when an event names the item only.
CHUNKS_PER_ITEM_EVENT = 3


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chunk of the profile with its item's title: "similar to … you read" points at the closest."""

    vector: Vector
    title: str | None
    item_id: str


@dataclass(slots=True)
class UserProfile:
    user_id: str | None
    #: The user has a record (customers get one on first sight; an operator may ask about any UUID).
    known: bool = False
    #: False when the user withdrew consent to learning: then no profile is built.
    personalized: bool = True
    vector: Vector | None = None
    #: Topic → summed event weight of the profile's items that have the topic.
    interests: dict[str, float] = field(default_factory=dict)
    anchors: list[Anchor] = field(default_factory=list)
    excluded_chunks: set[str] = field(default_factory=set)
    excluded_items: set[str] = field(default_factory=set)
    events_used: int = 0

    @property
    def segment(self) -> str:
        return WARM if self.vector is not None else COLD


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    profile_events: int
    event_weights: Mapping[str, float]
    half_life_days: float
    consent_default: bool


def build_profile(
    uow: UnitOfWork,
    vectors: VectorIndex,
    collection: str,
    user_id: str | None,
    settings: ProfileSettings,
    now: datetime,
) -> UserProfile:
    profile = UserProfile(user_id=user_id)
    if user_id is None or uow.users.get(user_id) is None:
        return profile
    profile.known = True
    consent = uow.consent.current(user_id, LEARNING_SCOPE)
    profile.personalized = settings.consent_default if consent is None else consent.granted
    positives = uow.events.for_user(user_id, types=POSITIVE_TYPES, limit=settings.profile_events)
    dislikes = uow.events.for_user(user_id, types={EventType.DISLIKE}, limit=MAX_DISLIKES)
    _exclusions(profile, positives, dislikes)
    if profile.personalized and positives:
        _interests(uow, vectors, collection, profile, positives, settings, now)
    return profile


def _exclusions(profile: UserProfile, positives: Sequence[Event], dislikes: Sequence[Event]) -> None:
    profile.excluded_chunks.update(
        event.chunk_id for event in positives if event.type in CONSUMED_TYPES and event.chunk_id
    )
    newest_positive: dict[str, datetime] = {}
    for event in positives:
        if event.item_id and event.type in (EventType.LIKE, EventType.SOLVE):
            seen = newest_positive.get(event.item_id)
            newest_positive[event.item_id] = event.ts if seen is None else max(seen, event.ts)
    for event in dislikes:
        if event.chunk_id:
            profile.excluded_chunks.add(event.chunk_id)
        forgiven = event.item_id in newest_positive and newest_positive[event.item_id] > event.ts
        if event.item_id and not forgiven:
            profile.excluded_items.add(event.item_id)


def _interests(
    uow: UnitOfWork,
    vectors: VectorIndex,
    collection: str,
    profile: UserProfile,
    events: Sequence[Event],
    settings: ProfileSettings,
    now: datetime,
) -> None:
    """Fill the profile vector, topics and anchors from ``events`` (newest first).

    Topics and titles come from the vector payloads (the item's fields when it was indexed), so the
    profile costs no query per item.
    """
    weighted: list[tuple[str, float]] = []  # (chunk_id, weight)
    for event in events:
        weight = _event_weight(event, settings, now)
        if weight <= 0:
            continue
        if event.chunk_id:
            weighted.append((event.chunk_id, weight))
        elif event.item_id:
            chunks = uow.chunks.list_for_item(event.item_id)[:CHUNKS_PER_ITEM_EVENT]
            weighted.extend((chunk.chunk_id, weight / len(chunks)) for chunk in chunks)
    if not weighted:
        return
    wanted = list(dict.fromkeys(chunk_id for chunk_id, _ in weighted))
    points = {point.point_id: point for point in vectors.get(collection, wanted)}
    total: Vector | None = None
    anchors: dict[str, Anchor] = {}
    for chunk_id, weight in weighted:
        point = points.get(chunk_id)
        if point is None:
            continue
        vector = _unit(np.asarray(point.vector, dtype=np.float64))
        total = weight * vector if total is None else total + weight * vector
        profile.events_used += 1
        tags = point.payload.get("tags") or []
        title = point.payload.get("title")
        for topic in (topics := topics_of([str(tag) for tag in tags], title)):
            profile.interests[topic] = profile.interests.get(topic, 0.0) + weight / len(topics)
        anchors.setdefault(chunk_id, Anchor(vector, title, str(point.payload.get("item_id", ""))))
    if total is not None and np.linalg.norm(total) > 0:
        profile.vector = _unit(total)
        profile.anchors = list(anchors.values())


def _event_weight(event: Event, settings: ProfileSettings, now: datetime) -> float:
    age_days = max((now - event.ts) / timedelta(days=1), 0.0)
    decay: float = 0.5 ** (age_days / settings.half_life_days)
    return settings.event_weights.get(event.type.value, 0.0) * decay


def _unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
