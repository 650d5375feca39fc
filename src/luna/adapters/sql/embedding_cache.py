"""The ``embedding_cache`` table: passage vectors by (model, sha256 of the text)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np
import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables import embedding_cache

_KEYS_PER_STATEMENT: Final = 500


class SqlEmbeddingCacheRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def get_many(self, model: str, text_hashes: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        unique = list(dict.fromkeys(text_hashes))
        for start in range(0, len(unique), _KEYS_PER_STATEMENT):
            batch = unique[start : start + _KEYS_PER_STATEMENT]
            rows = self._connection().execute(
                sa.select(embedding_cache.c.text_sha256, embedding_cache.c.vector).where(
                    embedding_cache.c.model == model, embedding_cache.c.text_sha256.in_(batch)
                )
            )
            for text_hash, blob in rows:
                found[text_hash] = np.frombuffer(blob, dtype="<f4").astype(float).tolist()
        return found

    def put_many(self, model: str, vectors: Mapping[str, Sequence[float]]) -> None:
        """Insert vectors; hashes the model has cached already keep theirs (same text, same vector)."""
        if not vectors:
            return
        rows = [
            {
                "model": model,
                "text_sha256": text_hash,
                "dim": len(vector),
                "vector": np.asarray(vector, dtype="<f4").tobytes(),
            }
            for text_hash, vector in vectors.items()
        ]
        connection = self._connection()
        statement = dialect_insert(connection, embedding_cache).on_conflict_do_nothing(
            index_elements=["model", "text_sha256"]
        )
        connection.execute(statement, rows)

    def count(self, model: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(embedding_cache)
        if model is not None:
            query = query.where(embedding_cache.c.model == model)
        return int(self._connection().execute(query).scalar_one())
