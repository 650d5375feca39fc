"""The knowledge-base services of one process, wired once on the container's ports.

One instance per process matters: the lexical mirror and the collection lock are process state that
ingest, search and maintenance must share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from luna.domain.answers import ContextChunk, LunaPrompts, load_luna_prompts
from luna.ports.blobs import BlobStore
from luna.ports.chat import AnswerGate, ChatModel
from luna.ports.embeddings import Embedder
from luna.ports.extract import Extractor
from luna.ports.fetch import Fetcher
from luna.ports.lexical import LexicalIndex
from luna.ports.names import ProperNames
from luna.ports.process_locks import ProcessLocks
from luna.ports.prompts import ActivePrompts
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.answering import AnswerService
from luna.services.knowledge.indexing import CachedEmbedder, ChunkIndexer, LexicalMirror, VectorCollections
from luna.services.knowledge.kb_maintenance import KnowledgeMaintenance
from luna.services.knowledge.refine import RefineLeg
from luna.services.knowledge.reread import DocumentRereader
from luna.services.knowledge.restore_gate import GatedIngestService, RestoreGate
from luna.services.knowledge.retrieval import RetrievalService, RetrievalSettings


@dataclass(frozen=True, slots=True)
class KnowledgeSettings:
    collection: str
    max_upload_bytes: int
    chunk_tokens: int
    overlap_tokens: int
    retrieval: RetrievalSettings
    min_dense_score: float
    #: The readers' country (``recommend.country``): questions about another one need a passage on it.
    home_country: str | None = None
    #: The refine leg's weight in the fusion (used when a refine embedder is given).
    refine_weight: float = 1.0
    #: Chunks an answer reads when the question does not say how many (``rag.top_k``).
    answer_top_k: int = 6


class KnowledgeBase:
    def __init__(
        self,
        *,
        database: Database,
        vectors: VectorIndex,
        blobs: BlobStore,
        extractor: Extractor,
        embedder: Embedder,
        lexical: LexicalIndex,
        chat: ChatModel,
        fallback_chat: ChatModel,
        fetcher: Fetcher,
        settings: KnowledgeSettings,
        gate: AnswerGate | None = None,
        prompts: ActivePrompts | None = None,
        names: ProperNames | None = None,
        refine_embedder: Embedder | None = None,
        refine_sentences: Callable[[ContextChunk], list[str]] | None = None,
        process_locks: ProcessLocks | None = None,
    ) -> None:
        """``prompts``: the prompt version to answer each question with (default: the packaged file);
        ``names``: finds a question's proper names, so one no document holds is refused;
        ``refine_embedder``: the refine leg's model (``rag.refine``); ``refine_sentences``: a chunk's
        sentences as the answerer judges them, which the leg's job embeds too; ``process_locks``: what keeps
        other processes from writing documents while a snapshot is restored (:mod:`restore_gate`)."""
        self.embedder = CachedEmbedder(database, embedder)
        self.collections = VectorCollections(vectors, settings.collection, lambda: embedder.dim)
        self.lexical = LexicalMirror(database, lexical)
        self.refine = (
            None
            if refine_embedder is None
            else RefineLeg(
                database,
                vectors,
                refine_embedder,
                settings.collection,
                self.collections.active,
                weight=settings.refine_weight,
                sentence_texts=refine_sentences,
            )
        )
        forget = self.refine.forget if self.refine is not None else None
        self.indexer = ChunkIndexer(self.embedder, vectors, self.collections, self.lexical, forget)
        self.ingest = GatedIngestService(
            database,
            blobs,
            extractor,
            self.indexer,
            fetcher,
            max_bytes=settings.max_upload_bytes,
            chunk_tokens=settings.chunk_tokens,
            overlap_tokens=settings.overlap_tokens,
            gate=RestoreGate(locks=process_locks),
        )
        self.retrieval = RetrievalService(
            database,
            vectors,
            self.embedder,
            self.collections,
            self.lexical,
            settings.retrieval,
            refine=self.refine,
        )
        self.answers = AnswerService(
            self.retrieval,
            chat,
            fallback_chat,
            prompts or _packaged,
            min_dense_score=settings.min_dense_score,
            gate=gate,
            home_country=settings.home_country,
            names=names,
            top_k=settings.answer_top_k,
        )
        self.maintenance = KnowledgeMaintenance(database, vectors, blobs, self.indexer)
        self.rereader = DocumentRereader(database, blobs, self.ingest, self.maintenance)


def _packaged() -> tuple[int, LunaPrompts]:
    return 0, load_luna_prompts()
