"""Multi-query retrieval, measured on the tune and the held-out test split (issue #14).

    .venv/bin/python bench/query_clauses.py        # after bench/retrieval_quality.py

Half of the golden questions ask two things at once ("Wie lange darf der Wechsel dauern, und darf das
etwas kosten?"). The candidate searches the whole question and each clause, and adds the clauses'
results with weight ``w`` (by fused score, or by reciprocal rank). Prints hit@1 / hit@5 / MRR@10.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from corpus_container import REPO, corpus_container

from luna.domain.evaluation import GoldenQuestion
from luna.services.evaluation.evaluation import read_golden_sets

#: A clause starts after a sentence end, at "und" before a question word or verb, or at a dash.
_CLAUSE = re.compile(
    r"(?<=[?.!])\s+|,?\s+und\s+(?=(?:wie|was|wann|wer|wo|welche\w*|ob|darf|muss|kann|bekomme|gibt|habe|"
    r"ist|sind|bis|ab)\b)|\s+[–-]\s+",
    re.IGNORECASE,
)
DEPTH = 30


def clauses(question: str) -> list[str]:
    parts = [p.strip(" ,?") for p in _CLAUSE.split(question) if p and len(p.split()) >= 3]
    return parts if len(parts) > 1 else []


def figures(ranks: Sequence[int | None]) -> str:
    hit1 = sum(r == 1 for r in ranks) / len(ranks)
    hit5 = sum(bool(r and r <= 5) for r in ranks) / len(ranks)
    mrr = statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks])
    return f"{hit1:.3f} / {hit5:.3f} / {mrr:.3f}"


def main() -> None:
    c = corpus_container()
    questions = [q for q in read_golden_sets([REPO / "bench" / "questions_de.yaml"]) if q.answerable]
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    found: dict[str, list[Any]] = {}

    def search(text: str) -> list[Any]:
        if text not in found:
            found[text] = c.services.knowledge.retrieval.search(text, DEPTH).citations
        return found[text]

    def rank(question: GoldenQuestion, weight: float, by_rank: bool) -> int | None:
        scores: dict[str, float] = {}
        chunks: dict[str, Any] = {}
        for text, w in [(question.question, 1.0), *((part, weight) for part in clauses(question.question))]:
            for place, hit in enumerate(search(text)):
                chunks.setdefault(hit.chunk_id, hit)
                gain = 1 / (60 + place) if by_rank else hit.score
                scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + w * gain
        ordered = sorted(chunks.values(), key=lambda hit: -scores[hit.chunk_id])
        wanted = items[question.document or ""]
        needles = question.needles
        return next(
            (
                place
                for place, hit in enumerate(ordered, 1)
                if hit.payload["item_id"] == wanted and any(n in hit.payload["text"] for n in needles)
            ),
            None,
        )

    print(f"questions with clauses: {sum(1 for q in questions if clauses(q.question))} of {len(questions)}")
    print("| clauses' weight | fusion | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |")
    print("|---|---|---|---|")
    for weight in (0.0, 0.25, 0.5, 1.0):
        for by_rank in (False, True):
            split_ranks = {
                split: [rank(q, weight, by_rank) for q in questions if q.split == split]
                for split in ("tune", "test")
            }
            fusion = "reciprocal rank" if by_rank else "fused score"
            tune, test = figures(split_ranks["tune"]), figures(split_ranks["test"])
            print(f"| {weight} | {fusion} | {tune} | {test} |")


if __name__ == "__main__":
    main()
