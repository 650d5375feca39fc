"""The answer's reading order refitted for the judge that reads a sentence after its section path.

    .venv/bin/python bench/reading_refit.py        # after bench/retrieval_quality.py --fresh

Which judged sentence leads the answer is a linear score (``reading_order``): the question-sentence
cosine, plus ``reading_words`` per share of the question's words the sentence holds, less
``reading_place`` per retrieval place of its chunk. Its weights were fitted (``bench/sentence_ranker.py``)
on cosines of the sentence alone; since the judge reads "section path: sentence", sentences of one chunk
share their heading and their cosines lie closer together, so words and place may weigh differently. A
grid over both, each point one run of the evaluation core on the tune split of the first five golden
sets, chooses by "states it" (refusal does not depend on the reading order), ties to the shipped weights;
the choice is then measured once on the test split and on every question of the sixth set. Prints a
Markdown table.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from typing import Any

from corpus_container import FIVE_GOLDEN_SETS as FIVE_SETS
from corpus_container import SIXTH_GOLDEN_SET as SIXTH_SET
from sentence_context import figures_with

from luna.adapters.models.extractive_ranking import MeaningWeights

SHIPPED = MeaningWeights()
WORDS = (0.0, 0.05, SHIPPED.reading_words, 0.15, 0.25)
PLACES = (0.0, SHIPPED.reading_place, 0.035, 0.06)


def row(label: str, split: str, f: Any) -> str:
    return (
        f"| {label} | {split} | {f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} | "
        f"{f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} |"
    )


def main() -> int:
    print(
        "| reading order | split | states it | first citation answers | refused unanswerable / answerable |"
    )
    print("|---|---|---|---|---|")
    tune = {}
    for words, place in itertools.product(WORDS, PLACES):
        weights = replace(SHIPPED, reading_words=words, reading_place=place)
        tune[(words, place)] = figures_with(weights, "tune", FIVE_SETS)
        print(row(f"words {words}, place {place}", "tune (five sets)", tune[(words, place)]), flush=True)
    shipped = (SHIPPED.reading_words, SHIPPED.reading_place)
    best = max(tune, key=lambda k: (tune[k].answer_holds_needle, tune[k].first_citation_hit, k == shipped))
    for key in dict.fromkeys([shipped, best]):
        weights = replace(SHIPPED, reading_words=key[0], reading_place=key[1])
        label = f"words {key[0]}, place {key[1]}" + (" (shipped)" if key == shipped else " (chosen on tune)")
        print(row(label, "test (five sets)", figures_with(weights, "test", FIVE_SETS)), flush=True)
        print(row(label, "sixth set", figures_with(weights, "all", SIXTH_SET)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
