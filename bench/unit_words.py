"""Units as the answer's form, not the question's topic: measured on tune, test and the sixth set.

    .venv/bin/python bench/unit_words.py        # after bench/retrieval_quality.py --fresh

"Was kostet die Netznutzung pro Kilowattstunde?" gives the BM25 leg ten terms; six of them come from
"pro Kilowattstunde" (the stems of "pro", "Kilowattstunde", its parts "Kilowatt" and "Stunde", and the
concept terms of "kWh" and "kW"), three from "Netznutzung". A law that lists "… Cent pro Kilowattstunde"
in every line outscores the price sheet that answers. The variants rebuild the lexical leg over the
bench index's chunks with "pro" as a stop word, with unit words kept whole (no compound parts), or
both, and fuse it with the shipped dense leg as ``RetrievalService`` does. Chosen on the tune split of
the first five golden sets; the test split and the sixth set judge. Prints hit@1 / hit@5 / MRR@10.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from corpus_container import FIVE_GOLDEN_SETS, SIXTH_GOLDEN_SET, corpus_container, rebuilt_lexical_index
from everyday_synonyms import changes, figures, first_hits

from luna.domain import german_text
from luna.services.evaluation.evaluation import read_golden_sets

UNIT_WORDS = frozenset(
    {
        "kilowattstunde",
        "kilowattstunden",
        "megawattstunde",
        "megawattstunden",
        "gigawattstunde",
        "gigawattstunden",
        "kilowatt",
        "megawatt",
        "gigawatt",
        "kilowattpeak",
    }
)
SHIPPED_STOPWORDS = german_text.STOPWORDS
SHIPPED_SPLIT = german_text.CompoundSplitter.split


def whole_units(self: german_text.CompoundSplitter, word: str) -> tuple[str, ...]:
    return () if word in UNIT_WORDS else SHIPPED_SPLIT(self, word)


def use(pro_stop: bool, units_whole: bool) -> None:
    german_text.STOPWORDS = SHIPPED_STOPWORDS | {"pro"} if pro_stop else SHIPPED_STOPWORDS
    german_text.CompoundSplitter.split = whole_units if units_whole else SHIPPED_SPLIT  # type: ignore[method-assign]


VARIANTS: dict[str, Callable[[], None]] = {
    "shipped": lambda: use(False, False),
    "'pro' a stop word": lambda: use(True, False),
    "unit words kept whole": lambda: use(False, True),
    "both": lambda: use(True, True),
}


def main() -> int:
    five = [q for q in read_golden_sets(FIVE_GOLDEN_SETS) if q.answerable]
    sixth = [q for q in read_golden_sets(SIXTH_GOLDEN_SET) if q.answerable]
    splits = ([q for q in five if q.split == "tune"], [q for q in five if q.split == "test"], sixth)
    print("| lexical leg | tune hit@1 / hit@5 / MRR@10 | test | sixth set |\n|---|---|---|---|")
    c = corpus_container()
    ranks = {}
    try:
        for label, apply in VARIANTS.items():
            apply()
            ranks[label] = first_hits(c, rebuilt_lexical_index(c), five + sixth, expand=True)
            cells = [figures([ranks[label][q.question_id] for q in qs]) for qs in splits]
            print(f"| {label} | {' | '.join(cells)} |", flush=True)
    finally:
        use(False, False)
        c.close()
    for label in list(VARIANTS)[1:]:
        print(f"\n{label}:")
        changes(ranks["shipped"], ranks[label])
    return 0


if __name__ == "__main__":
    sys.exit(main())
