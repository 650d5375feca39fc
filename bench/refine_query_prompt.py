"""The task prompt EmbeddingGemma reads a question with, for the refine leg and the reading order (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/refine_query_prompt.py

EmbeddingGemma's card names one query prompt per task; Luna reads every question with the retrieval
one ("task: search result | query: "), both where the refine leg re-scores the candidate passages and
where the answer orders its sentences by this model. Finding the sentence that answers a question is
the card's question-answering task, and "fact checking" reads a claim against its evidence. The
passages' and sentences' vectors ("title: none | text: ") stay as they are: only the question's
vector changes, so each variant costs nothing at indexing. The passage prompt is chosen on tune's
answerable questions by hit@5, then MRR@10; the sentence prompt then on tune by the objective of
``bench/answer_weights.py``. Every held-out view goes through the evaluation core for the shipped
prompts and the chosen ones, in the same run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import lru_cache

from corpus_container import (
    FIVE_GOLDEN_SETS,
    REPO,
    caught_up_container,
    figure_cells,
    figure_header,
    print_views,
)
from refine_leg import retrieval_figures
from refine_sentences import REFINE, objective

from luna.container import Container
from luna.domain.evaluation import in_split
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.refine import RefineLeg

PROMPTS = {
    "search result (shipped)": "task: search result | query: ",
    "question answering": "task: question answering | query: ",
    "fact checking": "task: fact checking | query: ",
}
SHIPPED = "search result (shipped)"


def query_with(c: Container, prompt: str) -> Callable[[str], tuple[float, ...]]:
    refine = c.services.knowledge.refine
    assert refine is not None
    model = refine._model

    def embed(question: str) -> tuple[float, ...]:
        return tuple(model._embed([prompt + question])[0])  # type: ignore[attr-defined]

    return lru_cache(maxsize=512)(embed)


def use_prompts(c: Container, passages: str, sentences: str) -> None:
    """The leg re-scores passages with the question read under ``passages``, and the answer orders
    its sentences with it read under ``sentences`` (names of :data:`PROMPTS`)."""
    refine = c.services.knowledge.refine
    assert refine is not None
    passage_query, sentence_query = query_with(c, PROMPTS[passages]), query_with(c, PROMPTS[sentences])

    def scores(question: str, chunk_ids: Sequence[str]) -> dict[str, float] | None:
        refine._query = passage_query  # type: ignore[method-assign]
        return RefineLeg.scores(refine, question, chunk_ids)

    def sentence_cosines(question: str, texts: Sequence[str]) -> list[float] | None:
        refine._query = sentence_query  # type: ignore[method-assign]
        return RefineLeg.sentence_cosines(refine, question, texts)

    refine.scores = scores  # type: ignore[method-assign]
    refine.sentence_cosines = sentence_cosines  # type: ignore[method-assign]


def tune_passages(c: Container) -> str:
    questions = [q for q in in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune") if q.answerable]
    items = c.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    print("| passage prompt | tune hit@1 / hit@5 / MRR@10 |\n|---|---|")
    best: tuple[float, float, int, str] = (-1.0, -1.0, 0, SHIPPED)
    for rank, name in enumerate(PROMPTS):
        use_prompts(c, name, SHIPPED)
        h1, h5, mrr = retrieval_figures(c, questions, items)
        print(f"| {name} | {h1:.3f} / {h5:.3f} / {mrr:.3f} |", flush=True)
        best = max(best, (round(h5, 6), round(mrr, 6), -rank, name))  # ties keep the shipped one
    return best[3]


def tune_sentences(c: Container, passages: str) -> str:
    tune = in_split(read_golden_sets(FIVE_GOLDEN_SETS), "tune")
    print("\n" + figure_header(f"sentence prompt (passages: {passages})", tune=True))
    best: tuple[float, int, str] = (-9.0, 0, SHIPPED)
    for rank, name in enumerate(PROMPTS):
        use_prompts(c, passages, name)
        run = c.services.evaluation.run(
            tune, split="tune", name=f"prompt-{rank}", documents_dir=REPO.parent / "shared" / "corpus"
        )
        print(f"| {name} {figure_cells(run.figures)}", flush=True)
        best = max(best, (round(objective(run.figures), 6), -rank, name))
    return best[2]


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        passages = tune_passages(c)
        sentences = tune_sentences(c, passages)
        print(f"\nchosen on tune: passages {passages}, sentences {sentences}\n", file=sys.stderr, flush=True)
        print("\n" + figure_header("prompts (passages / sentences)", "view"))
        for chosen in dict.fromkeys([(SHIPPED, SHIPPED), (passages, sentences)]):
            use_prompts(c, *chosen)
            print_views(c, " / ".join(chosen), f"prompts-{'-'.join(chosen)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
