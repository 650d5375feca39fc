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

Documents recognisably of another country than the reader's (``recommend.country``; a Swiss municipal
plan for a German household, :mod:`luna.services.learning.recommend_region`) are set aside while the
list is gathered: they come in only when nothing else fills it, not even further chunks of the
documents already in it, and then last, with a reason that says where they are from. Documents whose
country is unknown count as the reader's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np

from luna.domain.bandit import BLEND, COLD, CONTENT, FRESH, POPULAR, WARM
from luna.domain.items import Item, ItemChunk
from luna.domain.mmr import cosine_matrix, mmr, rescale
from luna.domain.recommend_reasons import (
    COLD_START_REASON,
    FRESH_REASON,
    POPULAR_REASON,
    PROFILE_REASON,
    best_topic,
    foreign_reason,
    interest_reason,
    similar_reason,
)
from luna.ports.sql import UnitOfWork
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.indexing import chunk_payload
from luna.services.learning.recommend_profile import UserProfile
from luna.services.learning.recommend_region import DocumentCountries
from luna.services.learning.recommend_sources import (
    CHUNKS_PER_ITEM,
    Candidate,
    add_signals,
    everything,
    fresh,
    hydrate,
    popular,
)

MAX_CHUNKS_PER_ITEM: Final = 2
MIN_POOL: Final = 30
#: Fewest fresh or popular items looked at (more for longer lists).
MIN_ITEMS: Final = 10
MAX_POOL: Final = 400
#: The last source of a list that is still short: every indexed item, newest first.
EVERYTHING: Final = "everything"
#: Sources a short list is filled up from, in this order, after the strategy's own.
FILL_ORDER: Final = (CONTENT, POPULAR, FRESH, EVERYTHING)


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
    countries: DocumentCountries | None = None,
) -> list[Ranked]:
    """The best ``k`` chunks for ``profile`` under ``strategy``, filled up when its pool runs dry, and
    documents of another country than the reader's (``countries``) last (see the module)."""
    if k <= 0:
        return []
    countries = countries or DocumentCountries(None)
    pool = _Pool(uow, vectors, collection, profile, k, freshness_half_life_days, now, countries)
    picks: list[int] = []
    for source in _sources_in_order(strategy, profile):
        pool.add(source, k - len(picks))
        picks = pool.pick(k, picks, mmr_lambda, MAX_CHUNKS_PER_ITEM)
        if len(picks) >= k:
            break
    picks = _lift_cap(pool, k, picks, mmr_lambda)
    if len(picks) < k and pool.admit_foreign():
        pool.add(EVERYTHING, k - len(picks))
        picks = _lift_cap(pool, k, pool.pick(k, picks, mmr_lambda, MAX_CHUNKS_PER_ITEM), mmr_lambda)
    return [_ranked(pool.candidates[index], profile) for index in picks]


def _lift_cap(pool: _Pool, k: int, picks: list[int], mmr_lambda: float) -> list[int]:
    """A list still short after every source: continued with further chunks of its documents."""
    if len(picks) < k:
        pool.add_more_of_each_item(k - len(picks), picks)
        picks = pool.pick(k, picks, mmr_lambda, None)
    return picks


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
    source found it; chunk IDs are looked at once (kept, set aside as foreign, or dropped), items read
    once."""

    def __init__(
        self,
        uow: UnitOfWork,
        vectors: VectorIndex,
        collection: str,
        profile: UserProfile,
        k: int,
        half_life_days: float,
        now: datetime,
        countries: DocumentCountries,
    ) -> None:
        self._uow, self._vectors, self._collection = uow, vectors, collection
        self._profile, self._k, self._half_life_days, self._now = profile, k, half_life_days, now
        self._size = min(max(MIN_POOL, 4 * k) + len(profile.excluded_chunks), MAX_POOL)
        self._items: dict[str, Item | None] = {}
        self._seen: set[str] = set()
        self._countries = countries
        #: Foreign candidates wait here (and foreign items are skipped) until :meth:`admit_foreign`.
        self._foreign: list[Candidate] | None = [] if countries.reader is not None else None
        self._skipped_foreign = False
        self.candidates: list[Candidate] = []

    def add(self, strategy: str, need: int) -> None:
        """The candidates of ``strategy``'s sources that are not in the pool yet."""
        ids: dict[str, None] = {}
        for source in _SOURCES[strategy]:
            ids.update(dict.fromkeys(self._source_ids(source, need)))
        self._keep(strategy, list(ids))

    def admit_foreign(self) -> bool:
        """Let documents of other countries in from now on; whether any was set aside or skipped."""
        waiting, self._foreign = self._foreign, None
        if waiting:
            self.candidates.extend(waiting)
        return bool(waiting) or self._skipped_foreign

    def add_more_of_each_item(self, need: int, picks: Sequence[int]) -> None:
        """Further chunks of the items, when those in the pool cannot fill the list without the cap."""
        if len(self.candidates) - len(picks) < need:
            found = everything(self._uow, self._profile, self._seen, self._items, need, need, self._skip)
            self._keep(EVERYTHING, found)

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
            return popular(uow, self._size, max(self._k // 2, MIN_ITEMS))
        if source == FRESH:
            return fresh(uow, max(self._k, MIN_ITEMS) + len(profile.excluded_items), self._items)
        if source == EVERYTHING:
            per_item = CHUNKS_PER_ITEM
            return everything(uow, profile, self._seen, self._items, per_item, per_item * need, self._skip)
        return []

    def _skip(self, item: Item, chunks: list[ItemChunk]) -> bool:
        """A walk over the whole knowledge base passes foreign documents by until they are admitted."""
        if self._foreign is None or not self._countries.foreign(self._countries.of(self._uow, item, chunks)):
            return False
        self._skipped_foreign = True
        return True

    def _keep(self, strategy: str, chunk_ids: Sequence[str]) -> None:
        new = [chunk_id for chunk_id in dict.fromkeys(chunk_ids) if chunk_id not in self._seen]
        self._seen.update(new)
        found = hydrate(self._uow, self._vectors, self._collection, new, self._profile, self._items, strategy)
        if not found:
            return
        add_signals(self._uow, found, self._profile, self._half_life_days, self._now)
        weights = STRATEGY_WEIGHTS[(self._profile.segment, strategy)]
        for candidate in found:
            mixed = (
                weights.content * candidate.content
                + weights.popularity * candidate.popularity
                + weights.freshness * candidate.freshness
            )
            quality = 0.5 if candidate.quality is None else candidate.quality
            candidate.score = mixed * (0.75 + 0.5 * quality)
            candidate.country = self._countries.of(self._uow, candidate.item)
            candidate.foreign = self._countries.foreign(candidate.country)
        self.candidates.extend(c for c in found if not (c.foreign and self._foreign is not None))
        if self._foreign is not None:
            self._foreign.extend(c for c in found if c.foreign)


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
        "country": candidate.country,
        "signals": signals,
    }
    return Ranked(
        candidate.chunk.chunk_id,
        round(candidate.score, 6),
        payload,
        _reason(candidate, profile),
    )


def _reason(candidate: Candidate, profile: UserProfile) -> str:
    """Why this chunk; for a document of another country, with where it is from."""
    reason = _signal_reason(candidate, profile)
    return foreign_reason(reason, candidate.country) if candidate.foreign and candidate.country else reason


def _signal_reason(candidate: Candidate, profile: UserProfile) -> str:
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
