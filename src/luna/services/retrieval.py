"""Hybrid retrieval: dense (e5 vectors) and lexical (German BM25) candidates, fused, read back from SQL.

Each leg fetches ``rag.candidates`` hits with the same filters; the fused list is then checked against
SQL, which drops whatever is not part of the searchable knowledge base any more (archived chunks, items
still pending, points left behind by a crash) and supplies the text and item fields of the payload. So a
search never shows a chunk that SQL does not vouch for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from luna.domain.errors import InvalidInput
from luna.domain.fusion import rrf, weighted_score_fusion
from luna.domain.items import Item, ItemStatus
from luna.ports.sql import Database
from luna.ports.vectors import PayloadFilter, VectorIndex
from luna.services.indexing import CachedEmbedder, LexicalMirror, VectorCollections, chunk_payload

SearchMode = Literal["hybrid", "dense", "lexical"]
FusionMethod = Literal["rrf", "weighted"]

MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 50
_FILTER_KEY_CHARS = 64
_MAX_FILTER_VALUES = 100


@dataclass(frozen=True, slots=True)
class Citation:
    """One search hit: ``score`` is the fused score (hybrid) or the leg's own score."""

    chunk_id: str
    score: float
    payload: dict[str, Any]
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    citations: list[Citation]
    #: Best cosine similarity of any dense candidate: how close the knowledge base came at all.
    best_dense_score: float | None = None
    #: Titles of items near the question, for Luna's "ask me about …" when nothing answers it.
    nearby_titles: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    candidates: int = 40
    fusion: FusionMethod = "weighted"
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0


def validate_filters(filters: Mapping[str, Any] | None) -> PayloadFilter:
    """Seed ``filters``: payload key → value or list of values (any of them); tags match by membership."""
    if not filters:
        return {}
    if not isinstance(filters, Mapping):
        raise InvalidInput("filters must be an object of payload key → value or list of values.")
    checked: dict[str, Any] = {}
    for key, value in filters.items():
        if not isinstance(key, str) or not key or len(key) > _FILTER_KEY_CHARS or not key.isidentifier():
            raise InvalidInput(f"Filter key {str(key)[:70]!r} is not a payload field name.")
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > _MAX_FILTER_VALUES:
            raise InvalidInput(f"Filter {key!r} needs 1 to {_MAX_FILTER_VALUES} values.")
        for single in values:
            scalar = isinstance(single, str | int | float | bool) and not (
                isinstance(single, float) and not math.isfinite(single)
            )
            if not scalar:
                raise InvalidInput(f"Filter {key!r}: values must be strings, numbers or booleans.")
        checked[key] = list(values) if isinstance(value, list) else value
    return checked


class RetrievalService:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        embedder: CachedEmbedder,
        collections: VectorCollections,
        lexical: LexicalMirror,
        settings: RetrievalSettings,
    ) -> None:
        self._database = database
        self._vectors = vectors
        self._embedder = embedder
        self._collections = collections
        self._lexical = lexical
        self._settings = settings

    def search(
        self,
        question: str,
        top_k: int = 6,
        filters: Mapping[str, Any] | None = None,
        *,
        mode: SearchMode = "hybrid",
        fusion: FusionMethod | None = None,
    ) -> SearchResult:
        question = question.strip()
        if not question:
            raise InvalidInput("The question is empty.")
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(f"The question may have at most {MAX_QUESTION_CHARS} characters.")
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}.")
        where = validate_filters(filters) or None
        wanted = max(self._settings.candidates, top_k * 3)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self._embedder.embed_query(question)
            hits = self._vectors.search(self._collections.active(), vector, wanted, where)
            dense = [(hit.point_id, hit.score) for hit in hits]
        if mode in ("hybrid", "lexical"):
            self._lexical.ensure_fresh()
            lexical = [
                (hit.chunk_id, hit.score) for hit in self._lexical.index.search(question, wanted, where)
            ]
        ranked = (
            self._fuse(dense, lexical, fusion or self._settings.fusion)
            if mode == "hybrid"
            else dense or lexical
        )
        citations, titles = self._hydrate(ranked, top_k, dict(dense), dict(lexical))
        return SearchResult(
            citations=citations,
            best_dense_score=max((score for _, score in dense), default=None),
            nearby_titles=titles,
        )

    def _fuse(
        self, dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]], method: FusionMethod
    ) -> list[tuple[str, float]]:
        weights = (self._settings.dense_weight, self._settings.lexical_weight)
        if method == "rrf":
            return rrf([dense, lexical], k=self._settings.rrf_k, weights=weights)
        return weighted_score_fusion([dense, lexical], weights)

    def _hydrate(
        self,
        ranked: Sequence[tuple[str, float]],
        top_k: int,
        dense: Mapping[str, float],
        lexical: Mapping[str, float],
    ) -> tuple[list[Citation], list[str]]:
        """The best ``top_k`` hits that SQL confirms, with text and item fields as payload."""
        citations: list[Citation] = []
        titles: list[str] = []
        items: dict[str, Item | None] = {}
        with self._database.unit_of_work(read_only=True) as uow:
            chunks = {chunk.chunk_id: chunk for chunk in uow.chunks.get_many([cid for cid, _ in ranked])}
            for chunk_id, score in ranked:
                chunk = chunks.get(chunk_id)
                if chunk is None or chunk.archived:
                    continue
                if chunk.item_id not in items:
                    items[chunk.item_id] = uow.items.get(chunk.item_id)
                item = items[chunk.item_id]
                if item is None or item.status != ItemStatus.INDEXED:
                    continue
                if item.title and item.title not in titles:
                    titles.append(item.title)
                payload = {**chunk_payload(item, chunk), "text": chunk.text}
                citations.append(
                    Citation(chunk_id, score, payload, dense.get(chunk_id), lexical.get(chunk_id))
                )
                if len(citations) == top_k:
                    break
        return citations, titles
