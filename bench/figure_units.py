"""Figures with the statutes' spelled-out units, and more questions that ask for one (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/figure_units.py

A question that asks for a figure ("Wie lange vorher …", "Ab welchem Jahresverbrauch …") moves the
sentences that state an amount with its unit up the answer's reading order (``reading_figure``). The
amount pattern knew the units of price sheets (ct/kWh, Euro, %) but not the statutes' spelled-out ones:
"mehr als 6 000 Kilowattstunden", "acht Werktage im Voraus", "bis zu 50 Kilowatt", "500 Quadratmeter"
were no figures. The variants swap the pattern (and the question pattern) in the answerer's modules;
each goes through the evaluation core on the same index with the refine leg on, tune first. The
variant is chosen on tune by the objective of ``bench/answer_weights.py`` among those that keep the
README's question answered; every held-out view is printed for all of them, in the same run.
"""

from __future__ import annotations

import re
import sys
from functools import partial

from corpus_container import (
    caught_up_container,
    chosen_on_tune,
    figure_header,
    print_views,
    tune_scores,
)
from refine_sentences import REFINE, objective

import luna.adapters.models.extractive as extractive
import luna.adapters.models.extractive_sentences as extractive_sentences
from luna.domain.answer_tables import FIGURE_QUESTION, FIGURE_WITH_UNIT

#: The amount pattern before this bench (commit aafc390): price-sheet units only.
UNITS_BEFORE = re.compile(
    r"(?:(?<![\d,'])(?<!\d\.)(?>\d+(?:[.,']\d+)*)|\b(?:ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf)\w*)\s*"
    r"(?:%|€|Euro\b|EUR\b|Cent\b|ct\b|CHF\b|Franken\b|Rappen\b|Rp\.|"
    r"kWh\b|MWh\b|kWp?\b|Prozent\b|Wochen?\b|Monate?n?\b|Tage?n?\b|"
    r"Jahre?n?\b|Stunden?\b)"
    r"|(?:\bCHF|\bEUR|€)\s*\d",
    re.IGNORECASE,
)

#: The figure question with more ways to ask for a period, a threshold or a size.
QUESTION_MORE = re.compile(
    FIGURE_QUESTION.pattern.replace(
        r"um\s+wie\s+viel|",
        r"um\s+wie\s+viel|wie\s+früh|wie\s+schnell|wie\s+groß|wie\s+oft|ab\s+welche[mnr]?|bis\s+zu\s+welche[mnr]?|",
    ),
    re.IGNORECASE,
)
assert QUESTION_MORE.pattern != FIGURE_QUESTION.pattern

#: Every spelled-out unit, energy and power too ("6 000 Kilowattstunden", "bis zu 50 Kilowatt").
ENERGY = r"MW\b|(?:Kilo|Mega|Giga)?watt(?:stunden?|peak)?\b|"
UNITS_WITH_ENERGY = re.compile(
    FIGURE_WITH_UNIT.pattern.replace(r"Minuten?\b|", r"Minuten?\b|" + ENERGY), re.IGNORECASE
)
assert UNITS_WITH_ENERGY.pattern != FIGURE_WITH_UNIT.pattern

VARIANTS = {
    "price-sheet units (before)": (UNITS_BEFORE, FIGURE_QUESTION),
    "+ spelled-out units with energy": (UNITS_WITH_ENERGY, FIGURE_QUESTION),
    "+ spelled-out units with energy + question words": (UNITS_WITH_ENERGY, QUESTION_MORE),
    "+ spelled-out periods and sizes (shipped)": (FIGURE_WITH_UNIT, FIGURE_QUESTION),
}

#: Not to be chosen whatever tune says: "drei bis fünf Kilowattstunden Wärme" becomes a figure, and the
#: heat-pump guide's sentence leads the README's "Was kostet die Netznutzung pro Kilowattstunde?" on the
#: demo documents (tests/api/test_knowledge_api.py fails), the defect issue #14 opened with.
BREAKS_THE_README = frozenset(n for n in VARIANTS if "with energy" in n)


def use(units: re.Pattern[str], question: re.Pattern[str]) -> None:
    extractive_sentences.FIGURE_WITH_UNIT = units  # type: ignore[misc]
    extractive.FIGURE_QUESTION = question  # type: ignore[misc]


def run_name(variant: str) -> str:
    return f"figure-units-{list(VARIANTS).index(variant)}"


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        print(figure_header("variant", "view"))
        set_ups = {name: partial(use, *patterns) for name, patterns in VARIANTS.items()}
        scores = tune_scores(c, set_ups, run_name, objective)
        chosen = chosen_on_tune(scores, among=[n for n in VARIANTS if n not in BREAKS_THE_README])
        print(f"\nchosen on tune: {chosen}\n", file=sys.stderr, flush=True)
        for name, (units, question) in VARIANTS.items():
            use(units, question)
            print_views(c, name, run_name(name), skip=("tune (five sets)",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
