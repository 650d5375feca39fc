"""In-process BM25 index on ``bm25s`` with German analysis (compounds, synonyms, § references).

bm25s builds its sparse score matrix in one go and cannot add documents to it. Changes therefore only
mark the index stale; the next search rebuilds it once for the whole batch of changes (cost
proportional to the corpus, fine up to ~100K chunks). Each rebuild also re-learns the corpus
vocabulary that the compound splitter uses, so index and query terms always come from the same
analyzer. Searches score against an immutable snapshot and run concurrently; changes and rebuilds
take a lock.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.german_text import GermanAnalyzer, surface_tokens
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.lexical import LexicalDocument, LexicalHit
from luna.ports.vectors import PayloadFilter

_FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_DOCUMENTS = "documents.jsonl"
_MATRIX = "bm25s"
#: The shortest word :meth:`Bm25sLexicalIndex.holds_head` looks for at the end of compounds.
_MIN_HEAD = 5

#: A payload value as the filter compares it: booleans apart from numbers (True is not 1), ints and
#: floats equal when numerically equal.
_ValueKey = tuple[str, Any]


@dataclass(frozen=True, slots=True)
class _Document:
    tokens: tuple[str, ...]
    payload: dict[str, Any]


def _value_keys(value: Any) -> list[_ValueKey]:
    if isinstance(value, bool):
        return [("bool", value)]
    if isinstance(value, int | float):
        return [("number", value)]
    if isinstance(value, str):
        return [("str", value)]
    if isinstance(value, Sequence):
        scalars = [element for element in value if isinstance(element, bool | int | float | str)]
        return [key for element in scalars for key in _value_keys(element)]
    return []


def _filter_keys(field: str, wanted: Any) -> list[_ValueKey]:
    if isinstance(wanted, bool | int | float | str):
        return _value_keys(wanted)
    if isinstance(wanted, Sequence) and all(isinstance(element, str | int) for element in wanted):
        return _value_keys(wanted)
    raise InvalidInput(f"unsupported filter value for {field!r}: {wanted!r}")


def _stored_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A private copy whose lists cannot be changed behind the index's back."""
    return {key: tuple(value) if isinstance(value, list | tuple) else value for key, value in payload.items()}


class _PayloadIndex:
    """field → value → document positions, so a filter becomes a boolean mask without a payload scan."""

    def __init__(self, payloads: Iterable[Mapping[str, Any]], size: int) -> None:
        self._size = size
        positions: dict[str, dict[_ValueKey, list[int]]] = {}
        for position, payload in enumerate(payloads):
            for field, value in payload.items():
                for key in _value_keys(value):
                    positions.setdefault(field, {}).setdefault(key, []).append(position)
        self._positions = {
            field: {key: np.asarray(found, dtype=np.int64) for key, found in values.items()}
            for field, values in positions.items()
        }

    def mask(self, where: PayloadFilter) -> npt.NDArray[np.bool_]:
        allowed = np.ones(self._size, dtype=bool)
        for field, wanted in where.items():
            matches = np.zeros(self._size, dtype=bool)
            values = self._positions.get(field, {})
            for key in _filter_keys(field, wanted):
                found = values.get(key)
                if found is not None:
                    matches[found] = True
            allowed &= matches
        return allowed


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Everything one search needs, built together so it is always consistent."""

    analyzer: GermanAnalyzer
    chunk_ids: tuple[str, ...]
    retriever: bm25s.BM25 | None
    payloads: _PayloadIndex

    def vocabulary_size(self) -> int:
        return 0 if self.retriever is None else len(self.retriever.vocab_dict)


class Bm25sLexicalIndex:
    """:class:`~luna.ports.lexical.LexicalIndex` on bm25s (Lucene BM25 with ``k1``/``b``)."""

    def __init__(self, *, k1: float = 1.5, b: float = 0.75) -> None:
        self._k1 = k1
        self._b = b
        self._lock = threading.RLock()
        self._documents: dict[str, _Document] = {}
        self._word_counts: Counter[str] = Counter()
        self._snapshot: _Snapshot | None = None

    def add(self, docs: Sequence[LexicalDocument]) -> None:
        prepared = []
        for chunk_id, text, payload in docs:
            if not isinstance(chunk_id, str) or not chunk_id:
                raise InvalidInput(f"chunk id must be a non-empty string, got {chunk_id!r}")
            prepared.append((chunk_id, _Document(tuple(surface_tokens(text)), _stored_payload(payload))))
        with self._lock:
            for chunk_id, document in prepared:
                self._forget(chunk_id)
                self._documents[chunk_id] = document
                self._word_counts.update(document.tokens)
            if prepared:
                self._snapshot = None

    def remove(self, chunk_ids: Sequence[str]) -> None:
        with self._lock:
            removed = [chunk_id for chunk_id in chunk_ids if self._forget(chunk_id)]
            if removed:
                self._snapshot = None

    def search(self, query: str, limit: int, where: PayloadFilter | None = None) -> list[LexicalHit]:
        if limit <= 0:
            return []
        snapshot = self._current_snapshot()
        if snapshot.retriever is None:
            return []
        vocabulary = snapshot.retriever.vocab_dict
        terms = snapshot.analyzer.query_terms(query, known=vocabulary)
        term_ids = [vocabulary[term] for term in terms if term in vocabulary]
        if not term_ids:
            return []
        scores = np.asarray(snapshot.retriever.get_scores(term_ids), dtype=np.float64)
        if where:
            scores = np.where(snapshot.payloads.mask(where), scores, 0.0)
        return _top_hits(scores, snapshot.chunk_ids, limit)

    def holds_word(self, word: str) -> bool:
        tokens = surface_tokens(word)
        with self._lock:
            return len(tokens) == 1 and self._word_counts[tokens[0]] > 0

    def holds_head(self, word: str) -> bool:
        tokens = surface_tokens(word)
        if len(tokens) != 1 or len(tokens[0]) < _MIN_HEAD:
            return False
        with self._lock:
            return any(token.endswith(tokens[0]) for token in self._word_counts)

    def count(self, where: PayloadFilter | None = None) -> int:
        if not where:
            with self._lock:
                return len(self._documents)
        return int(self._current_snapshot().payloads.mask(where).sum())

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()
            self._word_counts.clear()
            self._snapshot = None

    def save(self, target: Path) -> None:
        """Write documents (tokens and payloads) and the score matrix, replacing ``target`` whole."""
        with self._lock:
            snapshot = self._current_snapshot()
            staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            staging.mkdir(parents=True)
            try:
                manifest = {
                    "format": _FORMAT_VERSION,
                    "k1": self._k1,
                    "b": self._b,
                    "documents": len(self._documents),
                }
                (staging / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
                with (staging / _DOCUMENTS).open("w", encoding="utf-8") as handle:
                    for chunk_id, document in self._documents.items():
                        record = {"id": chunk_id, "tokens": document.tokens, "payload": document.payload}
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                if snapshot.retriever is not None:
                    snapshot.retriever.save(str(staging / _MATRIX), show_progress=False)
                _replace_folder(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def load(self, source: Path) -> None:
        manifest = json.loads((source / _MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != _FORMAT_VERSION:
            raise InvalidInput(f"{source} holds no lexical index of format {_FORMAT_VERSION}")
        documents: dict[str, _Document] = {}
        with (source / _DOCUMENTS).open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                documents[record["id"]] = _Document(
                    tuple(record["tokens"]), _stored_payload(record["payload"])
                )
        word_counts: Counter[str] = Counter()
        for document in documents.values():
            word_counts.update(document.tokens)
        matrix = source / _MATRIX
        retriever = bm25s.BM25.load(str(matrix), show_progress=False) if matrix.is_dir() else None
        snapshot = _Snapshot(
            GermanAnalyzer(word_counts),
            tuple(documents),
            retriever,
            _PayloadIndex((document.payload for document in documents.values()), len(documents)),
        )
        with self._lock:
            self._k1, self._b = float(manifest["k1"]), float(manifest["b"])
            self._documents = documents
            self._word_counts = word_counts
            self._snapshot = snapshot

    def health(self) -> ComponentHealth:
        started = time.perf_counter()
        with self._lock:
            documents = len(self._documents)
            snapshot = self._snapshot
        return ComponentHealth(
            "lexical",
            HealthStatus.UP,
            "bm25s",
            latency_ms=(time.perf_counter() - started) * 1000,
            version=bm25s.__version__,
            detail=f"{documents} documents in memory",
            extra={
                "documents": documents,
                "terms": None if snapshot is None else snapshot.vocabulary_size(),
                "rebuild_pending": snapshot is None,
            },
        )

    def _forget(self, chunk_id: str) -> bool:
        document = self._documents.pop(chunk_id, None)
        if document is None:
            return False
        self._word_counts.subtract(document.tokens)
        for token in set(document.tokens):
            if self._word_counts[token] <= 0:
                del self._word_counts[token]
        return True

    def _current_snapshot(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._build_snapshot()
            return self._snapshot

    def _build_snapshot(self) -> _Snapshot:
        analyzer = GermanAnalyzer(self._word_counts)
        corpus = [analyzer.terms_of_tokens(document.tokens) for document in self._documents.values()]
        retriever = None
        if any(corpus):
            retriever = bm25s.BM25(k1=self._k1, b=self._b)
            retriever.index(corpus, show_progress=False)
        payloads = _PayloadIndex((document.payload for document in self._documents.values()), len(corpus))
        return _Snapshot(analyzer, tuple(self._documents), retriever, payloads)


def _top_hits(scores: npt.NDArray[np.float64], chunk_ids: Sequence[str], limit: int) -> list[LexicalHit]:
    """The best ``limit`` positive scores; equal scores ordered by chunk id so results are stable."""
    candidates = np.flatnonzero(scores > 0)
    if candidates.size > limit:
        threshold = np.partition(scores[candidates], candidates.size - limit)[candidates.size - limit]
        candidates = candidates[scores[candidates] >= threshold]
    ranked = sorted((-float(scores[i]), chunk_ids[int(i)]) for i in candidates)
    return [LexicalHit(chunk_id, -negative) for negative, chunk_id in ranked[:limit]]


def _replace_folder(staging: Path, target: Path) -> None:
    """Put the freshly written ``staging`` in place of ``target``; the old folder goes only afterwards."""
    retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
