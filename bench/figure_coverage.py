"""A figure's bonus only for a sentence that shares a word with the question (issue #14 candidate).

    .venv/bin/python bench/figure_coverage.py [tune] [test] [sixth]   # after retrieval_quality.py --fresh

"Ab wann droht eine Stromsperre?" asks for a figure ("ab wann"), and over the whole corpus the answer
led with a sentence that states an amount and shares no word with the question: the figure bonus
(``reading_figure`` in the reading order, ``_FIGURE_BONUS`` in the score) lifted it over the sentences
about the Sperre. The candidate grants both bonuses only to a sentence whose coverage of the question's
words is above zero. Nothing else changes; each split is answered through the evaluation core once per
variant. Chosen on the tune split of the first five golden sets; the test split and the sixth set judge.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from corpus_container import FIVE_GOLDEN_SETS, SIXTH_GOLDEN_SET
from sentence_context import HEADER, SHIPPED, figures_with, row

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive_ranking import MeaningWeights

SHIPPED_SCORE = extractive.sentence_score
SHIPPED_ORDER = extractive.reading_order


def needs_words(shipped: Callable[..., float]) -> Callable[..., float]:
    """``shipped`` with its ``figure`` flag (fourth argument) cleared where the coverage (first) is 0."""

    def judged(coverage: float, cosine: Any, rank: int, figure: bool, *rest: Any) -> float:
        return shipped(coverage, cosine, rank, figure and coverage > 0, *rest)

    return judged


VARIANTS = {
    "shipped": (SHIPPED_SCORE, SHIPPED_ORDER),
    "figure bonus only with a shared word": (needs_words(SHIPPED_SCORE), needs_words(SHIPPED_ORDER)),
}


def main(argv: Sequence[str]) -> int:
    splits = [s for s in ("tune", "test", "sixth") if s in argv] or ["tune", "test", "sixth"]
    print(HEADER.replace("sentence judged as", "figure bonus"), flush=True)
    try:
        for label, (score, order) in VARIANTS.items():
            extractive.sentence_score = score  # type: ignore[assignment]
            extractive.reading_order = order  # type: ignore[assignment]
            for split in splits:
                sets, name = (
                    (SIXTH_GOLDEN_SET, "sixth set") if split == "sixth" else (FIVE_GOLDEN_SETS, split)
                )
                f = figures_with(MeaningWeights(), "all" if split == "sixth" else split, sets)
                print(row(label, SHIPPED, name, f), flush=True)
    finally:
        extractive.sentence_score = SHIPPED_SCORE  # type: ignore[assignment]
        extractive.reading_order = SHIPPED_ORDER  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
