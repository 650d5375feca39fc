"""Embedding model: questions and passages are embedded differently (e5 needs its prefixes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from luna.domain.health import ComponentHealth


class Embedder(Protocol):
    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """L2-normalised vectors for document chunks, in input order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """L2-normalised vector for a question."""
        ...

    def health(self) -> ComponentHealth: ...
