"""How many sentences the answer's first paragraph quotes (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/lead_length.py
    .venv/bin/python bench/lead_length.py budget          # two sentences and the character budgets only

The extractive answer led with its two best sentences; since the twenty-seventh session it adds a
third when the first paragraph with it stays within 500 characters (chosen here). On tune, nine of
the answers that miss the needle quote it as the third sentence of the reading order, often within
a hair of the second. A
longer first paragraph states more by construction and costs the reader, so every variant is
reported with its first paragraph's length (characters, median and 90th percentile over the
answered questions): always three sentences, and a third only when the judge ranks it within a
margin of the second in the reading order, or only when the first paragraph with it stays within a
character budget (the bench wraps the answerer's composition for those).
Each goes through the evaluation core on the same index with the refine leg on. The variant is
chosen on tune by the objective of ``bench/answer_weights.py`` less a length cost fixed before the
run (0.1 per 100 characters of median first paragraph added); every held-out view is printed for
all variants in the same run.
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from corpus_container import (
    FIVE_GOLDEN_SETS,
    REPO,
    caught_up_container,
    figure_cells,
    split_outcomes,
)
from refine_sentences import REFINE, objective

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_sentences import introduced_items
from luna.domain.evaluation import first_paragraph
from luna.services.evaluation.evaluation import read_golden_sets

#: The lead before the twenty-seventh session, the baseline every length cost is measured from.
TWO = "two sentences"
SHIPPED = "a third within 500 characters (shipped)"
#: name: (lead sentences, tie margin, character budget: a third sentence when the lead with it fits)
VARIANTS: dict[str, tuple[int, float | None, int | None]] = {
    TWO: (2, None, None),
    "a third within 0.005": (2, 0.005, None),
    "a third within 0.01": (2, 0.01, None),
    "a third within 0.02": (2, 0.02, None),
    "a third within 0.05": (2, 0.05, None),
    "three sentences": (3, None, None),
    "a third within 400 characters": (2, None, 400),
    SHIPPED: (2, None, 500),
    "a third within 650 characters": (2, None, 650),
}
#: Objective points one hundred more characters of median first paragraph cost.
LENGTH_COST = 0.1


class Recording:
    """The answer service, remembering each answer's first paragraph while it answers."""

    def __init__(self, answers: Any) -> None:
        self._answers = answers
        self.leads: list[int] = []

    def ask(self, question: str, *args: Any, **kwargs: Any) -> Any:
        answer = self._answers.ask(question, *args, **kwargs)
        if answer.citations:
            self.leads.append(len(first_paragraph(answer.answer)))
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._answers, name)


COMPOSE = ExtractiveChatModel._compose


def tied(model: ExtractiveChatModel, ranked: Any, tie: float) -> bool:
    """The sentence after the two-sentence lead is ranked within ``tie`` of the lead's last one (the
    lead as ``_compose`` builds it: a sentence that opens a list leads with its items, last)."""
    chosen = model._select(ranked)
    group = next((s for s in chosen[:2] if introduced_items(s)), None)
    hidden = {s.key for s in (*introduced_items(group), group)} if group else set()
    rest = [s for s in chosen if s.key not in hidden]
    owed = 2 - (group is not None)
    if not 0 < owed < len(rest):
        return False
    orders = {r.sentence.key: r.order for r in ranked}
    last, after = orders.get(rest[owed - 1].key), orders.get(rest[owed].key)
    return last is not None and after is not None and last - after <= tie


LEAD, BUDGET = extractive._LEAD_SENTENCES, extractive._LEAD_BUDGET_CHARS


def use(lead: int, tie: float | None, budget: int | None = None) -> None:
    """``lead`` sentences lead; with ``tie``, a third when it is tied with the second; with ``budget``,
    a third when the first paragraph with it stays within that many characters (the answerer's own
    rule, ``_LEAD_BUDGET_CHARS``)."""

    def compose(model: ExtractiveChatModel, ranked: Any, chunks: Any, texts: Any) -> str:
        extractive._LEAD_SENTENCES = 3 if tie is not None and tied(model, ranked, tie) else lead  # type: ignore[misc]
        extractive._LEAD_BUDGET_CHARS = budget or 0  # type: ignore[misc]
        try:
            return COMPOSE(model, ranked, chunks, texts)
        finally:
            extractive._LEAD_SENTENCES, extractive._LEAD_BUDGET_CHARS = LEAD, BUDGET  # type: ignore[misc]

    ExtractiveChatModel._compose = compose  # type: ignore[method-assign]


def lengths(leads: list[int]) -> str:
    if not leads:
        return "–"
    p90 = statistics.quantiles(leads, n=10)[-1] if len(leads) > 1 else leads[0]
    return f"{statistics.median(leads):.0f} / {p90:.0f}"


def main(argv: list[str]) -> int:
    variants = {
        name: variant
        for name, variant in VARIANTS.items()
        if argv[:1] != ["budget"] or variant[2] is not None or name == TWO
    }
    with caught_up_container(overrides=REFINE) as c:
        recording = Recording(c.services.evaluation._answers)
        c.services.evaluation._answers = recording
        tune = read_golden_sets(FIVE_GOLDEN_SETS)
        corpus = REPO.parent / "shared" / "corpus"
        print(
            "| variant | view | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
            "| refused unanswerable / answerable | number warnings | answer ms p50 / p95 "
            "| first paragraph chars p50 / p90 |\n|---|---|---|---|---|---|---|---|---|"
        )
        scores: dict[str, tuple[float, float]] = {}
        for at, (name, (lead, tie, budget)) in enumerate(variants.items()):
            use(lead, tie, budget)
            recording.leads = []
            run = c.services.evaluation.run(tune, split="tune", name=f"lead-{at}", documents_dir=corpus)
            scores[name] = (objective(run.figures), statistics.median(recording.leads))
            print(
                f"| {name} | tune (five sets) {figure_cells(run.figures)} {lengths(recording.leads)} |",
                flush=True,
            )
        shipped = scores[TWO][1]
        cost = {n: s - LENGTH_COST * max(0.0, length - shipped) / 100 for n, (s, length) in scores.items()}
        chosen = max(variants, key=lambda n: (round(cost[n], 6), -list(variants).index(n)))
        print(f"\nchosen on tune: {chosen} ({cost})\n", file=sys.stderr, flush=True)
        for at, (name, (lead, tie, budget)) in enumerate(variants.items()):
            use(lead, tie, budget)
            recording.leads = []
            for label, run, _ in split_outcomes(c, f"lead-{at}"):
                # split_outcomes answers a view before it yields it: the leads are that view's.
                if label != "tune (five sets)":
                    print(
                        f"| {name} | {label} {figure_cells(run.figures)} {lengths(recording.leads)} |",
                        flush=True,
                    )
                recording.leads = []
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
