"""A sentence whose size bands include the size the question states reads first (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/quantity_ranges.py

"Wie viel KWK-Zuschlag bekommt ein BHKW mit 40 kW …?" led with the band "mehr als 50 Megawatt bis
einschließlich 100 Megawatt 1,3 Cent"; the band "bis zu 50 Kilowatt: 8 Cent" answers it. The reading
order gains ``reading_band`` (in units of cosine) for a sentence whose bands include the question's size
and loses it for one whose bands in that dimension all exclude it (``luna.domain.quantity_ranges``).
The weight is chosen on tune by the objective of ``bench/refine_sentences.py``; then every held-out
view is printed for 0 (the answerer before) and for the chosen weight, on the same index.
"""

from __future__ import annotations

import dataclasses
import sys
from functools import partial

from corpus_container import caught_up_container, chosen_on_tune, figure_header, print_views, tune_scores
from refine_sentences import REFINE, objective

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.container import Container

WEIGHTS = (0.0, 0.03, 0.06, 0.1, 0.15, 0.25)


def set_weight(c: Container, weight: float) -> None:
    """The answerer's (and so the answer gate's) weight of a fitting or excluding band."""
    chat = c.chat
    assert isinstance(chat, ExtractiveChatModel) and c.answer_gate is chat
    chat._weights = dataclasses.replace(chat._weights, reading_band=weight)


def run_name(weight: float) -> str:
    return f"band-{weight}"


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        print(figure_header("band weight", "view"))
        scores = tune_scores(c, {w: partial(set_weight, c, w) for w in WEIGHTS}, run_name, objective)
        chosen = chosen_on_tune(scores)
        print(f"\nchosen on tune: {chosen} ({scores})\n", file=sys.stderr, flush=True)
        for weight in dict.fromkeys((0.0, chosen)):
            set_weight(c, weight)
            print_views(c, str(weight), run_name(weight), skip=("tune (five sets)",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
