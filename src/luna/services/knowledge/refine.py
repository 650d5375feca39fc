"""A second, stronger retriever that re-scores the fast legs' candidates (``rag.refine``).

Why: EmbeddingGemma finds the answering passage far more often than e5-small (``bench/RESULTS.md``,
"EmbeddingGemma in-process"), but it embeds a chunk about five times slower, so indexing with it alone
would make every upload wait that much longer. Here a document is searchable as soon as e5-small and
BM25 have it; the job ``kb.refine_vectors`` then adds its EmbeddingGemma vectors to a collection of
their own (``<rag.collection>_refine``, keyed by chunk id like the main one), and each search re-scores
its candidates with them as a third list in the fusion.

The leg joins a search only when every candidate has its vector: a half-filled leg would rank the
chunks it knows above those it does not know yet. It re-scores candidates instead of searching on its
own, so the search's filters, archived chunks and pending items are handled once, by the fast legs and
SQL; a refine point carries only its item (to delete an item's points at once).

The job also embeds each chunk's sentences as the extractive answerer judges them, before the chunk's
point is stored: an answer then orders its sentences by this model's judgement too, looking their
vectors up instead of embedding them while the customer waits (``bench/refine_sentences.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from luna.domain.answers import ContextChunk
from luna.domain.errors import NotFound, Unavailable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.embeddings import Embedder
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex, VectorPoint
from luna.services.knowledge.indexing import EMBED_STEP, CachedEmbedder, StepProgress, indexed_text

logger = logging.getLogger(__name__)

#: The job that adds the missing vectors (registered in ``luna.workers.knowledge``).
REFINE_JOB = "kb.refine_vectors"
#: The collection's name before its points implied their sentences' vectors: dropped, so every chunk
#: is refined again (its passage vector comes from the embedding cache; only its sentences are new).
_EARLIER_SUFFIX = "_refine"
#: Questions whose vector is kept: the search and then the answer ask for the same one.
_QUERIES_KEPT = 64


class RefineLeg:
    """The refine collection: its scores for a search's candidates, and the job's catch-up."""

    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        embedder: Embedder,
        alias: str,
        active: Callable[[], str],
        *,
        weight: float,
        sentence_texts: Callable[[ContextChunk], list[str]] | None = None,
    ) -> None:
        """``active``: the main collection's current name (its point ids are what must be refined);
        ``sentence_texts``: a chunk's sentences as the answerer judges them (None: none are embedded)."""
        self._database = database
        self._vectors = vectors
        self._embedder = CachedEmbedder(database, embedder)
        self.collection = f"{alias}_refined"
        self._earlier = f"{alias}{_EARLIER_SUFFIX}"
        self._active = active
        self._sentence_texts = sentence_texts
        self._query = lru_cache(maxsize=_QUERIES_KEPT)(self._embed_query)
        self.weight = weight
        self._model = embedder
        #: Points of the main collection without a chunk in SQL (left behind by a crash until a repair):
        #: they cannot be refined, so they must not keep the job coming back.
        self._orphans: set[str] = set()
        self._lock = threading.Lock()
        self._warned = False

    @property
    def model_name(self) -> str:
        return self._embedder.model_name

    def scores(self, question: str, chunk_ids: Sequence[str]) -> dict[str, float] | None:
        """Cosine of ``question`` to each candidate; None when a candidate has no vector yet or the
        model cannot be loaded (the search then runs on the fast legs alone)."""
        wanted = list(dict.fromkeys(chunk_ids))
        try:
            points = self._vectors.get(self.collection, wanted) if wanted else []
        except NotFound:  # no chunk has been refined yet
            return None
        if not points or len(points) < len(wanted):
            return None
        cosines = self._cosines(question, [point.vector for point in points])
        if cosines is None:
            return None
        return {point.point_id: cosine for point, cosine in zip(points, cosines, strict=True)}

    def sentence_cosines(self, question: str, texts: Sequence[str]) -> list[float] | None:
        """Cosine of ``question`` to each sentence text; None unless the job has embedded them all (an
        answer never waits for this model to read its sentences)."""
        vectors = self._embedder.cached(texts) if texts else None
        return None if vectors is None else self._cosines(question, vectors)

    def _cosines(self, question: str, vectors: Sequence[Sequence[float]]) -> list[float] | None:
        """None when the model cannot be loaded or a vector is of another width."""
        try:
            query = self._query(question)
        except Unavailable as error:
            if not self._warned:
                logger.warning("the refine leg is off until its model is ready: %s", error)
                self._warned = True
            return None
        if any(len(vector) != len(query) for vector in vectors):
            return None
        matrix = np.asarray(vectors, dtype=np.float64)
        return [float(c) for c in matrix @ np.asarray(query, dtype=np.float64) / _norms(matrix, query)]

    def _embed_query(self, question: str) -> tuple[float, ...]:
        return tuple(self._embedder.embed_query(question))

    def warm_up(self) -> None:
        """Load the model now (``luna serve`` at start), so the first search does not wait for it."""
        self._embedder.embed_query("Aufwärmen")

    def pending(self) -> int:
        """How far the refine collection is from the main one: missing plus left-over points.

        Compared by id, not by count: a point left over by a crash and a new chunk without its vector
        would cancel out in counts, and the job would never be queued (about 4 µs per point here)."""
        active = set(self._vectors.point_ids(self._active()))
        have = (
            set(self._vectors.point_ids(self.collection))
            if self.collection in self._vectors.collections()
            else set()
        )
        with self._lock:
            return len(active - self._orphans - have) + len(have - active)

    def ready(self) -> bool:
        """Whether the model can work (EmbeddingGemma prepared), asked before the job is queued."""
        return self._model.health().status == HealthStatus.UP

    def setup(self) -> dict[str, Any]:
        """What an evaluation run records of the leg: a run while it was catching up is not comparable."""
        return {"model": self.model_name, "weight": self.weight, "pending": self.pending()}

    def health(self) -> ComponentHealth:
        """Disabled while the model cannot work; up otherwise, saying how many chunks lack a vector."""
        model = self._model.health()
        if model.status != HealthStatus.UP:
            # Off, not down: Luna answers without it (an offline machine that could not fetch the model).
            detail = f"{model.detail}; searches use e5-small and BM25 alone"
            return ComponentHealth("refine", HealthStatus.DISABLED, model.backend, detail=detail)
        pending = self.pending()
        detail = (
            f"{pending} chunks still lack a vector: a search that finds one of them ranks without this leg"
            if pending
            else "every chunk has its vector"
        )
        extra = {"model": self.model_name, "weight": self.weight, "pending": pending}
        return ComponentHealth("refine", HealthStatus.UP, model.backend, detail=detail, extra=extra)

    def forget(self, chunk_ids: Sequence[str], item_id: str | None = None) -> None:
        """Remove the refine points of deleted chunks (and every point of ``item_id`` when given)."""
        if self.collection not in self._vectors.collections():
            return
        if chunk_ids:
            self._vectors.delete(self.collection, list(chunk_ids))
        if item_id is not None:
            self._vectors.delete_where(self.collection, {"item_id": item_id})

    def catch_up(
        self, progress: StepProgress | None = None, check_cancelled: Callable[[], None] = lambda: None
    ) -> dict[str, Any]:
        """Add a vector for every point of the main collection that lacks one, remove those whose
        point is gone; each step is stored at once, so a stopped job resumes where it stopped."""
        self._ensure_collection()
        active = set(self._vectors.point_ids(self._active()))
        have = set(self._vectors.point_ids(self.collection))
        stale = sorted(have - active)
        if stale:
            self._vectors.delete(self.collection, stale)
        todo = sorted(active - have)
        added, orphans = 0, set()
        for start in range(0, len(todo), EMBED_STEP):
            check_cancelled()
            step = todo[start : start + EMBED_STEP]
            points = self._points(step)
            orphans.update(set(step) - {point.point_id for point in points})
            if points:
                self._vectors.upsert(self.collection, points)
            added += len(points)
            if progress is not None:
                progress(min(start + EMBED_STEP, len(todo)), len(todo))
        with self._lock:
            self._orphans = orphans | (self._orphans & active)
        return {"added": added, "removed": len(stale), "without_chunk": len(orphans)}

    def _ensure_collection(self) -> None:
        """The refine collection with the model's dimension; one of another model's is rebuilt, the
        collection of an earlier version (without sentences) dropped."""
        names = self._vectors.collections()
        if self._earlier in names:
            logger.info("refining every chunk again, its sentences too (%s is dropped)", self._earlier)
            self._vectors.drop_collection(self._earlier)
        dim = self._embedder.dim
        if self.collection in names and self._vectors.collection_dim(self.collection) != dim:
            logger.info("refine collection holds another model's vectors: rebuilding it")
            self._vectors.drop_collection(self.collection)
        self._vectors.create_collection(self.collection, dim)

    def _points(self, chunk_ids: Sequence[str]) -> list[VectorPoint]:
        with self._database.unit_of_work(read_only=True) as uow:
            chunks = [chunk for chunk in uow.chunks.get_many(list(chunk_ids)) if not chunk.archived]
            items = {item_id: uow.items.get(item_id) for item_id in {chunk.item_id for chunk in chunks}}
        found = [(chunk, item) for chunk in chunks if (item := items[chunk.item_id]) is not None]
        if self._sentence_texts is not None:
            # Before the point: a point stored means its sentences can be looked up.
            contexts = [
                ContextChunk(c.chunk_id, c.text, item.title, c.metadata.get("section")) for c, item in found
            ]
            self._embedder.embed_passages([t for context in contexts for t in self._sentence_texts(context)])
        vectors = self._embedder.embed_passages([indexed_text(item, chunk) for chunk, item in found])
        return [
            VectorPoint(chunk.chunk_id, vector, {"item_id": chunk.item_id})
            for (chunk, _), vector in zip(found, vectors, strict=True)
        ]


def _norms(matrix: npt.NDArray[np.float64], query: Sequence[float]) -> npt.NDArray[np.float64]:
    """Each row's norm times the query's, with 1 where a vector is all zeros (its cosine is 0)."""
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(np.asarray(query, dtype=np.float64)))
    return np.where(norms > 0, norms, 1.0)
