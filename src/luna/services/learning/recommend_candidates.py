"""Candidates for one recommendation list: gathered per strategy, checked against SQL, scored, diversified.

Sources (each fetches a pool a few times larger than the list, plus room for the exclusions):

- ``content``: nearest chunks to the user's profile vector in the active vector collection;
- ``popular``: the best chunks and items by popularity in the newest learning version;
- ``fresh``: the newest indexed items (their first chunks); the ``popular`` strategy takes them too,
  ranked behind anything popular, so it still answers before the learning job ever ran.

Every candidate is then read back from SQL like a search hit: archived chunks, items that are not
indexed (or archived), excluded chunks and items, and chunks without a vector are dropped. What is
left gets three signals in 0..1 — ``content`` (cosine to the profile, min–max scaled over the pool),
``popularity`` (the learning job's, already 0..1) and ``freshness`` (``0.5 ** (age / half-life)`` of the
item's last update) — mixed with the strategy's weights and scaled by quality (``0.75 + 0.5 ·
quality``: a chunk rated useless loses a quarter, a useful one gains as much). MMR then picks the list
with at most :data:`MAX_CHUNKS_PER_ITEM` chunks per item.

A strategy's pool can run dry: the content pool of a reader of one long law is that law's chunks, of
which the cap lets two through. The list is then filled up from the sources the strategy does not use
(content, popular, fresh, in this order), and last from every indexed item, newest first
(:data:`EVERYTHING`). Each filling candidate is scored, and its reason given, by the strategy its
source stands for, and MMR continues the list picked so far. Only when all of that leaves the list
short, the knowledge base holds fewer documents than the list is long: then the cap is lifted and more
chunks of the same documents fill it, so a list is shorter than asked only when there are fewer
eligible chunks than that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np

from luna.domain.bandit import BLEND, COLD, CONTENT, FRESH, POPULAR, WARM
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.mmr import cosine_matrix, mmr, rescale
from luna.domain.recommend_reasons import (
    COLD_START_REASON,
    FRESH_REASON,
    POPULAR_REASON,
    PROFILE_REASON,
    best_topic,
    interest_reason,
    similar_reason,
    topics_of,
)
from luna.domain.scores import Score, ScoreTarget
from luna.ports.sql import UnitOfWork
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.indexing import chunk_payload
from luna.services.learning.recommend_profile import UserProfile, Vector

MAX_CHUNKS_PER_ITEM: Final = 2
#: Chunks of each fresh or popular item taken as candidates.
CHUNKS_PER_ITEM: Final = 2
MIN_POOL: Final = 30
#: Fewest fresh or popular items looked at (more for longer lists).
MIN_ITEMS: Final = 10
MAX_POOL: Final = 400
#: The last source of a list that is still short: every indexed item, newest first.
EVERYTHING: Final = "everything"
#: Sources a short list is filled up from, in this order, after the strategy's own.
FILL_ORDER: Final = (CONTENT, POPULAR, FRESH, EVERYTHING)
#: Items read per query while walking the whole knowledge base.
ITEM_PAGE: Final = 100


@dataclass(frozen=True, slots=True)
class Weights:
    content: float
    popularity: float
    freshness: float


#: (segment, strategy) → weights. A small secondary weight breaks ties (popular items of equal, often
#: zero, popularity before the learning job ever ran) by a signal that is honest to name.
STRATEGY_WEIGHTS: Mapping[tuple[str, str], Weights] = {
    (WARM, CONTENT): Weights(1.0, 0.0, 0.0),
    (WARM, POPULAR): Weights(0.0, 1.0, 0.05),
    (WARM, FRESH): Weights(0.0, 0.05, 1.0),
    (WARM, BLEND): Weights(0.6, 0.25, 0.15),
    (COLD, POPULAR): Weights(0.0, 1.0, 0.05),
    (COLD, FRESH): Weights(0.0, 0.05, 1.0),
    (COLD, BLEND): Weights(0.0, 0.6, 0.4),
    (WARM, EVERYTHING): Weights(0.6, 0.25, 0.15),
    (COLD, EVERYTHING): Weights(0.0, 0.6, 0.4),
}
_SOURCES: Mapping[str, tuple[str, ...]] = {
    CONTENT: (CONTENT,),
    POPULAR: (POPULAR, FRESH),
    FRESH: (FRESH,),
    BLEND: (CONTENT, POPULAR, FRESH),
    EVERYTHING: (EVERYTHING,),
}


@dataclass(slots=True)
class Candidate:
    chunk: ItemChunk
    item: Item
    vector: Vector
    #: The strategy whose source found it: its weights score the candidate and name the reason.
    strategy: str
    content: float = 0.0
    popularity: float = 0.0
    quality: float | None = None
    freshness: float = 0.0
    score: float = 0.0
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ranked:
    chunk_id: str
    score: float
    payload: dict[str, Any]
    reason: str


def rank(
    uow: UnitOfWork,
    vectors: VectorIndex,
    collection: str,
    profile: UserProfile,
    strategy: str,
    k: int,
    *,
    mmr_lambda: float,
    freshness_half_life_days: float,
    now: datetime,
) -> list[Ranked]:
    """The best ``k`` chunks for ``profile`` under ``strategy``, filled up when its pool runs dry (see
    the module)."""
    if k <= 0:
        return []
    pool = _Pool(uow, vectors, collection, profile, k, freshness_half_life_days, now)
    picks: list[int] = []
    for source in _sources_in_order(strategy, profile):
        pool.add(source, k - len(picks))
        picks = pool.pick(k, picks, mmr_lambda, MAX_CHUNKS_PER_ITEM)
        if len(picks) >= k:
            break
    if len(picks) < k:
        pool.add_more_of_each_item(k - len(picks), picks)
        picks = pool.pick(k, picks, mmr_lambda, None)
    return [_ranked(pool.candidates[index], profile) for index in picks]


def _sources_in_order(strategy: str, profile: UserProfile) -> list[str]:
    """The strategy itself, then each fill-up source it does not already draw from (content only for a
    profile), ``everything`` last."""
    own = _SOURCES[strategy]
    rest = [
        source
        for source in FILL_ORDER
        if source not in own and (source != CONTENT or profile.vector is not None)
    ]
    return [strategy, *rest]


class _Pool:
    """The candidates of one list, gathered source after source and each scored by the strategy whose
    source found it; chunk IDs are looked at once (kept or dropped), items read once."""

    def __init__(
        self,
        uow: UnitOfWork,
        vectors: VectorIndex,
        collection: str,
        profile: UserProfile,
        k: int,
        half_life_days: float,
        now: datetime,
    ) -> None:
        self._uow, self._vectors, self._collection = uow, vectors, collection
        self._profile, self._k, self._half_life_days, self._now = profile, k, half_life_days, now
        self._size = min(max(MIN_POOL, 4 * k) + len(profile.excluded_chunks), MAX_POOL)
        self._items: dict[str, Item | None] = {}
        self._seen: set[str] = set()
        self.candidates: list[Candidate] = []

    def add(self, strategy: str, need: int) -> None:
        """The candidates of ``strategy``'s sources that are not in the pool yet."""
        ids: dict[str, None] = {}
        for source in _SOURCES[strategy]:
            ids.update(dict.fromkeys(self._source_ids(source, need)))
        self._keep(strategy, list(ids))

    def add_more_of_each_item(self, need: int, picks: Sequence[int]) -> None:
        """Further chunks of the items, when those in the pool cannot fill the list without the cap."""
        if len(self.candidates) - len(picks) < need:
            self._keep(EVERYTHING, _everything(self._uow, self._profile, self._seen, self._items, need, need))

    def pick(self, k: int, start: list[int], mmr_lambda: float, cap: int | None) -> list[int]:
        """The list picked so far (``start``), continued by MMR over the whole pool."""
        if not self.candidates:
            return start
        matrix = np.vstack([candidate.vector for candidate in self.candidates])
        return mmr(
            [candidate.score for candidate in self.candidates],
            rescale(cosine_matrix(matrix)),
            k,
            lambda_=mmr_lambda,
            groups=[candidate.item.item_id for candidate in self.candidates],
            max_per_group=cap,
            start=start,
        )

    def _source_ids(self, source: str, need: int) -> list[str]:
        uow, profile = self._uow, self._profile
        if source == CONTENT and profile.vector is not None:
            return [
                hit.point_id
                for hit in self._vectors.search(self._collection, profile.vector.tolist(), self._size)
            ]
        if source == POPULAR:
            return _popular(uow, self._size, max(self._k // 2, MIN_ITEMS))
        if source == FRESH:
            return _fresh(uow, max(self._k, MIN_ITEMS) + len(profile.excluded_items), self._items)
        if source == EVERYTHING:
            return _everything(uow, profile, self._seen, self._items, CHUNKS_PER_ITEM, CHUNKS_PER_ITEM * need)
        return []

    def _keep(self, strategy: str, chunk_ids: Sequence[str]) -> None:
        new = [chunk_id for chunk_id in dict.fromkeys(chunk_ids) if chunk_id not in self._seen]
        self._seen.update(new)
        found = _hydrate(
            self._uow, self._vectors, self._collection, new, self._profile, self._items, strategy
        )
        if not found:
            return
        _signals(self._uow, found, self._profile, self._half_life_days, self._now)
        weights = STRATEGY_WEIGHTS[(self._profile.segment, strategy)]
        for candidate in found:
            mixed = (
                weights.content * candidate.content
                + weights.popularity * candidate.popularity
                + weights.freshness * candidate.freshness
            )
            quality = 0.5 if candidate.quality is None else candidate.quality
            candidate.score = mixed * (0.75 + 0.5 * quality)
        self.candidates.extend(found)


def _popular(uow: UnitOfWork, pool: int, item_count: int) -> list[str]:
    """The most popular chunks, and the first chunks of the most popular items (events that name an
    item only make the item popular, not a chunk)."""
    chunk_ids = [score.target_id for score in uow.scores.top(ScoreTarget.CHUNK, pool) if score.popularity > 0]
    for score in uow.scores.top(ScoreTarget.ITEM, item_count):
        if score.popularity > 0:
            chunk_ids.extend(
                chunk.chunk_id for chunk in uow.chunks.list_for_item(score.target_id)[:CHUNKS_PER_ITEM]
            )
    return chunk_ids


def _fresh(uow: UnitOfWork, item_count: int, items: dict[str, Item | None]) -> list[str]:
    newest = uow.items.list(status=ItemStatus.INDEXED, limit=item_count)
    items.update((item.item_id, item) for item in newest)
    return [
        chunk.chunk_id
        for item in newest
        for chunk in uow.chunks.list_for_item(item.item_id)[:CHUNKS_PER_ITEM]
    ]


def _everything(
    uow: UnitOfWork,
    profile: UserProfile,
    seen: set[str],
    items: dict[str, Item | None],
    per_item: int,
    enough: int,
) -> list[str]:
    """Up to ``per_item`` chunks not looked at yet of each indexed item the user did not exclude,
    newest item first, until ``enough`` are found or every item was read: the last resort of a short
    list, so it stays short only when the knowledge base has nothing more to give."""
    found: list[str] = []
    offset = 0
    while len(found) < enough:
        page = uow.items.list(status=ItemStatus.INDEXED, limit=ITEM_PAGE, offset=offset)
        for item in page:
            items.setdefault(item.item_id, item)
            if item.item_id in profile.excluded_items:
                continue
            chunks = uow.chunks.list_for_item(item.item_id)
            unseen = [
                c.chunk_id
                for c in chunks
                if c.chunk_id not in seen and c.chunk_id not in profile.excluded_chunks
            ]
            found.extend(unseen[:per_item])
            if len(found) >= enough:
                break
        if len(page) < ITEM_PAGE:
            break
        offset += ITEM_PAGE
    return found


def _hydrate(
    uow: UnitOfWork,
    vectors: VectorIndex,
    collection: str,
    chunk_ids: Sequence[str],
    profile: UserProfile,
    items: dict[str, Item | None],
    strategy: str,
) -> list[Candidate]:
    """The candidates SQL and the vector index both vouch for, minus the user's exclusions."""
    wanted = [chunk_id for chunk_id in chunk_ids if chunk_id not in profile.excluded_chunks]
    chunks = [chunk for chunk in uow.chunks.get_many(wanted) if not chunk.archived]
    kept: list[tuple[ItemChunk, Item]] = []
    for chunk in chunks:
        if chunk.item_id in profile.excluded_items:
            continue
        if chunk.item_id not in items:
            items[chunk.item_id] = uow.items.get(chunk.item_id)
        item = items[chunk.item_id]
        if item is not None and item.status == ItemStatus.INDEXED and item.archived_at is None:
            kept.append((chunk, item))
    points = {
        point.point_id: point for point in vectors.get(collection, [chunk.chunk_id for chunk, _ in kept])
    }
    return [
        Candidate(chunk, item, np.asarray(points[chunk.chunk_id].vector, dtype=np.float64), strategy)
        for chunk, item in kept
        if chunk.chunk_id in points
    ]


def _signals(
    uow: UnitOfWork,
    candidates: Sequence[Candidate],
    profile: UserProfile,
    half_life_days: float,
    now: datetime,
) -> None:
    chunk_scores = uow.scores.get_many(ScoreTarget.CHUNK, [c.chunk.chunk_id for c in candidates])
    item_scores = uow.scores.get_many(ScoreTarget.ITEM, list({c.item.item_id for c in candidates}))
    if profile.vector is not None:
        matrix = np.vstack([c.vector / (np.linalg.norm(c.vector) or 1.0) for c in candidates])
        content = rescale(matrix @ profile.vector)
        for candidate, value in zip(candidates, content, strict=True):
            candidate.content = float(value)
    for candidate in candidates:
        own: Score | None = chunk_scores.get(candidate.chunk.chunk_id)
        parent: Score | None = item_scores.get(candidate.item.item_id)
        if own is not None:
            candidate.popularity, candidate.quality = own.popularity, own.quality
        elif parent is not None:
            candidate.popularity, candidate.quality = 0.5 * parent.popularity, parent.quality
        changed = candidate.item.updated_at or candidate.item.created_at or now
        age_days = max((now - changed) / timedelta(days=1), 0.0)
        candidate.freshness = 0.5 ** (age_days / half_life_days)
        candidate.topics = topics_of(candidate.item.tags, candidate.item.title)


def _ranked(candidate: Candidate, profile: UserProfile) -> Ranked:
    signals = {
        "content": round(candidate.content, 4),
        "popularity": round(candidate.popularity, 4),
        "freshness": round(candidate.freshness, 4),
        "quality": None if candidate.quality is None else round(candidate.quality, 4),
    }
    payload = {
        **chunk_payload(candidate.item, candidate.chunk),
        "text": candidate.chunk.text,
        "topics": candidate.topics,
        "signals": signals,
    }
    return Ranked(
        candidate.chunk.chunk_id,
        round(candidate.score, 6),
        payload,
        _reason(candidate, profile),
    )


def _reason(candidate: Candidate, profile: UserProfile) -> str:
    """The reason of the signal that contributed most; the strategy's own when nothing stands out.

    A candidate found by walking the whole knowledge base was found for no signal: it reads as close
    to the reader's interests, or as a way in for someone Luna knows nothing about yet.
    """
    strategy = candidate.strategy
    if strategy == EVERYTHING:
        return _content_reason(candidate, profile) if profile.vector is not None else COLD_START_REASON
    weights = STRATEGY_WEIGHTS[(profile.segment, strategy)]
    shares = {
        CONTENT: weights.content * candidate.content,
        POPULAR: weights.popularity * candidate.popularity,
        FRESH: weights.freshness * candidate.freshness,
    }
    leading = max(shares, key=lambda name: (shares[name], name == strategy))
    if shares[leading] <= 1e-9:
        leading = strategy
    if leading == BLEND:
        leading = CONTENT if profile.vector is not None else ""
    if leading == CONTENT and profile.vector is not None:
        return _content_reason(candidate, profile)
    if leading == POPULAR:
        return POPULAR_REASON
    if leading == FRESH:
        return FRESH_REASON
    return COLD_START_REASON


def _content_reason(candidate: Candidate, profile: UserProfile) -> str:
    topic = best_topic(candidate.topics, profile.interests)
    if topic is not None:
        return interest_reason(topic)
    unit = candidate.vector / (np.linalg.norm(candidate.vector) or 1.0)
    others = [
        anchor for anchor in profile.anchors if anchor.item_id != candidate.item.item_id and anchor.title
    ]
    if others:
        nearest = max(others, key=lambda anchor: float(anchor.vector @ unit))
        assert nearest.title is not None
        return similar_reason(nearest.title)
    return PROFILE_REASON
