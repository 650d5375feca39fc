"""The refine leg scoring a candidate by its best sentence too (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/refine_best_sentence.py

The refine job already embeds every chunk's sentences with EmbeddingGemma (for the answer's reading
order). Multi-granularity retrieval with e5-small's sentence vectors lost (e5's sentence cosines are
flat on legal German, "Retrieval candidates"); EmbeddingGemma's are not. Here the leg's score of a
candidate becomes ``(1 − beta) × passage cosine + beta × its best sentence's cosine``, at no cost to
indexing. Beta (and the leg's weight with it) is chosen on tune's answerable questions by hit@5, then
MRR@10; every held-out view then goes through the evaluation core beside beta 0, in the same run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from corpus_container import (
    FIVE_GOLDEN_SETS,
    REPO,
    caught_up_container,
    figure_header,
    print_views,
)
from refine_leg import retrieval_figures
from refine_sentences import REFINE

from luna.adapters.models.extractive import judged_sentence_texts
from luna.container import Container
from luna.domain.evaluation import in_split
from luna.ports.chat import ContextChunk
from luna.services.evaluation.evaluation import read_golden_sets

BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)
WEIGHTS = (3.0, 4.0, 6.0)


def with_best_sentence(c: Container, beta: float) -> None:
    """The leg's scores mixed with each candidate's best sentence cosine (None as before when a
    sentence has no vector)."""
    refine = c.services.knowledge.refine
    assert refine is not None
    passage_scores = type(refine).scores.__get__(refine)

    def scores(question: str, chunk_ids: Sequence[str]) -> dict[str, float] | None:
        passages = passage_scores(question, chunk_ids)
        if passages is None or beta == 0:
            return passages
        with c.database.unit_of_work(read_only=True) as uow:
            chunks = uow.chunks.get_many(list(passages))
            titles = {
                i: (item.title if (item := uow.items.get(i)) else "") for i in {k.item_id for k in chunks}
            }
        mixed = dict(passages)
        for chunk in chunks:
            context = ContextChunk(
                chunk.chunk_id, chunk.text, titles[chunk.item_id], chunk.metadata.get("section")
            )
            texts = judged_sentence_texts(context)
            cosines = refine.sentence_cosines(question, texts) if texts else None
            if cosines is None:
                continue
            mixed[chunk.chunk_id] = (1 - beta) * passages[chunk.chunk_id] + beta * max(cosines)
        return mixed

    refine.scores = scores  # type: ignore[method-assign]


def tune(c: Container) -> tuple[float, float]:
    kb = c.services.knowledge
    assert kb.refine is not None
    questions = [q for q in in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune") if q.answerable]
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    print("| beta | weight | tune hit@1 / hit@5 / MRR@10 |\n|---|---|---|")
    best: tuple[tuple[float, ...], float, float] = ((-1.0,), 0.0, 4.0)
    for beta in BETAS:
        with_best_sentence(c, beta)
        for weight in WEIGHTS:
            kb.refine.weight = weight
            h1, h5, mrr = retrieval_figures(c, questions, items)
            print(f"| {beta} | {weight} | {h1:.3f} / {h5:.3f} / {mrr:.3f} |", flush=True)
            # Ties keep the smaller beta and the weight nearest the one shipped before (4).
            key = (round(h5, 6), round(mrr, 6), -beta, -abs(weight - 4.0))
            best = max(best, (key, beta, weight))
    return best[1], best[2]


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        refine = c.services.knowledge.refine
        beta, weight = tune(c)
        print(f"\nchosen on tune: beta {beta}, weight {weight}\n", file=sys.stderr, flush=True)
        print("\n" + figure_header("variant", "view"))
        variants = (
            ("passage cosine, weight 4 (shipped before)", 0.0, 4.0),
            (f"best sentence, beta {beta}, weight {weight}", beta, weight),
        )
        for label, chosen, leg_weight in variants:
            with_best_sentence(c, chosen)
            refine.weight = leg_weight
            print_views(c, label, f"best-sentence-{chosen}-{leg_weight}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
