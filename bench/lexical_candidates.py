"""BM25 parameters and the lexical leg's weight, measured on the tune and the held-out test split.

    .venv/bin/python bench/lexical_candidates.py        # after bench/retrieval_quality.py

Most misses of the shipped hybrid search find the right law but rank the answering paragraph 6th to
25th among its neighbours, so the candidates here change how the lexical leg tells paragraphs of one
law apart: Lucene BM25's ``k1`` (term-frequency saturation) and ``b`` (length normalisation), rebuilt
over the same chunks with the same German analyzer, and the weight of that leg in the weighted
fusion. The dense leg is the shipped index. Prints hit@1 / hit@5 / MRR@10 per split.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from corpus_container import REPO, corpus_container, rebuilt_lexical_index
from retrieval_candidates import figures

from luna.adapters.lexical.bm25s import Bm25sLexicalIndex
from luna.container import Container
from luna.domain.evaluation import GoldenQuestion
from luna.domain.fusion import weighted_score_fusion
from luna.services.evaluation.evaluation import read_golden_sets

GRID: tuple[tuple[float, float, float], ...] = (
    (1.5, 0.75, 1.0),  # shipped
    (1.2, 0.75, 1.0),
    (0.9, 0.4, 1.0),
    (1.2, 0.9, 1.0),
    (2.0, 0.75, 1.0),
    (1.5, 0.75, 0.7),
    (1.5, 0.75, 1.3),
)
DEPTH = 40


def ranked_hits(
    c: Container, index: Bm25sLexicalIndex, questions: Sequence[GoldenQuestion], lexical_weight: float
) -> dict[str, list[bool]]:
    kb = c.services.knowledge
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    collection = kb.collections.active()
    result = {}
    for q in questions:
        vector = kb.embedder.embed_query(q.question)
        dense = [(hit.point_id, hit.score) for hit in c.vectors.search(collection, vector, DEPTH)]
        lexical = [(hit.chunk_id, hit.score) for hit in index.search(q.question, DEPTH)]
        fused = weighted_score_fusion([dense, lexical], (1.0, lexical_weight))[:10]
        with c.database.unit_of_work(read_only=True) as uow:
            chunks = {chunk.chunk_id: chunk for chunk in uow.chunks.get_many([cid for cid, _ in fused])}
        result[q.question_id] = [
            cid in chunks
            and chunks[cid].item_id == items[q.document or ""]
            and any(n in chunks[cid].text for n in q.needles)
            for cid, _ in fused
        ]
    return result


def main() -> int:
    questions = read_golden_sets([REPO / "bench" / "questions_de.yaml"])
    c = corpus_container()
    print("| k1 / b / lexical weight | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |")
    print("|---|---|---|")
    try:
        for k1, b, weight in GRID:
            hits = ranked_hits(c, rebuilt_lexical_index(c, k1, b), questions, weight)
            cells = []
            for split in ("tune", "test"):
                chosen = [hits[q.question_id] for q in questions if q.split == split]
                cells.append(" / ".join(f"{value:.3f}" for value in figures(chosen)))
            print(f"| {k1} / {b} / {weight} | {cells[0]} | {cells[1]} |", flush=True)
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
