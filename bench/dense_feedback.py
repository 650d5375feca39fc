"""Pseudo-relevance feedback on the dense leg (issue #14 candidate): the question's vector moved towards
the vectors of the chunks retrieval ranks first, then searched again.

    .venv/bin/python bench/dense_feedback.py        # after bench/retrieval_quality.py

Rocchio on dense vectors: ``q' = normalise(q + beta * mean(v_1 … v_k))`` where ``v_i`` are the passage
vectors of the first ``k`` chunks of the shipped hybrid ranking (or of the dense leg alone); the lexical
leg and the fusion stay as shipped (``RetrievalService._fuse``). Passage vectors are embedded again
from each chunk's indexed text, as ingest does. The grid is chosen on the tune split of the five golden
sets (hit@5, then MRR@10) and measured once on their test split and on the sixth set, written blind.
Prints hit@1 / hit@5 / MRR@10 per split as a Markdown table.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence

import numpy as np
from corpus_container import FIVE_GOLDEN_SETS, REPO, SIXTH_GOLDEN_SET, corpus_container

from luna.domain.evaluation import GoldenQuestion
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.indexing import indexed_text

DEPTH = 40
#: (source of the feedback chunks, k, beta); ``None`` is the shipped search.
GRID: list[tuple[str, int, float] | None] = [
    None,
    *[(source, k, beta) for source in ("hybrid", "dense") for k in (1, 3, 5) for beta in (0.25, 0.5, 1.0)],
]


def figures(ranks: Sequence[int | None]) -> str:
    values = (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(bool(r and r <= 5) for r in ranks) / len(ranks),
        statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks]),
    )
    return " / ".join(f"{v:.3f}" for v in values)


class Bench:
    def __init__(self) -> None:
        self.c = corpus_container()
        self.retrieval = self.c.services.knowledge.retrieval
        self.retrieval._lexical.ensure_fresh()
        self.passages: dict[str, np.ndarray] = {}
        self.texts: dict[str, tuple[str, str, str]] = {}

    def _chunks(self, ids: Sequence[str]) -> None:
        missing = [i for i in ids if i not in self.texts]
        if not missing:
            return
        with self.c.database.unit_of_work(read_only=True) as uow:
            for chunk in uow.chunks.get_many(missing):
                item = uow.items.get(chunk.item_id)
                if item is not None:
                    self.texts[chunk.chunk_id] = (chunk.item_id, chunk.text, indexed_text(item, chunk))

    def _vectors(self, ids: Sequence[str]) -> np.ndarray:
        self._chunks(ids)
        missing = [i for i in ids if i not in self.passages and i in self.texts]
        if missing:
            embedded = self.retrieval._embedder.embed_passages([self.texts[i][2] for i in missing])
            for i, vector in zip(missing, embedded, strict=True):
                self.passages[i] = np.asarray(vector, dtype=np.float32)
        return np.stack([self.passages[i] for i in ids if i in self.passages])

    def _dense(self, vector: np.ndarray) -> list[tuple[str, float]]:
        r = self.retrieval
        hits = r._vectors.search(r._collections.active(), vector.tolist(), DEPTH, None)
        return [(h.point_id, h.score) for h in hits]

    def ranks(
        self, question: GoldenQuestion, item_id: str
    ) -> dict[tuple[str, int, float] | None, int | None]:
        r = self.retrieval
        query = np.asarray(r._embedder.embed_query(question.question), dtype=np.float32)
        dense = self._dense(query)
        lexical = [(h.chunk_id, h.score) for h in r._lexical.index.search(question.question, DEPTH, None)]
        shipped = r._fuse(dense, lexical, r._settings.fusion)
        result: dict[tuple[str, int, float] | None, int | None] = {}
        for cell in GRID:
            ranked = shipped
            if cell is not None:
                source, k, beta = cell
                first = [i for i, _ in (shipped if source == "hybrid" else dense)[:k]]
                moved = query + beta * self._vectors(first).mean(axis=0)
                moved /= np.linalg.norm(moved)
                ranked = r._fuse(self._dense(moved), lexical, r._settings.fusion)
            ids = [i for i, _ in ranked[:10]]
            self._chunks(ids)
            result[cell] = next(
                (
                    place
                    for place, i in enumerate(ids, 1)
                    if i in self.texts
                    and self.texts[i][0] == item_id
                    and any(n in self.texts[i][1] for n in question.needles)
                ),
                None,
            )
        return result


def main() -> int:
    bench = Bench()
    corpus = REPO.parent / "shared" / "corpus"
    five = [q for q in read_golden_sets(FIVE_GOLDEN_SETS) if q.answerable]
    sixth = [q for q in read_golden_sets(SIXTH_GOLDEN_SET) if q.answerable]
    items = bench.c.services.evaluation.resolve_documents(five + sixth, corpus)
    groups = {
        "tune": [q for q in five if q.split == "tune"],
        "test": [q for q in five if q.split == "test"],
        "sixth": sixth,
    }
    ranks = {
        name: [bench.ranks(q, items[q.document or ""]) for q in questions]
        for name, questions in groups.items()
    }
    print("| dense query | tune hit@1 / hit@5 / MRR@10 | test | sixth set |\n|---|---|---|---|")
    for cell in GRID:
        label = "as asked (shipped)" if cell is None else f"{cell[0]} top {cell[1]}, beta {cell[2]}"
        cells = [figures([row[cell] for row in ranks[name]]) for name in groups]
        print(f"| {label} | {' | '.join(cells)} |")
    bench.c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
