"""The answer's reading order with the refine leg's model judging the sentences (issue #14): a probe.

    .venv/bin/python bench/refine_leg.py --weight 4      # the shipped index, its refine leg caught up
    .venv/bin/python bench/refine_sentences.py

The extractive answerer orders the sentences of its context by e5-small's cosine to the question,
plus a little for the question's words, the chunk's place and a figure (``reading_order``). Here
EmbeddingGemma's cosine moves that order: ``order + alpha × (gemma − e5)``, so alpha 1 orders by
EmbeddingGemma alone (with the same small terms), 0 is the shipped answerer. The sentences are the
ones e5 judges already (those of the six best chunks); refusal thresholds and the answer reader stay
as they are. Alpha is chosen on tune by the objective of ``bench/answer_weights.py``, then every
held-out view goes through the evaluation core with it, beside alpha 0, in the same run.

The Gemma sentence vectors are computed at answer time here (cached by text in the index's embedding
cache, so only the first pass pays): this measures what the order would gain, not what it would cost.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from corpus_container import FIVE_GOLDEN_SETS, REPO, corpus_container, figure_cells, split_outcomes

import luna.adapters.models.extractive as extractive
from luna.container import Container
from luna.domain.evaluation import in_split
from luna.services.evaluation.evaluation import read_golden_sets

REFINE = {"LUNA_RAG__REFINE__ENABLED": "true", "LUNA_RAG__REFINE__WEIGHT": "4"}
ALPHAS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


def reorder_with_gemma(c: Container) -> dict[str, float]:
    """Patches the answerer's ranking; the returned dict's "alpha" sets how far Gemma moves it."""
    refine = c.services.knowledge.refine
    assert refine is not None
    gemma = refine._embedder
    setting = {"alpha": 0.0}
    original = extractive.ExtractiveChatModel._rank

    def _rank(self: extractive.ExtractiveChatModel, question: str, chunks: Sequence[Any]) -> list[Any]:
        ranked = original(self, question, chunks)
        alpha = setting["alpha"]
        judged = [r for r in ranked if r.meaning is not None]
        if alpha == 0 or not judged:
            return ranked
        query = np.asarray(gemma.embed_query(question), dtype=np.float64)
        texts = [r.sentence.meaning_text[: extractive._MAX_JUDGED_CHARS] for r in judged]
        vectors = np.asarray(gemma.embed_passages(texts), dtype=np.float64)
        cosines = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-12)
        moved = {
            id(r): r.order + alpha * (float(g) - r.meaning) for r, g in zip(judged, cosines, strict=True)
        }
        out = [dataclasses.replace(r, order=moved.get(id(r), r.order)) for r in ranked]
        out.sort(key=lambda r: (r.order, r.score), reverse=True)
        return out

    extractive.ExtractiveChatModel._rank = _rank  # type: ignore[method-assign]
    return setting


def objective(f: object) -> float:
    return f.answer_holds_needle + f.refusal_rate - 2 * f.false_refusal_rate  # type: ignore[attr-defined]


def main() -> int:
    c = corpus_container(overrides=REFINE)
    try:
        assert c.services.knowledge.refine is not None and c.services.knowledge.refine.pending() == 0
        setting = reorder_with_gemma(c)
        tune = in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune")
        print(
            "| alpha | tune hit@1 / hit@5 / MRR@10 | states it | first citation answers "
            "| refused unanswerable / answerable | number warnings | answer ms p50 / p95 |\n"
            "|---|---|---|---|---|---|---|"
        )
        best: tuple[float, float] = (-9.0, 0.0)
        for alpha in ALPHAS:
            setting["alpha"] = alpha
            run = c.services.evaluation.run(
                tune,
                split="tune",
                name=f"gemma-order-{alpha}",
                documents_dir=REPO.parent / "shared" / "corpus",
            )
            print(f"| {alpha} {figure_cells(run.figures)}", flush=True)
            best = max(best, (objective(run.figures), -alpha))
        chosen = -best[1]
        print(f"\nchosen on tune: alpha {chosen}\n", flush=True)
        for alpha in (0.0, chosen):
            setting["alpha"] = alpha
            for label, run, _ in split_outcomes(c, f"gemma-order-{alpha}"):
                print(f"| alpha {alpha} | {label} {figure_cells(run.figures)}", flush=True)
    finally:
        c.close()
    print("done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
