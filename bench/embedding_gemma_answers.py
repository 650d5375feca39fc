"""The server profile's answer path with EmbeddingGemma retrieving, through the evaluation core (issue #14).

    .venv/bin/python bench/embedding_gemma_answers.py   # after bench/embedding_gemma.py (model, vectors)

``bench/embedding_gemma.py`` measures the ranked list; what a customer sees is the answer. This runs
the evaluation core (the service behind ``luna eval run``) on both golden sets twice on the bench
index: as shipped (e5-small retrieves and judges, floor 0.86), and as the server profile answers with
``embeddinggemma`` from Ollama: Gemma's vectors as the dense leg (the cached chunk vectors, the
question embedded here), the lexical leg at 0.5, no dense floor, and the extractive answerer still
judging sentences with e5-small. Prints one Markdown row per variant and split.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from corpus_container import REPO, corpus_container
from embedding_gemma import EmbeddingGemma, chunk_vectors

from luna.ports.vectors import VectorHit
from luna.services.evaluation.evaluation import read_golden_sets

SETS = [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
HEADER = (
    "| variant | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
    "| refused unanswerable / answerable | number warnings | answer ms p50 |\n"
    "|---|---|---|---|---|---|---|---|"
)


class GemmaDenseLeg:
    """The retrieval's embedder and vector index for its dense leg: Gemma's question vector against the
    cached chunk vectors (filters are not used by the golden sets)."""

    def __init__(self, model: EmbeddingGemma, ids: list[str], matrix: np.ndarray[Any, Any]) -> None:
        self.model, self.ids, self.matrix = model, ids, matrix

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.model.query(text)]

    def search(self, _collection: str, vector: list[float], limit: int, _where: Any) -> list[VectorHit]:
        scores = self.matrix @ np.asarray(vector, dtype=np.float32)
        return [VectorHit(self.ids[i], float(scores[i]), {}) for i in np.argsort(-scores)[:limit]]


def rows(label: str, container: Any) -> list[str]:
    questions = read_golden_sets(SETS)
    out = []
    for split in ("tune", "test"):
        run = container.services.evaluation.run(
            questions,
            split=split,
            name=f"gemma-{label}-{split}",
            documents_dir=REPO.parent / "shared" / "corpus",
        )
        f = run.figures
        out.append(
            f"| {label} | {split} | {f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} | "
            f"{f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} | "
            f"{f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | {f.false_number_warnings} | "
            f"{f.answer_ms_p50:.0f} |"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floors", default="-1", help="comma-separated rag.min_dense_score values for Gemma")
    parser.add_argument("--no-shipped", action="store_true", help="leave out the shipped rows")
    args = parser.parse_args(argv)
    table = [HEADER]
    shipped = corpus_container()
    try:
        if not args.no_shipped:
            table += rows("shipped (e5-small)", shipped)
        model = EmbeddingGemma()
        ids, matrix = chunk_vectors(shipped, model)
    finally:
        shipped.close()
    for floor in args.floors.split(","):
        overrides = {"LUNA_RAG__LEXICAL_WEIGHT": "0.5", "LUNA_RAG__MIN_DENSE_SCORE": floor}
        served = corpus_container(overrides=overrides)
        try:
            retrieval = served.services.knowledge.retrieval
            leg = GemmaDenseLeg(model, ids, matrix)
            retrieval._embedder, retrieval._vectors = leg, leg
            table += rows(f"server profile (Gemma retrieves, e5 judges), floor {floor}", served)
        finally:
            served.close()
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
