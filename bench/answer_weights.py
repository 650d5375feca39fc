"""Fit the extractive answerer's sentence ranking and refusal threshold on the tune split, report test.

    .venv/bin/python bench/answer_weights.py        # after bench/retrieval_quality.py built the index

For every golden question (``bench/questions_de.yaml`` answerable, ``bench/unanswerable_de.yaml`` not)
the context Luna would answer from is retrieved once; each candidate sentence gets its features (share
of the question's words, question-sentence cosine, the chunk's retrieval place, whether it states a
figure). A grid over :class:`~luna.adapters.models.extractive_ranking.MeaningWeights` is scored on the
``tune`` split only: the chosen sentence must hold a needle of the answering passage, unanswerable questions
must be refused and answerable ones not. The best weights are then measured once on ``test``; those
are the figures to report. Prints JSON and a Markdown table. (Since ``bench/sentence_ranker.py``, the
order the answer reads its sentences in is fitted apart from this score; the figures here rank by it.)
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from corpus_container import REPO, corpus_container

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_ranking import MeaningWeights, sentence_score
from luna.domain.answer_tables import FIGURE_QUESTION
from luna.domain.answers import ContextChunk
from luna.domain.evaluation import GoldenQuestion
from luna.services.evaluation.evaluation import read_golden_sets

#: Sentences in the answer's first paragraph: one before issue #14, two now.
LEAD_BEFORE, LEAD_NOW = 1, 2
SHARES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PENALTIES = (0.0, 0.02, 0.05, 0.1, 0.2)
MIN_MEANINGS = tuple(round(0.78 + 0.01 * i, 2) for i in range(14))
MIN_COVERAGES = (0.35, 0.5, 0.7, 0.9, 1.01)


@dataclass(frozen=True)
class Candidate:
    coverage: float
    cosine: float | None
    chunk_rank: int
    figure: bool
    #: The sentence comes from the answering document and holds one of the question's needles.
    hit: bool


@dataclass(frozen=True)
class Case:
    question: GoldenQuestion
    candidates: list[Candidate]


def _context(kb: Any, question: str) -> list[ContextChunk]:
    result = kb.retrieval.search(question, 6)
    return [
        ContextChunk(c.chunk_id, str(c.payload["text"]), c.payload.get("title"), c.payload.get("section"))
        for c in kb.answers.relevant(result)
    ]


def _candidates(
    model: ExtractiveChatModel,
    question: GoldenQuestion,
    chunks: list[ContextChunk],
    owner: dict[str, str],
    wanted: str | None,
) -> list[Candidate]:
    """Every sentence the answerer weighs, with its features (ranked once: the grid re-scores them)."""
    figure_question = FIGURE_QUESTION.search(question.question) is not None
    needles = [" ".join(n.split()) for n in question.needles]
    return [
        Candidate(
            r.coverage,
            r.meaning,
            r.sentence.chunk_rank,
            figure_question and r.sentence.has_figure,
            owner.get(r.sentence.chunk.chunk_id) == wanted
            and any(n in " ".join(r.sentence.text.split()) for n in needles),
        )
        for r in model._rank(question.question, chunks)  # fitting its internals
    ]


def score(
    cases: Sequence[Case], weights: MeaningWeights, share: float, lead: int = LEAD_NOW
) -> dict[str, float]:
    stated = false_refusals = refusals = 0
    for case in cases:
        scored = [
            (sentence_score(c.coverage, c.cosine, c.chunk_rank, c.figure, share, weights), c)
            for c in case.candidates
        ]
        scored = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])
        best = scored[0][1] if scored else None
        leading = [c for _, c in scored[:lead]]
        answered = best is not None and (
            best.coverage >= weights.min_coverage
            or (share > 0 and best.cosine is not None and best.cosine >= weights.min_meaning)
        )
        if case.question.answerable:
            stated += answered and any(c.hit for c in leading)
            false_refusals += not answered
        else:
            refusals += not answered
    answerable = sum(1 for c in cases if c.question.answerable)
    unanswerable = len(cases) - answerable
    return {
        "states_it": stated / answerable,
        "false_refusal": false_refusals / answerable,
        "refusal": refusals / unanswerable if unanswerable else 0.0,
    }


def objective(figures: dict[str, float]) -> float:
    """What the issue asks for, in one number: state the answer, refuse the unanswerable, rarely
    refuse the answerable (a false refusal weighs double: it hides an answer that exists)."""
    return figures["states_it"] + figures["refusal"] - 2 * figures["false_refusal"]


def main() -> int:
    container = corpus_container()
    kb = container.services.knowledge
    questions = read_golden_sets(
        [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
    )
    items = container.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    # Features from the widest candidate set: any sentence with words or meaning in common.
    features = ExtractiveChatModel(
        meaning=container.sentence_embedder,
        weights=replace(MeaningWeights(), rank_penalty=0.0, meaning_share=0.5),
    )
    cases = []
    for q in questions:
        chunks = _context(kb, q.question)
        with container.database.unit_of_work(read_only=True) as uow:
            owner = {c.chunk_id: c.item_id for c in uow.chunks.get_many([x.chunk_id for x in chunks])}
        cases.append(Case(q, _candidates(features, q, chunks, owner, items.get(q.document or ""))))
    tune = [c for c in cases if c.question.split == "tune"]
    test = [c for c in cases if c.question.split == "test"]

    grid = []
    for share, penalty, min_meaning, min_coverage in itertools.product(
        SHARES, PENALTIES, MIN_MEANINGS, MIN_COVERAGES
    ):
        weights = replace(
            MeaningWeights(),
            meaning_share=share,
            rank_penalty=penalty,
            min_meaning=min_meaning,
            min_coverage=min_coverage,
        )
        grid.append((objective(score(tune, weights, share)), weights))
    _, best = max(grid, key=lambda entry: entry[0])
    words_only = replace(MeaningWeights(), min_coverage=0.35)
    report: dict[str, Any] = {
        "questions": {"tune": len(tune), "test": len(test)},
        "chosen_on_tune": {
            "meaning_share": best.meaning_share,
            "rank_penalty": best.rank_penalty,
            "min_meaning": best.min_meaning,
            "min_coverage": best.min_coverage,
        },
    }
    for split, chosen_cases in (("tune", tune), ("test", test)):
        report[split] = {
            "words only (before)": score(chosen_cases, words_only, 0.0, LEAD_BEFORE),
            "chosen": score(chosen_cases, best, best.meaning_share),
            "shipped defaults": score(chosen_cases, MeaningWeights(), MeaningWeights().meaning_share),
        }
    for split, chosen_cases in (("tune", tune), ("test", test)):
        answerable = [c for c in chosen_cases if c.question.answerable]
        report[split]["ceiling: a candidate holds the needle"] = sum(
            any(x.hit for x in c.candidates) for c in answerable
        ) / len(answerable)
    print(json.dumps(report, indent=2))
    container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
