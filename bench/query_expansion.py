"""Dense-leg query expansion through the domain synonym list (issue #14 candidate), tune vs test.

    .venv/bin/python bench/query_expansion.py        # after bench/retrieval_quality.py

The lexical leg already expands synonyms inside its analyzer; the dense leg reads the question as
asked. Each candidate appends, in brackets, the other members of every synonym group the question
names ("Smart Meter" → "(Smartmeter, intelligentes Messsystem)"; abbreviations left out) before the
e5 query is embedded; the lexical leg and the weighted fusion stay as shipped. Prints hit@1 / hit@5 /
MRR@10 per split as a Markdown table.
"""

from __future__ import annotations

import re
import statistics
import sys

from corpus_container import REPO, corpus_container

from luna.domain.evaluation import GoldenQuestion
from luna.domain.fusion import weighted_score_fusion
from luna.domain.german_text import DOMAIN_SYNONYMS, fold
from luna.services.evaluation.evaluation import read_golden_sets

MODES = (("as asked (shipped)", None), ("+ all other members", "all"), ("+ longest other member", "longest"))


def expansion(question: str, mode: str | None) -> str:
    if mode is None:
        return question
    folded = fold(question)
    extra: list[str] = []
    for group in DOMAIN_SYNONYMS:
        named = [m for m in group if re.search(r"\b" + re.escape(fold(m)) + r"\b", folded)]
        if not named:
            continue
        others = [m for m in group if m not in named and not (m.isupper() or len(m) <= 4)]
        if mode == "longest":
            others = sorted(others, key=len, reverse=True)[:1]
        extra += [m for m in others if fold(m) not in folded]
    return f"{question} ({', '.join(extra)})" if extra else question


def figures(hits: list[list[bool]]) -> str:
    ranks = [next((i for i, hit in enumerate(found, 1) if hit), None) for found in hits]
    values = (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(bool(r and r <= 5) for r in ranks) / len(ranks),
        statistics.fmean([1 / r if r and r <= 10 else 0.0 for r in ranks]),
    )
    return " / ".join(f"{v:.3f}" for v in values)


def main() -> int:
    c = corpus_container()
    questions: list[GoldenQuestion] = read_golden_sets([REPO / "bench" / "questions_de.yaml"])
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    r = c.services.knowledge.retrieval
    r._lexical.ensure_fresh()
    print("| dense query | tune hit@1 / hit@5 / MRR@10 | test hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    for label, mode in MODES:
        hits: dict[str, list[bool]] = {}
        for q in questions:
            vector = r._embedder.embed_query(expansion(q.question, mode))
            dense = [
                (h.point_id, h.score) for h in r._vectors.search(r._collections.active(), vector, 40, None)
            ]
            lexical = [(h.chunk_id, h.score) for h in r._lexical.index.search(q.question, 40, None)]
            fused = [chunk_id for chunk_id, _ in weighted_score_fusion([dense, lexical], (1.0, 1.0))][:10]
            with c.database.unit_of_work(read_only=True) as uow:
                chunks = {x.chunk_id: x for x in uow.chunks.get_many(fused)}
            hits[q.question_id] = [
                chunks[i].item_id == items[q.document or ""] and any(n in chunks[i].text for n in q.needles)
                for i in fused
                if i in chunks
            ]
        cells = [figures([hits[q.question_id] for q in questions if q.split == s]) for s in ("tune", "test")]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
