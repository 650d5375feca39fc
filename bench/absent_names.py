"""Refusing a question that names someone or something the knowledge base never mentions (issue #14).

    .venv/bin/python bench/absent_names.py             # after bench/retrieval_quality.py --fresh
    .venv/bin/python bench/absent_names.py --shipped   # the chosen rule as Luna ships it
    .venv/bin/python bench/absent_names.py --context   # and names absent from the found passages

Most unanswerable questions that Luna answers ask about a provider, a brand or a place the documents do
not know: "Welche Wärmepumpe ist leiser, eine von Viessmann oder eine von Vaillant?", "Wie viele Rappen
… zahlen die IWB in Basel …?", "… im Kanton Bern …". The fourth session's rule on every word absent from
the knowledge base was dropped: everyday words of answerable questions are absent just as often. This
one asks a part-of-speech tagger (HanTa, STTS tags) for the question's proper names (NE) and counts a
name as absent when no chunk or title holds it (each part of "Basel-Stadt"). Each golden question is
answered once through the evaluation core (the shipped answerer); each rule is then applied to those
answers: "refuse also when the question names an absent name". Chosen on the tune split of the first
five golden sets by the refusal rules' objective (states it + refused unanswerable − 2 × refused
answerable); the test split and the sixth set judge.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable, Sequence

from corpus_container import WORK, corpus_container, split_outcomes
from HanTa import HanoverTagger

from luna.domain.everyday_terms import EVERYDAY_SYNONYMS
from luna.domain.privacy import redact
from luna.domain.proper_names import names_to_look_up

TOKEN = re.compile(r"[\wÄÖÜäöüß]+(?:[-.][\wÄÖÜäöüß]+)*|[^\s\w]")
TAGGER = HanoverTagger.HanoverTagger("morphmodel_ger.pgz")


def knowledge_words() -> set[str]:
    """Every word of the bench index's chunks and titles, case-folded."""
    db = sqlite3.connect(WORK / "luna.db")
    texts = [row[0] or "" for row in db.execute("select text from item_chunks")]
    texts += [row[0] or "" for row in db.execute("select title from items")]
    return set(re.findall(r"[\wäöüß]+", " ".join(texts).casefold()))


def group_words() -> set[str]:
    """The words of Luna's synonym groups (its own domain vocabulary: "BAFA", "Balkonkraftwerk")."""
    return {
        word
        for group in EVERYDAY_SYNONYMS
        for member in group
        for word in re.findall(r"[\wäöüß]+", member.casefold())
    }


def names(question: str) -> list[str]:
    return [token for token, _, tag in TAGGER.tag_sent(TOKEN.findall(question), taglevel=1) if tag == "NE"]


def absent(name: str, known: set[str]) -> bool:
    parts = [part.casefold() for part in re.split(r"[-.]", name) if part]
    return not any(char.isdigit() for char in name) and not all(part in known for part in parts)


def is_acronym(name: str) -> bool:
    return name.isupper()


def is_abbreviation(name: str) -> bool:
    """Two capitals or more ("BHKW", "MaLo", "iMSys", "KfW"): a domain's abbreviation as often as a name."""
    return sum(char.isupper() for char in name) >= 2


RULES: dict[str, Callable[[str, set[str], set[str]], bool]] = {
    "shipped (no rule)": lambda q, kb, groups: False,
    "any absent name": lambda q, kb, groups: any(absent(n, kb) for n in names(q)),
    "absent name, acronyms left out": lambda q, kb, groups: any(
        absent(n, kb) and not is_acronym(n) for n in names(q)
    ),
    "absent name, abbreviations (two capitals) left out": lambda q, kb, groups: any(
        absent(n, kb) and not is_abbreviation(n) for n in names(q)
    ),
    "absent name, synonym words known": lambda q, kb, groups: any(absent(n, kb | groups) for n in names(q)),
    "absent name, acronyms left out, synonym words known": lambda q, kb, groups: any(
        absent(n, kb | groups) and not is_acronym(n) for n in names(q)
    ),
}


def answered(rule_shipped: bool) -> dict[str, list[tuple[object, object]]]:
    """Each split's outcomes through the evaluation core, with or without the shipped rule (the
    answer service's proper-name check, ``luna.domain.proper_names``)."""
    c = corpus_container()
    if not rule_shipped:
        c.services.knowledge.answers._names = None
    results = {}
    try:
        for label, run, pairs in split_outcomes(c, "names"):
            results[label] = pairs
            if rule_shipped:
                f = run.figures
                print(
                    f"| shipped rule, through the evaluation core | {label} | {f.answer_holds_needle:.3f} | "
                    f"{f.first_citation_hit:.3f} | {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | "
                    f"{f.false_number_warnings} |",
                    flush=True,
                )
    finally:
        c.close()
    return results


def context_rule() -> Callable[[str], bool]:
    """ "The question names what none of its found passages holds" (the shipped rule's names, looked up
    in the texts and titles of the chunks the answer would read, not in the whole knowledge base)."""
    c = corpus_container()
    answers = c.services.knowledge.answers

    def flags(question: str) -> bool:
        looked_up = names_to_look_up(answers._names.names(redact(question)))  # type: ignore[union-attr]
        if not looked_up:
            return False
        found = answers.relevant(c.services.knowledge.retrieval.search(answers.asked_as(question), 6))
        texts = " ".join(f"{h.payload.get('title', '')} {h.payload.get('text', '')}" for h in found)
        words = set(re.findall(r"[\wäöüß]+", texts.casefold()))
        return any(absent(name, words) for name in looked_up)

    return flags


def main(argv: Sequence[str]) -> int:
    if "--context" in argv:  # on top of the shipped rule: names absent from the found passages
        results = answered(rule_shipped=True)
        flags = context_rule()
        print("\n| refuse also when | " + " | ".join(results) + " |\n|---|" + "---|" * len(results))
        for rule_name, rule in (
            ("shipped rule", lambda q: False),
            ("a name absent from the passages", flags),
        ):
            changed: list[str] = []
            cells = [figures(rows, rule, changed) for rows in results.values()]
            print(
                f"| {rule_name} | "
                + " | ".join(" / ".join(f"{x:.3f}" for x in cell) for cell in cells)
                + " |"
            )
            for line in changed:
                print("  -", line)
        return 0
    if "--shipped" in argv:  # the rule as shipped, answered through the evaluation core
        print(
            "| rule | split | states it | first citation answers | refused unanswerable / answerable "
            "| number warnings |\n|---|---|---|---|---|---|"
        )
        answered(rule_shipped=True)
        return 0
    kb, groups = knowledge_words(), group_words()
    results = answered(rule_shipped=False)
    print("\n| refuse also when | " + " | ".join(results) + " |\n|---|" + "---|" * len(results))
    for rule_name, rule in RULES.items():
        cells, changed = [], []
        for rows in results.values():
            stated, refused_no, refused_yes = figures(rows, lambda q, rule=rule: rule(q, kb, groups), changed)
            cells.append(f"{stated:.3f} / {refused_no:.3f} / {refused_yes:.3f}")
        print(f"| {rule_name} | " + " | ".join(cells) + " |")
        for line in changed:
            print("  -", line)
    print("\n(states it / refused unanswerable / refused answerable per split)")
    return 0


def figures(
    rows: Sequence[tuple[object, object]], flags: Callable[[str], bool], changed: list[str]
) -> tuple[float, float, float]:
    answerable = [(o, q) for o, q in rows if q.answerable]  # type: ignore[attr-defined]
    unanswerable = [(o, q) for o, q in rows if not q.answerable]  # type: ignore[attr-defined]

    def refused(o: object, q: object) -> bool:
        newly = not o.refused and flags(q.question)  # type: ignore[attr-defined]
        if newly:
            kind = "answerable" if q.answerable else "unanswerable"  # type: ignore[attr-defined]
            changed.append(f"{q.question_id} ({kind}): {q.question[:90]}")  # type: ignore[attr-defined]
        return bool(o.refused) or newly  # type: ignore[attr-defined]

    refused_no = sum(refused(o, q) for o, q in unanswerable) / max(len(unanswerable), 1)
    refused_yes = [refused(o, q) for o, q in answerable]
    stated = sum(o.answer_holds_needle and not r for (o, _), r in zip(answerable, refused_yes, strict=True))  # type: ignore[attr-defined]
    return stated / len(answerable), refused_no, sum(refused_yes) / len(answerable)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
