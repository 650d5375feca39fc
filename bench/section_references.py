"""Questions that name a law's section ("Was regelt § 14a EnWG?"): found and answered, before and after.

    .venv/bin/python bench/section_references.py            # after bench/retrieval_quality.py --fresh
    .venv/bin/python bench/section_references.py --golden   # the golden sets through the evaluation core

Readers of energy law ask by section number, and Luna's own follow-ups do too ("Was steht in ‚…‘ über
‚§ 8 Anschluss‘?"). Neither leg finds such a section: the number stands in the heading of every chunk
of it and in the text of every paragraph that refers to it, and e5-small reads "§ 14a" as any number.
The questions are made from the bench index itself: 80 law sections drawn with a fixed seed, each asked
four ways (by the law's short name, as "Paragraf", as "Worum geht es", and in the words of Luna's
follow-up offer). Nothing here was tuned: the section weight (twice both legs) only has to put the
section first. "before" switches the section reference off (no third list, the answerer's usual
ranking). The laws themselves are asked what they are about ("Was regelt das EnWG?": its § 1 answers).
Prints the share of questions whose first hit is a chunk of the section, whose answer's first
citation is one, and that are refused; then a few answers.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from corpus_container import ANSWER_SPLITS, REPO, corpus_container

from luna.adapters.models import extractive
from luna.container import Container
from luna.domain.legal_references import section_number, short_title
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.retrieval import RetrievalService

SECTIONS = 80
SEED = 14
ASKED = (
    "Was regelt § {number} {short}?",
    "Was steht in Paragraf {number} {short}?",
    "Worum geht es in § {number} {short}?",
    "Was steht in ‚{title}‘ über ‚{heading}‘?",
)


@dataclass(frozen=True)
class Place:
    title: str
    short: str
    number: str
    heading: str


def places(c: Container) -> list[Place]:
    """Every numbered section of a law with a short name in the bench index, one place each."""
    found: dict[tuple[str, str], Place] = {}
    with c.database.unit_of_work(read_only=True) as uow:
        for item in uow.items.list(limit=1000):
            short = short_title(item.title)
            if short is None:
                continue
            for chunk in uow.chunks.list_for_item(item.item_id):
                section = chunk.metadata.get("section") or ""
                number = section_number(section)
                if number is not None:
                    heading = section.split(" > ")[-1]
                    found.setdefault((item.title, number), Place(item.title, short, number, heading))
    chosen = sorted(found.values(), key=lambda p: (p.title, p.number))
    return random.Random(SEED).sample(chosen, min(SECTIONS, len(chosen)))


@contextmanager
def sections_off() -> Iterator[None]:
    named, reading = RetrievalService._named_section, extractive.section_sentences
    absent = extractive.names_an_absent_law
    RetrievalService._named_section = lambda self, question, where: ([], False)  # type: ignore[method-assign,assignment]
    extractive.section_sentences = lambda question, chunks, stemmer: []  # type: ignore[assignment]
    extractive.names_an_absent_law = lambda question, titles: False  # type: ignore[assignment]
    try:
        yield
    finally:
        RetrievalService._named_section = named  # type: ignore[method-assign]
        extractive.section_sentences = reading  # type: ignore[assignment]
        extractive.names_an_absent_law = absent  # type: ignore[assignment]


def in_place(payload: dict[str, object], place: Place) -> bool:
    return (
        payload.get("title") == place.title
        and section_number(str(payload.get("section") or "")) == place.number
    )


def asked_row(c: Container, label: str, form: str, places: list[Place]) -> None:
    """One table row: ``form`` asked about each place; where the first hit and the first citation are."""
    kb = c.services.knowledge
    first = cited_first = refused = 0
    for place in places:
        question = form.format(
            number=place.number, short=place.short.split()[0], title=place.title, heading=place.heading
        )
        hits = kb.retrieval.search(question, 6).citations
        first += bool(hits) and in_place(hits[0].payload, place)
        answer = kb.answers.ask(question)
        refused += not answer.citations
        cited_first += bool(answer.citations) and in_place(answer.citations[0].payload, place)
    n = len(places)
    print(f"| {label} | {form} | {first / n:.3f} | {cited_first / n:.3f} | {refused / n:.3f} |", flush=True)


def measure(c: Container, chosen: list[Place], label: str, show: int = 0) -> None:
    for form in ASKED:
        asked_row(c, label, form, chosen)
    for place in chosen[:show]:
        question = ASKED[0].format(number=place.number, short=place.short.split()[0])
        print(f"\n{question}\n{c.services.knowledge.answers.ask(question).answer[:400]}")


def golden(c: Container) -> None:
    """The golden sets' three splits, with the section reference off and on."""
    print("| split | variant | hit@1 / hit@5 / MRR@10 | states it | first citation | refused | warnings |")
    print("|---|---|---|---|---|---|---|")
    for split, sets, label in ANSWER_SPLITS:
        for variant in ("before", "after"):
            with sections_off() if variant == "before" else nullcontext():
                run = c.services.evaluation.run(
                    read_golden_sets(sets),
                    split=split,
                    name=f"sections-{variant}-{split}",
                    documents_dir=REPO.parent / "shared" / "corpus",
                )
            f = run.figures
            print(
                f"| {label} | {variant} | {f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} | "
                f"{f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} | "
                f"{f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | {f.false_number_warnings} |",
                flush=True,
            )


LAW_ASKED = ("Was regelt das {short}?", "Worum geht es im {short}?", "Was ist der Zweck des {short}?")


def whole_laws(c: Container, label: str) -> None:
    """Each law with a short name asked what it is about: the answer should be its § 1."""
    with c.database.unit_of_work(read_only=True) as uow:
        titles = [item.title for item in uow.items.list(limit=1000) if short_title(item.title)]
    laws = [Place(title, short_title(title) or "", "1", "") for title in titles]
    for form in LAW_ASKED:
        asked_row(c, label, form, laws)


def main(argv: list[str]) -> int:
    c = corpus_container()
    if "--golden" in argv:
        try:
            golden(c)
        finally:
            c.close()
        return 0
    try:
        chosen = places(c)
        print(f"{len(chosen)} sections of {len({p.title for p in chosen})} laws\n")
        print("| variant | question | first hit in the section | first citation in it | refused |")
        print("|---|---|---|---|---|")
        with sections_off():
            measure(c, chosen, "before")
            whole_laws(c, "before")
        measure(c, chosen, "after", show=3)
        whole_laws(c, "after")
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
