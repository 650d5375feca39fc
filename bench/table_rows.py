"""Rows of one table that e5 cannot tell apart: read in the table's order only when a row leads, or
from the best row's place on (shipped since 2026-11-26).

    .venv/bin/python bench/table_rows.py      # after bench/retrieval_quality.py --fresh

"Was kostet die Netznutzung pro Kilowattstunde?" on the demo price sheet leads with a sentence, then
the row with the highest cosine ("Leistungsmessung ab 2.500 h/a … 2,71"), 0.004 above the household
row. Both rules answer every golden question of the six sets (tune and test of the first five, all of
the sixth) on the bench index; prints one Markdown row per rule and split.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from corpus_container import ANSWER_SPLITS
from sentence_context import HEADER, SHIPPED, figures_with, row

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive_ranking import MeaningWeights

SHIPPED_RULE = extractive.table_order_among_tied_rows


def _only_when_a_row_leads(ranked: list, position: dict) -> list:  # type: ignore[type-arg]
    """The rule before: tied rows were reordered only when the best candidate was a row."""
    if not ranked or not ranked[0].sentence.is_row:
        return ranked
    return SHIPPED_RULE(ranked, position)


def main(argv: Sequence[str]) -> int:
    table = [HEADER.replace("sentence judged as", "tied rows read in the table's order")]
    rules = (("a row leads (before)", _only_when_a_row_leads), ("best row's place (shipped)", SHIPPED_RULE))
    for label, rule in rules:
        extractive.table_order_among_tied_rows = rule  # type: ignore[assignment]
        for split, sets, name in ANSWER_SPLITS:
            table.append(row(label, SHIPPED, name, figures_with(MeaningWeights(), split, sets)))
            print(table[-1], flush=True)
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
