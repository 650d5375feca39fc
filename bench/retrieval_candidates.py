"""Retrieval candidates of issue #14, measured on the tune and the held-out test split.

    .venv/bin/python bench/retrieval_candidates.py        # after bench/retrieval_quality.py

Each candidate is a setting of the existing search (fusion method, dense weight, candidate depth) or
a re-ranking of its top 30 by the best question–sentence cosine of each chunk (sentence-level
vectors, the cheap form of multi-granularity indexing). A candidate is kept only if it wins on
``tune`` and holds on ``test``. Prints hit@1 / hit@5 / MRR@10 per split as a Markdown table.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from corpus_container import REPO, corpus_container

from luna.container import Container
from luna.domain.answer_sentences import split_sentences
from luna.domain.evaluation import GoldenQuestion
from luna.services.evaluation.evaluation import read_golden_sets

SETTINGS: tuple[tuple[str, Mapping[str, str]], ...] = (
    ("weighted, dense 1.0 (shipped)", {}),
    ("weighted, dense 0.7", {"LUNA_RAG__DENSE_WEIGHT": "0.7"}),
    ("weighted, dense 1.5", {"LUNA_RAG__DENSE_WEIGHT": "1.5"}),
    ("weighted, dense 2.0", {"LUNA_RAG__DENSE_WEIGHT": "2.0"}),
    ("rrf, dense 1.0", {"LUNA_RAG__FUSION": "rrf"}),
    ("rrf, dense 1.5", {"LUNA_RAG__FUSION": "rrf", "LUNA_RAG__DENSE_WEIGHT": "1.5"}),
    ("weighted, 80 candidates", {"LUNA_RAG__CANDIDATES": "80"}),
)
RERANK_DEPTH = 30

Ranked = list[bool]  # per retrieved chunk: does it answer the question


def figures(hits: Sequence[Ranked]) -> tuple[float, float, float]:
    ranks = [next((i for i, hit in enumerate(found, 1) if hit), None) for found in hits]
    return (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(bool(r and r <= 5) for r in ranks) / len(ranks),
        statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks]),
    )


def searched(
    c: Container,
    questions: Sequence[GoldenQuestion],
    order: Callable[[str, list[Any]], list[Any]] | None = None,
) -> dict[str, Ranked]:
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    result = {}
    for q in questions:
        found = c.services.knowledge.retrieval.search(q.question, RERANK_DEPTH if order else 10).citations
        ordered = order(q.question, found) if order else found
        result[q.question_id] = [
            x.payload["item_id"] == items[q.document or ""] and any(n in x.payload["text"] for n in q.needles)
            for x in ordered[:10]
        ]
    return result


def sentence_order(c: Container) -> Callable[[str, list[Any]], list[Any]]:
    """The top chunks by their best sentence's cosine to the question, retrieval order breaking ties."""
    embedder = c.sentence_embedder

    def order(question: str, found: list[Any]) -> list[Any]:
        query = np.asarray(embedder.embed_query(question))
        best = []
        for rank, citation in enumerate(found):
            sentences = [s for s in split_sentences(citation.payload["text"]) if len(s) > 20][:40]
            vectors = np.asarray(
                embedder.embed_passages([s[:600] for s in sentences or [citation.payload["text"]]])
            )
            best.append((-float((vectors @ query).max()), rank, citation))
        return [citation for _, _, citation in sorted(best, key=lambda entry: entry[:2])]

    return order


def main() -> int:
    questions = read_golden_sets([REPO / "bench" / "questions_de.yaml"])
    rows = []
    for label, overrides in SETTINGS:
        c = corpus_container(overrides=overrides)
        rows.append((label, searched(c, questions)))
        c.close()
    c = corpus_container()
    rows.append(("re-ranked by best sentence cosine", searched(c, questions, sentence_order(c))))
    c.close()
    print("| candidate | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, hits in rows:
        cells = []
        for split in ("tune", "test"):
            chosen = [hits[q.question_id] for q in questions if q.split == split]
            cells.append(" / ".join(f"{value:.3f}" for value in figures(chosen)))
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
