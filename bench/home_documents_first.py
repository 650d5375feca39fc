"""Answering from the readers' own country's documents first (issue #14): measured on tune, dropped.

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/home_documents_first.py          # tune only

Two tune answers led with the Swiss Winterthur portal for questions about German feed-in payments
("… 17 Rappen pro kWh", "… 50 Prozent des Bundesbeitrags"). The recommender already tells a German
reader's documents from foreign ones (``luna.domain.document_country``); here the answer's passages
are put in that order before the answerer reads them, for a question that names no place abroad:
``demote`` reads a foreign document's passages after the others, ``drop`` leaves them out while any
other passage remains, ``off`` is the answerer as shipped. Only the tune split is answered: a variant
that loses there is not worth a held-out view.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any

from corpus_container import FIVE_GOLDEN_SETS, caught_up_container, tune_row
from refine_sentences import REFINE

import luna.services.knowledge.answering as answering
from luna.domain.document_country import _ASKED_ABOUT, document_country
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.learning.recommend_region import _beginning

VARIANTS = ("off", "demote", "drop")


def main(argv: Sequence[str]) -> int:
    variants = list(argv) or list(VARIANTS)
    shipped_relevant, shipped_stream = answering.AnswerService.relevant, answering.AnswerService.stream
    asked = {"question": ""}
    tune = read_golden_sets(FIVE_GOLDEN_SETS)
    print(
        "| passages | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable | number warnings | answer ms p50 / p95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with caught_up_container(overrides=REFINE) as c:
        countries: dict[str, str | None] = {}

        def country(item_id: str) -> str | None:
            if item_id not in countries:
                with c.database.unit_of_work(read_only=True) as uow:
                    item = uow.items.get(item_id)
                    chunks = uow.chunks.list_for_item(item_id)
                assert item is not None
                text = _beginning(chunks)
                countries[item_id] = document_country(
                    title=item.title, url=item.url, tags=item.tags, text=text
                )
            return countries[item_id]

        def stream(self: Any, question: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
            asked["question"] = question
            return shipped_stream(self, question, *args, **kwargs)

        for variant in variants:

            def relevant(self: Any, result: Any, variant: str = variant) -> list[Any]:
                found = shipped_relevant(self, result)
                if variant == "off" or any(
                    p.search(asked["question"]) for k, p in _ASKED_ABOUT.items() if k != "DE"
                ):
                    return found
                foreign = [h for h in found if country(h.payload["item_id"]) not in (None, "DE")]
                home = [h for h in found if h not in foreign]
                if not foreign or not home:
                    return found
                return home if variant == "drop" else home + foreign

            answering.AnswerService.relevant = relevant  # type: ignore[method-assign]
            answering.AnswerService.stream = stream  # type: ignore[method-assign]
            tune_row(c, tune, variant, f"home-first-{variant}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
