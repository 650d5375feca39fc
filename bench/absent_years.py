"""Refusing a question about a year that none of the found passages mentions (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/absent_years.py

Near-topic unanswerable questions often ask for a value at a time the documents do not cover: "Wie
hoch war der Monatsmarktwert für Solarstrom im Juli 2025 …?", "… die EEG-Umlage im Jahr 2020 …".
The laws give the rule or the formula, retrieval finds it, and Luna answers as if it were the value.
Like the country rule (a question set in a country no passage mentions), a question that asks about a
year none of the passages the answer reads mentions is refused. Each golden question is answered once
through the evaluation core (refine leg on, caught up), its passages recorded; each rule is then
applied to those answers. Answerable questions name years too ("Der Energieausweis … ist von 2014"),
so the variants differ in which years count: only one the question asks about ("im Jahr 2020", "im
Juli 2025", "für das Kalenderjahr 2025") or any. Chosen on tune (five sets) plus the near-topic set
by the objective of ``bench/answer_weights.py``; every held-out view is printed for all of them. The
eighth set is blind: only its figures are printed, never its questions.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from corpus_container import corpus_container, split_outcomes
from refine_refusal import NEAR, NEAR_LABEL
from refine_sentences import REFINE

import luna.services.knowledge.answering as answering
from luna.domain.asked_years import ASKED_YEAR, years_not_found
from luna.services.evaluation.evaluation import read_golden_sets

YEAR = re.compile(r"\b(?:19|20)\d\d\b")
BLIND = "eighth set"


def asked_only_not_found(question: str, passages: str) -> list[str]:
    """The rule as first shipped (2026-11-27): "im Jahr / im Juli / für das Kalenderjahr …" only."""
    asked = dict.fromkeys(ASKED_YEAR.findall(question))
    return [y for y in asked if not re.search(rf"(?<!\d){y}(?!\d)", passages)]


def any_year_not_found(question: str, passages: str) -> list[str]:
    return [year for year in YEAR.findall(question) if not re.search(rf"(?<!\d){year}(?!\d)", passages)]


#: Each rule: the years of the question it refuses for, given the passages' text.
RULES: dict[str, Callable[[str, str], list[str]]] = {
    "no year rule (before)": lambda question, passages: [],
    "a year asked about (im Jahr / im Juli / für das Kalenderjahr …; shipped until 2026-11-29)": (
        asked_only_not_found
    ),
    "… or ending the question, or of any century after 'im Jahr' (shipped)": lambda q, p: years_not_found(
        q, [p]
    ),
    "any year the question names": any_year_not_found,
}


def objective(stated: float, refused_no: float, refused_yes: float) -> float:
    return stated + refused_no - 2 * refused_yes


def answered() -> dict[str, list[tuple[Any, Any, str]]]:
    """Every view's (outcome, golden question, the passages' text) through the evaluation core."""
    c = corpus_container(overrides=REFINE)
    answering.years_not_found = lambda question, passages: []  # the answers before the rule
    answers = c.services.knowledge.answers
    found: dict[str, str] = {}
    asking: list[str] = []
    relevant, ask = answers.relevant, answers.ask

    def recording(result: Any) -> Any:
        """The answer's own passages: the first search of the question being asked."""
        context = relevant(result)
        if asking and asking[-1] not in found:
            found[asking[-1]] = " ".join(
                f"{h.payload.get('title') or ''} {h.payload.get('section') or ''} {h.payload.get('text', '')}"
                for h in context
            )
        return context

    def asked(question: str, *args: Any, **kwargs: Any) -> Any:
        asking.append(question)
        return ask(question, *args, **kwargs)

    answers.relevant = recording  # type: ignore[method-assign]
    answers.ask = asked  # type: ignore[method-assign]
    views: dict[str, list[tuple[Any, Any, str]]] = {}
    try:
        for label, _, pairs in split_outcomes(c, "years"):
            views[label] = [(o, q, found.get(q.question, "")) for o, q in pairs]
        near = read_golden_sets([NEAR])
        run = c.services.evaluation.run(near, split="all", name="years-near")
        views[NEAR_LABEL] = [
            (o, q, found.get(q.question, "")) for o, q in zip(run.outcomes, near, strict=True)
        ]
    finally:
        c.close()
    return views


def figures(
    rows: Sequence[tuple[Any, Any, str]], years: Callable[[str, str], list[str]], changed: list[str]
) -> tuple[float, float, float]:
    """States it / refused unanswerable / refused answerable with the rule on top of the answers."""

    def refused(o: Any, q: Any, passages: str) -> bool:
        newly = not o.refused and bool(years(q.question, passages))
        if newly:
            changed.append(f"{q.question_id} ({'answerable' if q.answerable else 'unanswerable'})")
        return bool(o.refused) or newly

    answerable = [r for r in rows if r[1].answerable]
    unanswerable = [r for r in rows if not r[1].answerable]
    refused_no = sum(refused(*r) for r in unanswerable) / max(len(unanswerable), 1)
    refused_yes = [refused(*r) for r in answerable]
    stated = sum(r[0].answer_holds_needle and not no for r, no in zip(answerable, refused_yes, strict=True))
    share = max(len(answerable), 1)
    return stated / share, refused_no, sum(refused_yes) / share


def main() -> int:
    views = answered()
    print("| refuse also when | " + " | ".join(views) + " |\n|---|" + "---|" * len(views))
    scores = {}
    for name, rule in RULES.items():
        cells, notes = [], []
        for label, rows in views.items():
            changed: list[str] = []
            cells.append(" / ".join(f"{x:.3f}" for x in figures(rows, rule, changed)))
            if changed:
                notes.append(
                    f"{label}: {len(changed)} more refused" + ("" if label == BLIND else f" {changed}")
                )
        tune = views["tune (five sets)"] + views[NEAR_LABEL]
        stated, refused_no, refused_yes = figures(views["tune (five sets)"], rule, [])
        near_refused = figures(views[NEAR_LABEL], rule, [])[1]
        unanswerable = sum(not q.answerable for _, q, _ in tune)
        near = sum(1 for _ in views[NEAR_LABEL])
        tune_no = sum(not q.answerable for _, q, _ in views["tune (five sets)"])
        pooled = (refused_no * tune_no + near_refused * near) / unanswerable
        scores[name] = objective(stated, pooled, refused_yes)
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        for line in notes:
            print("  -", line)
    print("\n(states it / refused unanswerable / refused answerable per view)")
    chosen = max(RULES, key=lambda n: (round(scores[n], 6), -list(RULES).index(n)))
    print(f"\nchosen on tune + near-topic: {chosen} ({scores})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
