"""The answer reader's thresholds re-chosen on the shipped path, the refine leg on (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    LUNA_RAG__REFINE__THREADS=2 .venv/bin/python bench/refine_sentences.py     # the catch-up
    .venv/bin/python bench/reader_thresholds.py

The reader's floor (``rag.reader.min_score``, a logit) and the cosine under which it is consulted
(``rag.reader.consult_below``) were chosen on tune before the refine leg re-ranked the candidates.
Consulted on more questions (a higher ``consult_below``) or stricter (a higher floor), it refuses more
near-topic questions, and possibly answerable ones. Each setting, in both scopes, goes through the
evaluation core on the tune split; the choice is tune's by the objective of ``bench/answer_weights.py``,
ties to the earlier variant (the reader off first). The chosen setting's held-out views are printed with
the reader off's, in the same run.
"""

from __future__ import annotations

import itertools
import sys

from corpus_container import (
    FIVE_GOLDEN_SETS,
    caught_up_container,
    chosen_on_tune,
    figure_header,
    print_views,
    tune_row,
)
from refine_sentences import REFINE, objective

from luna.services.evaluation.evaluation import read_golden_sets

OFF = "off"
FLOORS = (0.08, 0.5, 1.0, 2.0)
CONSULT_BELOW = (0.89, 0.91, 0.93)
SCOPES = ("laws", "all")


def settings(variant: str) -> dict[str, str]:
    if variant == OFF:
        return {**REFINE, "LUNA_RAG__READER__ENABLED": "false"}
    scope, floor, below = variant.split()
    return {
        **REFINE,
        "LUNA_RAG__READER__ENABLED": "true",
        "LUNA_RAG__READER__SCOPE": scope,
        "LUNA_RAG__READER__MIN_SCORE": floor,
        "LUNA_RAG__READER__CONSULT_BELOW": below,
    }


def run_name(variant: str) -> str:
    return "reader-threshold-" + variant.replace(" ", "-")


def main() -> int:
    variants = [OFF] + [f"{s} {f} {b}" for s, f, b in itertools.product(SCOPES, FLOORS, CONSULT_BELOW)]
    tune = read_golden_sets(FIVE_GOLDEN_SETS)
    print(figure_header("scope, floor, consult below", "view"))
    scores: dict[str, float] = {}
    for variant in variants:
        with caught_up_container(overrides=settings(variant)) as c:
            scores[variant] = objective(tune_row(c, tune, variant, run_name(variant)))
    chosen = chosen_on_tune(scores)
    print(f"\nchosen on tune: {chosen} ({scores})\n", file=sys.stderr, flush=True)
    for variant in dict.fromkeys([OFF, chosen]):
        with caught_up_container(overrides=settings(variant)) as c:
            print_views(c, variant, run_name(variant), skip=("tune (five sets)",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
