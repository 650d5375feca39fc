"""Where the candidates of a recommendation list come from, and how they are read back.

Sources besides the profile's nearest chunks: the popular chunks and items, the newest items, and (the
last resort of a short list) every indexed item, newest first; each returns chunk IDs. Those are read
back like search hits (:func:`hydrate`) and given their signals (:func:`add_signals`);
:mod:`luna.services.learning.recommend_candidates` scores, orders and explains them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import numpy as np

from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.mmr import rescale
from luna.domain.recommend_reasons import topics_of
from luna.domain.scores import Score, ScoreTarget
from luna.ports.sql import UnitOfWork
from luna.ports.vectors import VectorIndex
from luna.services.learning.recommend_profile import UserProfile, Vector

#: Chunks of each fresh or popular item taken as candidates.
CHUNKS_PER_ITEM: Final = 2
#: Items read per query while walking the whole knowledge base.
ITEM_PAGE: Final = 100

#: Whether a walk over the whole knowledge base leaves an item (and its chunks) out for now.
Skip = Callable[[Item, list[ItemChunk]], bool]


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
    #: The document's country (ISO 3166), None when it does not say.
    country: str | None = None
    #: Of another country than the reader's.
    foreign: bool = False


def popular(uow: UnitOfWork, pool: int, item_count: int) -> list[str]:
    """The most popular chunks, and the first chunks of the most popular items (events that name an
    item only make the item popular, not a chunk)."""
    chunk_ids = [score.target_id for score in uow.scores.top(ScoreTarget.CHUNK, pool) if score.popularity > 0]
    for score in uow.scores.top(ScoreTarget.ITEM, item_count):
        if score.popularity > 0:
            chunk_ids.extend(
                chunk.chunk_id for chunk in uow.chunks.list_for_item(score.target_id)[:CHUNKS_PER_ITEM]
            )
    return chunk_ids


def fresh(uow: UnitOfWork, item_count: int, items: dict[str, Item | None]) -> list[str]:
    newest = uow.items.list(status=ItemStatus.INDEXED, limit=item_count)
    items.update((item.item_id, item) for item in newest)
    return [
        chunk.chunk_id
        for item in newest
        for chunk in uow.chunks.list_for_item(item.item_id)[:CHUNKS_PER_ITEM]
    ]


def everything(
    uow: UnitOfWork,
    profile: UserProfile,
    seen: set[str],
    items: dict[str, Item | None],
    per_item: int,
    enough: int,
    skip: Skip | None = None,
) -> list[str]:
    """Up to ``per_item`` chunks not looked at yet of each indexed item the user did not exclude (nor
    ``skip``), newest item first, until ``enough`` are found or every item was read: the last resort of
    a short list, so it stays short only when the knowledge base has nothing more to give."""
    found: list[str] = []
    offset = 0
    while len(found) < enough:
        page = uow.items.list(status=ItemStatus.INDEXED, limit=ITEM_PAGE, offset=offset)
        for item in page:
            items.setdefault(item.item_id, item)
            if item.item_id in profile.excluded_items:
                continue
            chunks = list(uow.chunks.list_for_item(item.item_id))
            if skip is not None and skip(item, chunks):
                continue
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


def hydrate(
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


def add_signals(
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
