"""Ties at the top of the fused ranking, and fusing on complete scores instead (issue #14).

    .venv/bin/python bench/complete_scores.py        # after bench/retrieval_quality.py

Weighted min-max fusion gives a chunk missing from one leg's 40 candidates 0 for that leg. When the
best dense chunk is not among the lexical candidates and the best lexical chunk not among the dense
ones, both fuse to exactly 1.0 and the tie goes to the smaller chunk ID, a random UUID: hit@1 then
depends on the ingest. This measures how often that happens and the candidates that remove it:
breaking ties by the dense cosine, and "complete scoring", where every candidate of either leg gets its
real score in both (its cosine to the question from its stored vector, its BM25 score from the same
query) before min-max over the union. Weights are chosen on ``tune``; ``test`` is held out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from corpus_container import REPO, corpus_container
from heldout import first_hit, rank_figures

from luna.domain.evaluation import GoldenQuestion
from luna.domain.fusion import Normalisation, weighted_score_fusion
from luna.services.evaluation.evaluation import read_golden_sets

DEPTH = 40
WEIGHTS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class Legs:
    question: GoldenQuestion
    dense: list[tuple[str, float]]
    lexical: list[tuple[str, float]]
    #: Every candidate of either leg with its cosine and its BM25 score (0 when it shares no term).
    cosine: dict[str, float]
    bm25: dict[str, float]
    hits: set[str]


def legs_of(questions: Sequence[GoldenQuestion]) -> list[Legs]:
    c = corpus_container()
    kb = c.services.knowledge
    retrieval = kb.retrieval
    collection = retrieval._collections.active()
    kb.lexical.ensure_fresh()
    snapshot = kb.lexical.index._current_snapshot()  # type: ignore[attr-defined]
    position = {chunk_id: i for i, chunk_id in enumerate(snapshot.chunk_ids)}
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    found = []
    for q in questions:
        query = np.asarray(c.embedder.embed_query(q.question))
        dense = [(h.point_id, h.score) for h in c.vectors.search(collection, query.tolist(), DEPTH)]
        lexical = [(h.chunk_id, h.score) for h in kb.lexical.index.search(q.question, DEPTH)]
        union = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical]))
        vectors = {p.point_id: np.asarray(p.vector) for p in c.vectors.get(collection, union)}
        vocabulary = snapshot.retriever.vocab_dict
        terms = [vocabulary[t] for t in snapshot.analyzer.query_terms(q.question) if t in vocabulary]
        all_bm25 = snapshot.retriever.get_scores(terms) if terms else np.zeros(len(position))
        with c.database.unit_of_work(read_only=True) as uow:
            chunks = {x.chunk_id: x for x in uow.chunks.get_many(union)}
        hits = {
            i
            for i, x in chunks.items()
            if x.item_id == items[q.document or ""] and any(n in x.text for n in q.needles)
        }
        found.append(
            Legs(
                q,
                dense,
                lexical,
                {i: float(vectors[i] @ query) for i in union if i in vectors},
                {i: float(all_bm25[position[i]]) for i in union if i in position},
                hits,
            )
        )
    c.close()
    return found


Fusion = Callable[[Legs], list[str]]


def shipped(dense_weight: float = 1.0, normalisation: Normalisation = "minmax") -> Fusion:
    return lambda x: [
        i for i, _ in weighted_score_fusion([x.dense, x.lexical], [dense_weight, 1.0], normalisation)
    ]


def ties_by_cosine(x: Legs) -> list[str]:
    fused = weighted_score_fusion([x.dense, x.lexical], [1.0, 1.0])
    return [i for _, _, i in sorted((-s, -x.cosine.get(i, 0.0), i) for i, s in fused)]


def complete(dense_weight: float) -> Fusion:
    def fuse(x: Legs) -> list[str]:
        ids = list(x.cosine)
        return [
            i
            for i, _ in weighted_score_fusion(
                [_ordered({i: x.cosine[i] for i in ids}), _ordered({i: x.bm25.get(i, 0.0) for i in ids})],
                [dense_weight, 1.0],
            )
        ]

    return fuse


def _ordered(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda entry: -entry[1])


def figures(rows: Sequence[Legs], fusion: Fusion) -> tuple[float, float, float]:
    return rank_figures([first_hit(fusion(x), x.hits) for x in rows])


def tied_at_top(x: Legs) -> bool:
    fused = weighted_score_fusion([x.dense, x.lexical], [1.0, 1.0])
    return len(fused) > 1 and fused[0][1] == fused[1][1]


def main() -> int:
    questions = read_golden_sets([REPO / "bench" / "questions_de.yaml"])
    rows = legs_of(questions)
    split = {s: [x for x in rows if x.question.split == s] for s in ("tune", "test")}
    for s, chosen in split.items():
        tied = sum(map(tied_at_top, chosen))
        print(f"{s}: {tied} of {len(chosen)} questions tie at the top", file=sys.stderr)
    best = max(WEIGHTS, key=lambda w: figures(split["tune"], complete(w))[1:])
    candidates: list[tuple[str, Fusion]] = [
        ("shipped: missing = 0, ties by chunk ID", shipped()),
        ("ties broken by the dense cosine", ties_by_cosine),
        *((f"complete scores, dense weight {w}", complete(w)) for w in WEIGHTS),
        *((f"z-scores, dense weight {w}", shipped(w, "zscore")) for w in WEIGHTS),
    ]
    print(f"chosen on tune: dense weight {best}", file=sys.stderr)
    print("| fusion | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, fusion in candidates:
        cells = [" / ".join(f"{v:.3f}" for v in figures(split[s], fusion)) for s in ("tune", "test")]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
