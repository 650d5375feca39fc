"""Lexical index: keyword (BM25-style) search over chunk texts, the second leg of hybrid retrieval.

Dense retrieval handles paraphrase; the lexical leg catches what embeddings blur: paragraph numbers
(§ 14a), abbreviations (MaLo, SLP), figures and rare technical terms. Its hits are fused with the
dense hits (:mod:`luna.domain.fusion`).

The index lives in process memory and is rebuilt from the chunk texts in the SQL store at start-up,
so it needs no persistence of its own. :meth:`LexicalIndex.save` and :meth:`LexicalIndex.load` only
make restarts of large corpora faster; whoever loads a saved index must know it still matches the
SQL store (for example by saving it together with a marker of the last ingest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from luna.domain.health import ComponentHealth
from luna.ports.vectors import PayloadFilter

#: (chunk_id, text, payload). The payload carries the fields searches filter on (``item_id``,
#: ``kind``, ``tags`` …), with the same meaning as vector payloads.
LexicalDocument = tuple[str, str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class LexicalHit:
    chunk_id: str
    #: Relevance on the index's own scale (BM25: unbounded, > 0); comparable within one result list
    #: only, which is why fusion normalises or uses ranks.
    score: float


class LexicalIndex(Protocol):
    def add(self, docs: Sequence[LexicalDocument]) -> None:
        """Add or replace documents (an existing ``chunk_id`` gets the new text and payload)."""
        ...

    def remove(self, chunk_ids: Sequence[str]) -> None:
        """Forget these documents; unknown ids are ignored."""
        ...

    def search(self, query: str, limit: int, where: PayloadFilter | None = None) -> list[LexicalHit]:
        """The ``limit`` best matching documents, best first; ties in score go to the smaller id.

        Documents that share no term with the query are never returned. ``where`` restricts the
        candidates *before* ranking, so a filtered search returns the best ``limit`` matches among
        the allowed documents, not the allowed part of an unfiltered top list.
        """
        ...

    def holds_word(self, word: str) -> bool:
        """Some document holds ``word`` itself, as written up to case and umlaut spelling ("Basel",
        "basel", "Muenchen" for "München"): not as a compound part or a synonym. Tells whether the
        knowledge base ever names someone or something a question asks about."""
        ...

    def holds_head(self, word: str) -> bool:
        """Some document holds ``word`` as a word or as the last part of a compound written as one
        word ("Einkommensbonus" for "Bonus"; case and umlaut spelling as in :meth:`holds_word`); only
        for words of five letters or more: shorter ones end too many words by chance ("Rat", "Beirat").
        Tells whether the documents speak of a thing they name only in compounds."""
        ...

    def count(self, where: PayloadFilter | None = None) -> int: ...

    def clear(self) -> None: ...

    def save(self, target: Path) -> None:
        """Write the whole index to the folder ``target`` (replacing what is there)."""
        ...

    def load(self, source: Path) -> None:
        """Replace the index with one written by :meth:`save`."""
        ...

    def health(self) -> ComponentHealth: ...
