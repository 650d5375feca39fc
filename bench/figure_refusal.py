"""Refusing a near-topic question by what its answer lacks: the figure, the amount or the name it asks about.

    .venv/bin/python bench/figure_refusal.py [--sixth]      # after bench/retrieval_quality.py --fresh

Near-topic unanswerable questions are the answerer's weak spot: "Was kostet ein Energieaudit
typischerweise?" is answered from the law on energy audits, which names no price; "Welche Förderbeiträge
zahlt der Kanton Bern …?" from Winterthur's portal. Such a question asks for a figure
(``FIGURE_QUESTION``) or an amount of money, or names a company, place or brand, and the answer it gets
states no figure, no amount, or not that name. The rules below would refuse it then. Each golden
question is answered once through the evaluation core (the shipped answerer); the rules are applied to
the answers afterwards, so every rule is measured on the same answers. Prints, per split (tune / test of
the first five sets; ``--sixth`` adds every question of the sixth set, written blind), how many
unanswerable and answerable questions each rule leaves refused, and the share of answerable questions
whose first paragraph still states the answer. The answerable questions a rule would refuse go to stderr.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus_container import FIVE_GOLDEN_SETS as FIVE_SETS
from corpus_container import REPO, corpus_container
from corpus_container import SIXTH_GOLDEN_SET as SIXTH_SET

from luna.domain.answer_tables import FIGURE_QUESTION, FIGURE_WITH_UNIT
from luna.domain.evaluation import first_paragraph
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.answering import AnswerService

#: A question for an amount of money: a price, a fee, a payment, a subsidy.
MONEY_QUESTION = re.compile(
    r"\b(?:was\s+kostet|was\s+kosten|wie\s+teuer|wie\s+viel\s+(?:geld|euro|franken|rappen|cent|förderung|"
    r"zuschuss)|wie\s+hoch\s+(?:ist|sind|wäre|wären)\s+(?:der|die|das)\s+\w*(?:preis|gebühr|entgelt|"
    r"förderung|zuschuss|vergütung|kosten|beitrag|prämie|zulage)\w*|welche[nrs]?\s+\w*(?:preis|betrag))",
    re.IGNORECASE,
)
#: An amount of money as German and Swiss documents write it.
MONEY = re.compile(
    r"(?:\d[\d.,']*\s*(?:€|Euro\b|EUR\b|Cent\b|ct\b|CHF\b|Franken\b|Rappen\b|Rp\.))|"
    r"(?:\b(?:CHF|EUR)|€)\s*\d",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Answered:
    question: str
    split: str
    answerable: bool
    refused: bool
    stated: bool
    lead: str
    #: The whole answer without its source list: every paragraph the answer quotes.
    body: str


def answers(sets: Sequence[Path], split: str) -> list[Answered]:
    """Every question of ``sets`` in ``split`` answered once by the shipped answerer, with its lead."""
    leads: dict[str, str] = {}
    bodies: dict[str, str] = {}
    original = AnswerService.ask

    def ask(self: AnswerService, question: str, *args: Any, **kwargs: Any) -> Any:
        answer = original(self, question, *args, **kwargs)
        leads[question] = first_paragraph(answer.answer)
        bodies[question] = answer.answer
        return answer

    AnswerService.ask = ask  # type: ignore[method-assign]
    questions = {q.question_id: q for q in read_golden_sets(sets)}
    container = corpus_container()
    try:
        run = container.services.evaluation.run(
            list(questions.values()),
            split=split,
            name=f"figure-refusal-{split}",
            documents_dir=REPO.parent / "shared" / "corpus",
        )
    finally:
        container.close()
        AnswerService.ask = original  # type: ignore[method-assign]
    return [
        Answered(
            questions[o.question_id].question,
            split,
            o.answerable,
            o.refused,
            o.answer_holds_needle,
            leads[questions[o.question_id].question],
            bodies[questions[o.question_id].question],
        )
        for o in run.outcomes
    ]


def _figure_rule(a: Answered) -> bool:
    return FIGURE_QUESTION.search(a.question) is not None and FIGURE_WITH_UNIT.search(a.lead) is None


def _money_rule(a: Answered) -> bool:
    return MONEY_QUESTION.search(a.question) is not None and MONEY.search(a.lead) is None


def _money_rule_whole_answer(a: Answered) -> bool:
    return MONEY_QUESTION.search(a.question) is not None and MONEY.search(a.body) is None


#: A name the question gives: after a word that introduces one ("Kanton Bern", "Stadtwerke München",
#: "beim Anbieter Tibber") or as the first part of a hyphenated compound ("Viessmann-Wärmepumpe").
NAME_AFTER_CUE = re.compile(
    r"\b(?:Kantons?|Stadtwerke?s?|Netze|Anbieters?|Herstellers?|Firma|Versorgers?|Stadt|Gemeinde|"
    r"Bundesland|Landkreis|Marke)\s+(?:der\s+|des\s+|von\s+)?([A-ZÄÖÜ][\wäöüß]*)"
)
NAME_IN_COMPOUND = re.compile(r"(?<![\w-])([A-ZÄÖÜ][\wäöüß]+)-[A-ZÄÖÜ][a-zäöüß]{3,}")


def _name_rule(a: Answered) -> bool:
    names = [
        m.group(1) for pattern in (NAME_AFTER_CUE, NAME_IN_COMPOUND) for m in pattern.finditer(a.question)
    ]
    return any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w])", a.body) is None for name in names)


RULES: dict[str, Callable[[Answered], bool]] = {
    "none (shipped)": lambda a: False,
    "figure question, no figure in the lead": _figure_rule,
    "money question, no amount of money in the lead": _money_rule,
    "money question, no amount of money anywhere in the answer": _money_rule_whole_answer,
    "a name the question gives is missing from the answer": _name_rule,
}


def table(answered: Sequence[Answered], label: str) -> list[str]:
    lines = []
    unanswerable = [a for a in answered if not a.answerable]
    answerable = [a for a in answered if a.answerable]
    for name, rule in RULES.items():
        refused_u = sum(1 for a in unanswerable if a.refused or rule(a))
        refused_a = sum(1 for a in answerable if a.refused or rule(a))
        stated = sum(1 for a in answerable if a.stated and not rule(a))
        lines.append(
            f"| {name} | {label} | {refused_u}/{len(unanswerable)} = {refused_u / len(unanswerable):.3f} | "
            f"{refused_a}/{len(answerable)} = {refused_a / len(answerable):.3f} | "
            f"{stated / len(answerable):.3f} |"
        )
        caught = [a.question for a in answerable if rule(a) and not a.refused]
        for question in caught:
            print(f"  {name} refuses answerable: {question[:110]}", file=sys.stderr)
    return lines


def main(argv: Sequence[str]) -> int:
    print("| rule | split | refused unanswerable | refused answerable | states it |\n|---|---|---|---|---|")
    runs = [("tune", FIVE_SETS, "tune (five sets)"), ("test", FIVE_SETS, "test (five sets)")]
    if "--sixth" in argv:
        runs.append(("all", SIXTH_SET, "sixth set"))
    for split, sets, label in runs:
        print("\n".join(table(answers(sets, split), label)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
