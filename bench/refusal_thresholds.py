"""The extractive answerer's refusal thresholds, refitted now that they decide refusal alone (issue #14).

    .venv/bin/python bench/refusal_thresholds.py        # after bench/retrieval_quality.py

Since ``bench/sentence_ranker.py`` the order an answer reads its sentences in no longer comes from
the refusal score, so the thresholds (the best-scored sentence's cosine ≥ ``min_meaning`` or its share
of the question's words ≥ ``min_coverage``) can be chosen for refusal alone. Every golden question,
answerable and unanswerable, gets the best-scored sentence's cosine and words and whether the
answer's lead (in the shipped reading order) holds a needle; a grid over both thresholds is scored on
``tune`` by the objective of ``bench/answer_weights.py`` (states it + refused unanswerable − 2 ×
refused answerable) and measured once on ``test``. Prints a Markdown table.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from answer_weights import objective
from sentence_ranker import LEAD, Case, golden_cases

from luna.adapters.models.extractive_ranking import MeaningWeights

MEANINGS = tuple(round(0.80 + 0.005 * i, 3) for i in range(25))
COVERAGES = (0.35, 0.5, 0.7, 0.9, 1.01)


@dataclass(frozen=True)
class Judged:
    answerable: bool
    split: str
    cosine: float
    coverage: float
    lead_hits: bool


def judged(c: Case) -> Judged:
    if not len(c.x):
        return Judged(c.question.answerable, c.question.split, 0.0, 0.0, False)
    best = int(np.argmax(c.x[:, 0]))  # column 0 is the refusal score; the rows are in reading order
    return Judged(
        c.question.answerable, c.question.split, c.x[best, 1], c.x[best, 2], bool(c.hit[:LEAD].any())
    )


def figures(rows: Sequence[Judged], min_meaning: float, min_coverage: float) -> dict[str, float]:
    answers = [r.cosine >= min_meaning or r.coverage >= min_coverage for r in rows]
    answerable = [(r, a) for r, a in zip(rows, answers, strict=True) if r.answerable]
    unanswerable = [a for r, a in zip(rows, answers, strict=True) if not r.answerable]
    return {
        "states_it": sum(a and r.lead_hits for r, a in answerable) / len(answerable),
        "refusal": sum(not a for a in unanswerable) / len(unanswerable),
        "false_refusal": sum(not a for _, a in answerable) / len(answerable),
    }


def main() -> int:
    rows = [judged(c) for c in golden_cases(["questions_de.yaml", "unanswerable_de.yaml"])]
    tune = [r for r in rows if r.split == "tune"]
    test = [r for r in rows if r.split == "test"]
    shipped = MeaningWeights()
    best = max(
        itertools.product(MEANINGS, COVERAGES),
        key=lambda pair: (
            objective(figures(tune, *pair)),
            pair == (shipped.min_meaning, shipped.min_coverage),
        ),
    )
    print(
        "| thresholds (cosine / words) | tune states it / refused unanswerable / refused answerable | test |"
    )
    print("|---|---|---|")
    for label, pair in (
        ("before (until 2026-11-24) 0.86 / 0.35", (0.86, 0.35)),
        (
            f"shipped {shipped.min_meaning} / {shipped.min_coverage}",
            (shipped.min_meaning, shipped.min_coverage),
        ),
        (f"chosen on tune {best[0]} / {best[1]}", best),
    ):
        cells = [" / ".join(f"{v:.3f}" for v in figures(split, *pair).values()) for split in (tune, test)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
