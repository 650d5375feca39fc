"""Nouns said "mit" against "ohne" in the answerer's word matching (issue #14).

    .venv/bin/python bench/with_and_without.py

"Und mit Leistungsmessung?" after a price question led with the rows "Haushalt ohne Leistungsmessung"
and "Gewerbe ohne Leistungsmessung": they hold the word, and table order put them first. The
answerer now counts a question's "mit X" as missing from a sentence that says only "ohne X", and the
reverse (``adapters/models/extractive_words.py``). The rule can only move a golden question that says
"mit" or "ohne" before a noun which some sentence of the corpus says the other way; this counts them,
per set, with the rule's own functions on the corpus as Luna extracts it. The eighth set is blind: its
counts only, never its questions.
"""

from __future__ import annotations

import mimetypes
import re
import sys

from corpus_container import EIGHTH_GOLDEN_SET, FIVE_GOLDEN_SETS, REPO, SEVENTH_GOLDEN_SET, SIXTH_GOLDEN_SET

from luna.adapters.extract.local import LocalExtractor
from luna.adapters.models.extractive_words import GermanStemmer, contradicted
from luna.services.evaluation.evaluation import read_golden_sets

CORPUS = REPO.parent / "shared" / "corpus"
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def corpus_sentences() -> list[str]:
    """Every sentence-like piece of the corpus that says "mit" or "ohne"."""
    extractor = LocalExtractor()
    pieces = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md"):
        media_type = mimetypes.guess_type(path.name)[0] or "text/plain"
        document = extractor.extract(path.read_bytes(), media_type, path.name)
        for block in document.blocks:
            pieces.extend(_SENTENCE_END.split(block.text))
    return [p for p in pieces if re.search(r"\b(?i:mit|ohne)\b", p)]


def main() -> int:
    stemmer = GermanStemmer()
    said = [stemmer.with_and_without(sentence) for sentence in corpus_sentences()]
    print(
        "| set | questions | answerable | with mit/ohne before a noun "
        "| a corpus sentence says it the other way (answerable / unanswerable) |"
    )
    print("|---|---|---|---|---|")
    for label, paths in (
        ("five sets", FIVE_GOLDEN_SETS),
        ("sixth set", SIXTH_GOLDEN_SET),
        ("seventh set", SEVENTH_GOLDEN_SET),
        ("eighth set (blind)", EIGHTH_GOLDEN_SET),
    ):
        questions = read_golden_sets(paths)
        polar = [(q, stemmer.with_and_without(q.question)) for q in questions]
        polar = [(q, asked) for q, asked in polar if any(asked)]
        moved = [q for q, asked in polar if any(contradicted(asked, s) for s in said)]
        answerable = sum(q.answerable for q in moved)
        print(
            f"| {label} | {len(questions)} | {sum(q.answerable for q in questions)} | {len(polar)} "
            f"| {answerable} / {len(moved) - answerable} |"
        )
        if "blind" not in label:
            for q in moved:
                print(f"|  | {q.question_id}: {q.question} | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
