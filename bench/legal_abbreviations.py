"""A law's citation abbreviations in the answerer's sentences (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/legal_abbreviations.py

"Was regelt das EDL-G?" led with "I S [chunk …]": the answerer's sentence splitter knew "Abs." and
"Nr." but not "BGBl.", "S." (Seite), "ff.", "Ziff." or "Buchst.", which the chunker's list knew, so a
law's citation "(BGBl. I S. 1475)" broke its sentence into three. Every view is answered through the
evaluation core (refine leg on, caught up) with the splitter's list before and as shipped. Nothing was
chosen on these figures: they show that the change moves no golden question, or which. The eighth set
is blind: its figures only.
"""

from __future__ import annotations

import re
import sys

from corpus_container import caught_up_container, figure_header, print_views
from refine_sentences import REFINE

import luna.domain.answer_sentences as answer_sentences

BEFORE = re.compile(
    r"(?:\b(?:z|d|u|o|s|v|i|bzw|ca|Nr|Abs|Art|ggf|inkl|zzgl|vgl|gem|max|min|Mio|Mrd|Std|Tsd|evtl|etc|usw|"
    r"Dr|Prof|St|USt|MwSt|exkl|Stk|Tel|Str|bzgl|lt|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez)|\b\d{1,2})\.$"
)


def main() -> int:
    shipped = answer_sentences._ABBREVIATIONS
    print(figure_header("abbreviations", "view"))
    with caught_up_container(overrides=REFINE) as c:
        for label, pattern in (
            ("before (no BGBl., S., ff. …)", BEFORE),
            ("**a law's citations (shipped)**", shipped),
        ):
            answer_sentences._ABBREVIATIONS = pattern
            print_views(c, label, f"abbreviations-{'before' if pattern is BEFORE else 'shipped'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
