"""A learned ranking of the extractive answerer's candidate sentences, tune vs test (issue #14).

    .venv/bin/python bench/sentence_ranker.py        # after bench/retrieval_quality.py

Until this benchmark, the answerer ranked the sentences of the six retrieved chunks by the question-
sentence cosine alone (meaning share 1.0), less 2 % per retrieval place of its chunk, ×1.3 for a figure
under a figure question; its two best sentences lead the answer. The retrieved context holds a needle
for 0.72 of test questions, the lead for 0.28. This asks whether more of what the answerer already knows
ranks better: the words the sentence shares with the question, the cosine and the words relative to the
question's best candidate, where in its chunk the sentence stands, whether it is a table row, its
length. A logistic regression on every candidate of the ``tune`` questions (label: it holds a needle of
the answering passage), its regularisation chosen by leave-questions-out cross-validation on ``tune``,
measured once on ``test``. Refusal is left to the shipped rule (the best sentence's cosine or words), so
only the ranking differs. Prints a Markdown table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from answer_weights import _context
from corpus_container import REPO, corpus_container
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_ranking import MeaningWeights
from luna.domain.answer_tables import FIGURE_QUESTION
from luna.domain.evaluation import GoldenQuestion
from luna.services.evaluation.evaluation import read_golden_sets

LEAD = 2
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
FEATURES = (
    "score (shipped)",
    "meaning",
    "words",
    "meaning − best",
    "words − best",
    "place in chunk",
    "chunk rank",
    "figure",
    "table row",
    "log length",
)


@dataclass(frozen=True)
class Case:
    question: GoldenQuestion
    #: One row of ``FEATURES`` per candidate sentence, in the shipped order (best first).
    x: npt.NDArray[np.float64]
    hit: npt.NDArray[np.bool_]
    #: The shipped refusal rule on the shipped best sentence: it answers.
    answered: bool


def case(
    model: ExtractiveChatModel, q: GoldenQuestion, kb: object, owner_of: object, wanted: str | None
) -> Case:
    chunks = _context(kb, q.question)
    owners = owner_of(chunks)  # type: ignore[operator]
    ranked = model._rank(q.question, chunks)  # the answerer's own candidates and features
    needles = [" ".join(n.split()) for n in q.needles]
    figure_question = FIGURE_QUESTION.search(q.question) is not None
    best_meaning = max((r.meaning or 0.0 for r in ranked), default=0.0)
    best_words = max((r.coverage for r in ranked), default=0.0)
    rows, hits = [], []
    for r in ranked:
        s = r.sentence
        place = max(0, s.chunk.text.find(s.text[:40])) / max(1, len(s.chunk.text))
        meaning = r.meaning or 0.0
        rows.append(
            [
                r.score,
                meaning,
                r.coverage,
                meaning - best_meaning,
                r.coverage - best_words,
                place,
                s.chunk_rank,
                float(figure_question and s.has_figure),
                float(s.is_row),
                math.log(len(s.text)),
            ]
        )
        hits.append(
            owners.get(s.chunk.chunk_id) == wanted and any(n in " ".join(s.text.split()) for n in needles)
        )
    answered = bool(ranked) and model._answers(q.question, ranked)
    return Case(
        q, np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(hits, dtype=bool), answered
    )


def states_it(cases: Sequence[Case], order: Ranker) -> float:
    answerable = [c for c in cases if c.question.answerable]
    return sum(c.answered and bool(c.hit[order(c)[:LEAD]].any()) for c in answerable) / len(answerable)


class Ranker:
    def __init__(self, model: LogisticRegression | None, columns: Sequence[int]) -> None:
        self.model, self.columns = model, list(columns)

    def __call__(self, c: Case) -> npt.NDArray[np.intp]:
        if not len(c.x):
            return np.arange(0)
        if self.model is None:
            # No model: the answerer's own order, or the candidates sorted by one feature column.
            return (
                np.argsort(-c.x[:, self.columns[0]], kind="stable") if self.columns else np.arange(len(c.x))
            )
        return np.argsort(-self.model.decision_function(c.x[:, self.columns]), kind="stable")


def fit(cases: Sequence[Case], columns: Sequence[int], c_value: float) -> Ranker:
    x = np.vstack([c.x[:, columns] for c in cases if len(c.x)])
    y = np.concatenate([c.hit for c in cases if len(c.x)])
    return Ranker(LogisticRegression(C=c_value, max_iter=2000, class_weight="balanced").fit(x, y), columns)


def chosen_c(cases: Sequence[Case], columns: Sequence[int]) -> float:
    """The regularisation with the best states-it over five folds of tune questions."""
    usable = [c for c in cases if c.question.answerable and len(c.x) and c.hit.any()]
    folds = GroupKFold(n_splits=5)

    def cv(c_value: float) -> float:
        total = 0.0
        for train, held in folds.split(usable, groups=range(len(usable))):
            ranker = fit([usable[i] for i in train], columns, c_value)
            total += states_it([usable[i] for i in held], ranker) * len(held)
        return total / len(usable)

    return max(C_GRID, key=cv)


def golden_cases(names: Sequence[str]) -> list[Case]:
    """A :class:`Case` for every question of the named golden sets in ``bench/``, on the bench index."""
    container = corpus_container()
    kb = container.services.knowledge
    questions = read_golden_sets([REPO / "bench" / name for name in names])
    items = container.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
    model = ExtractiveChatModel(meaning=container.sentence_embedder, weights=MeaningWeights())

    def owner_of(chunks: Sequence[object]) -> dict[str, str]:
        with container.database.unit_of_work(read_only=True) as uow:
            return {c.chunk_id: c.item_id for c in uow.chunks.get_many([x.chunk_id for x in chunks])}  # type: ignore[attr-defined]

    cases = [case(model, q, kb, owner_of, items.get(q.document or "")) for q in questions]
    container.close()
    return cases


def main() -> int:
    cases = golden_cases(["questions_de.yaml"])
    tune = [c for c in cases if c.question.split == "tune"]
    test = [c for c in cases if c.question.split == "test"]
    candidates: list[tuple[str, Ranker]] = [
        ("before: by the refusal score (cosine, rank penalty, figure bonus)", Ranker(None, [0])),
        ("shipped: the answerer's reading order", Ranker(None, [])),
    ]
    for label, columns in (
        ("learned: meaning, words, chunk rank, figure", [1, 2, 6, 7]),
        ("learned: + relative to the best candidate", [1, 2, 3, 4, 6, 7]),
        ("learned: all features", list(range(1, len(FEATURES)))),
        ("learned: all features and the shipped score", list(range(len(FEATURES)))),
    ):
        c_value = chosen_c(tune, columns)
        candidates.append(
            (f"{label} (C {c_value})", fit([c for c in tune if c.question.answerable], columns, c_value))
        )
    print("| sentence ranking | tune states it | test states it |\n|---|---|---|")
    for label, ranker in candidates:
        print(f"| {label} | {states_it(tune, ranker):.3f} | {states_it(test, ranker):.3f} |")
    ceiling = {
        name: sum(bool(c.hit.any()) for c in split) / len(split)
        for name, split in (("tune", tune), ("test", test))
    }
    print(f"| ceiling: a candidate holds a needle | {ceiling['tune']:.3f} | {ceiling['test']:.3f} |")
    for label, ranker in candidates[2:]:
        assert ranker.model is not None
        weights = dict(zip([FEATURES[i] for i in ranker.columns], ranker.model.coef_[0], strict=True))
        print(f"{label}: " + ", ".join(f"{k} {v:.3f}" for k, v in weights.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
