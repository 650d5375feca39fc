"""Keeps the search indexes in step with the chunks in SQL, the single source of truth.

* :class:`CachedEmbedder` embeds passages through the ``embedding_cache`` table, so a reindex or a new
  version of a document pays the model (about ten passages a second on two cores) only for new text.
* :class:`VectorCollections` reaches the vectors through the alias ``rag.collection``: a full reindex
  fills a shadow collection and swaps the alias, keeping the previous collection for rollback.
* :class:`LexicalMirror` holds the in-process BM25 index. It is rebuilt from SQL when the knowledge base
  changed behind this process's back (another worker ingested, a snapshot was restored), detected by a
  cheap fingerprint query before each search.
* :class:`ChunkIndexer` writes a set of chunks to both indexes and removes them again.

Vector payloads carry what searches filter on (``item_id``, ``kind``, ``source``, ``tags`` …) but not the
text: search results are always read back from SQL, so a point whose chunk is gone or archived, or whose
item is not yet indexed, is never shown.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from luna.domain.chunking import Chunk
from luna.domain.errors import Unavailable
from luna.domain.items import Item, ItemChunk
from luna.ports.embeddings import Embedder
from luna.ports.lexical import LexicalDocument, LexicalIndex
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex, VectorPoint
from luna.services.knowledge.ingest_rules import BLOB_STEM_KEY

logger = logging.getLogger(__name__)

#: Passages embedded (and cached) per step; the cache is committed after each, so an interrupted
#: ingest or reindex resumes where it stopped.
EMBED_STEP = 32

#: ``(done, total)`` of a long step, for progress bars.
StepProgress = Callable[[int, int], None]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_payload(item: Item, chunk: ItemChunk) -> dict[str, Any]:
    """What a vector point and a lexical document carry besides the text: the filterable fields."""
    return {
        "chunk_id": chunk.chunk_id,
        "item_id": item.item_id,
        "title": item.title,
        "kind": item.kind,
        "source": item.source,
        "tags": list(item.tags),
        "url": item.url,
        "version": item.version,
        "section": chunk.metadata.get("section"),
        "page": chunk.metadata.get("page"),
        "chunk_idx": chunk.chunk_idx,
    }


def item_chunks(item: Item, chunks: Sequence[Chunk], blob_stem: str) -> list[ItemChunk]:
    """The rows of ``item``'s current version for the chunker's ``chunks``, each with a new id that
    its vector point shares and the stem of the version's blobs (the rows are the record of which
    files a version has, see :mod:`~luna.services.knowledge.ingest_rules`)."""
    rows = [
        ItemChunk(
            chunk_id=str(uuid.uuid4()),
            item_id=item.item_id,
            chunk_idx=chunk.index,
            text=chunk.text,
            metadata={
                "section": chunk.section,
                "page": chunk.page,
                "kind": chunk.kind,
                "tokens": chunk.tokens,
                "version": item.version,
                "text_sha256": text_sha256(chunk.text),
                "archived": False,
                BLOB_STEM_KEY: blob_stem,
            },
        )
        for chunk in chunks
    ]
    for row in rows:
        row.qdrant_id = row.chunk_id
    return rows


def indexed_text(item: Item, chunk: ItemChunk) -> str:
    """What both indexes see: the chunk under its document title and section path.

    A chunk of a law rarely names its law or its paragraph, while questions often do ("nach § 48
    EEG", "im Gebäudeenergiegesetz"); the header gives the dense and the lexical leg that context.
    Citations and answers keep using the plain chunk text.
    """
    header = " › ".join(part for part in (item.title, chunk.metadata.get("section")) if part)
    return f"{header}\n{chunk.text}" if header else chunk.text


class CachedEmbedder:
    """Passage embeddings through the SQL cache, keyed by model name and the text's sha256."""

    def __init__(self, database: Database, embedder: Embedder) -> None:
        self._database = database
        self._embedder = embedder

    @property
    def model_name(self) -> str:
        return self._embedder.model_name

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_query(text)

    def cached(self, texts: Sequence[str]) -> list[list[float]] | None:
        """The stored vectors of ``texts`` in order, without asking the model; None when one is missing."""
        hashes, known = self._stored(texts)
        if any(h not in known for h in hashes):
            return None
        return [known[h] for h in hashes]

    def embed_passages(self, texts: Sequence[str], progress: StepProgress | None = None) -> list[list[float]]:
        """Vectors for ``texts`` in order; only texts the cache does not know reach the model."""
        model = self._embedder.model_name
        hashes, known = self._stored(texts)
        missing = list(dict.fromkeys(h for h in hashes if h not in known))
        text_of = dict(zip(hashes, texts, strict=True))
        total = len(missing)
        if progress is not None:
            progress(0, total)
        for start in range(0, total, EMBED_STEP):
            step = missing[start : start + EMBED_STEP]
            vectors = self._embedder.embed_passages([text_of[h] for h in step])
            fresh = dict(zip(step, vectors, strict=True))
            with self._database.unit_of_work() as uow:
                uow.embedding_cache.put_many(model, fresh)
                uow.commit()
            known.update(fresh)
            if progress is not None:
                progress(min(start + EMBED_STEP, total), total)
        return [known[h] for h in hashes]

    def _stored(self, texts: Sequence[str]) -> tuple[list[str], dict[str, list[float]]]:
        """Each text's hash, and the vectors the cache holds for them."""
        hashes = [text_sha256(text) for text in texts]
        with self._database.unit_of_work(read_only=True) as uow:
            return hashes, uow.embedding_cache.get_many(self._embedder.model_name, hashes)


_VERSIONED = re.compile(r"^(?P<alias>.+)_v(?P<n>[0-9]+)$")


class VectorCollections:
    """The collections behind the alias: the active one, shadows for reindexing, and the swap."""

    def __init__(self, vectors: VectorIndex, alias: str, dim: Callable[[], int]) -> None:
        self._vectors = vectors
        self.alias = alias
        self._dim = dim
        self._lock = threading.Lock()

    def active(self) -> str:
        """The collection the alias points at, created on first use with the model's dimension.

        A collection built for another dimension (the embedding model was changed) cannot answer
        queries of the new model: that is reported as :class:`Unavailable` with the remedy.
        """
        with self._lock:
            name = self._vectors.resolve(self.alias)
            if name is None:
                name = f"{self.alias}_v1"
                self._vectors.create_collection(name, self._dim())
                self._vectors.set_alias(self.alias, name)
                return name
        stored = self._vectors.collection_dim(name)
        if stored is not None and stored != self._dim():
            raise Unavailable(
                f"The vector collection {name} holds {stored}-dimensional vectors but the embedding model "
                f"gives {self._dim()}: run a full reindex "
                "(POST /api/v1/admin/reindex or `luna admin reindex`)."
            )
        return name

    def create_shadow(self) -> str:
        """A new, empty collection next to the active one, numbered after every existing one."""
        numbers = [
            int(match["n"])
            for match in (_VERSIONED.match(name) for name in self._vectors.collections())
            if match and match["alias"] == self.alias
        ]
        name = f"{self.alias}_v{max(numbers, default=0) + 1}"
        self._vectors.create_collection(name, self._dim())
        return name

    def swap(self, collection: str) -> str | None:
        """Point the alias at ``collection``; keep the previous one for rollback and drop older ones."""
        with self._lock:
            previous = self._vectors.resolve(self.alias)
            self._vectors.set_alias(self.alias, collection)
            for name in self._vectors.collections():
                match = _VERSIONED.match(name)
                if match and match["alias"] == self.alias and name not in (collection, previous):
                    self._vectors.drop_collection(name)
        return previous


class LexicalMirror:
    """The process's BM25 index over every current chunk of every indexed item."""

    def __init__(self, database: Database, lexical: LexicalIndex) -> None:
        self._database = database
        self._lexical = lexical
        self._lock = threading.Lock()
        self._fingerprint: tuple[object, ...] | None = None

    @property
    def index(self) -> LexicalIndex:
        return self._lexical

    def ensure_fresh(self) -> None:
        """Rebuild from SQL when the knowledge base changed since this process last saw it."""
        with self._lock:
            current = self._current_fingerprint()
            if current == self._fingerprint:
                return
            self._rebuild()
            self._fingerprint = current

    def apply(self, add: Iterable[LexicalDocument] = (), remove: Sequence[str] = ()) -> None:
        """Apply this process's own change and remember the resulting state, so no rebuild follows."""
        with self._lock:
            if self._fingerprint is None:
                self._rebuild()
            else:
                self._lexical.remove(remove)
                self._lexical.add(list(add))
            self._fingerprint = self._current_fingerprint()

    def invalidate(self) -> None:
        with self._lock:
            self._fingerprint = None

    def _current_fingerprint(self) -> tuple[object, ...]:
        with self._database.unit_of_work(read_only=True) as uow:
            return uow.items.fingerprint()

    def _rebuild(self) -> None:
        self._lexical.clear()
        with self._database.unit_of_work(read_only=True) as uow:
            items: dict[str, Item | None] = {}
            for batch in uow.chunks.all_active():
                docs: list[LexicalDocument] = []
                for chunk in batch:
                    if chunk.item_id not in items:
                        items[chunk.item_id] = uow.items.get(chunk.item_id)
                    item = items[chunk.item_id]
                    if item is not None and item.status == "indexed":
                        docs.append((chunk.chunk_id, indexed_text(item, chunk), chunk_payload(item, chunk)))
                self._lexical.add(docs)
        logger.info("lexical index rebuilt: %d chunks", self._lexical.count())


class ChunkIndexer:
    """Writes chunks to the vector and lexical indexes (vectors first: they are the slow part)."""

    def __init__(
        self,
        embedder: CachedEmbedder,
        vectors: VectorIndex,
        collections: VectorCollections,
        lexical: LexicalMirror,
        forget: Callable[[Sequence[str], str | None], None] | None = None,
    ) -> None:
        """``forget(chunk_ids, item_id)`` removes the points of deleted chunks from another collection
        keyed by chunk id (the refine leg's), whenever they leave the main one."""
        self.embedder = embedder
        self.vectors = vectors
        self.collections = collections
        self.lexical = lexical
        self._forget = forget

    def write_vectors(
        self,
        item: Item,
        chunks: Sequence[ItemChunk],
        progress: StepProgress | None = None,
        collection: str | None = None,
    ) -> None:
        vectors = self.embedder.embed_passages([indexed_text(item, chunk) for chunk in chunks], progress)
        points = [
            VectorPoint(chunk.chunk_id, vector, chunk_payload(item, chunk))
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]
        target = collection or self.collections.active()
        for start in range(0, len(points), 256):
            self.vectors.upsert(target, points[start : start + 256])

    def remove_vectors(self, chunk_ids: Sequence[str], *, item_id: str | None = None) -> None:
        """Remove points by id, and every point of ``item_id`` when given (catches ids SQL never saw)."""
        target = self.collections.active()
        if chunk_ids:
            self.vectors.delete(target, list(chunk_ids))
        if item_id is not None:
            self.vectors.delete_where(target, {"item_id": item_id})
        if self._forget is not None:
            self._forget(chunk_ids, item_id)

    def lexical_documents(self, item: Item, chunks: Sequence[ItemChunk]) -> list[LexicalDocument]:
        return [(chunk.chunk_id, indexed_text(item, chunk), chunk_payload(item, chunk)) for chunk in chunks]
