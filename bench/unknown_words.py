"""Refusing a question whose words the context does not know: a candidate, measured on tune and test.

    .venv/bin/python bench/unknown_words.py        # after bench/retrieval_quality.py

Most unanswerable questions the answerer lets through share the context's topic, not what they ask
("Wie viel Trinkgeld gibt man dem Monteur, der den Stromzähler tauscht?" over the metering law). The
candidate rule refuses when more than a share of the question's content words (the answerer's Snowball
stems; a compound part counts as found) occur nowhere in the retrieved context. Each question is
answered once as shipped; the grid adds the rule to that answer's own refusal.
"""

from __future__ import annotations

from corpus_container import REPO, corpus_container

from luna.adapters.models.extractive_words import GermanStemmer, term_match
from luna.domain.answers import ContextChunk
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.answering import _context

THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
STEMMER = GermanStemmer()


def unknown_share(question: str, chunks: list[ContextChunk]) -> float:
    """The share of the question's content words that no chunk contains, not even as a compound part."""
    terms = [t for t in dict.fromkeys(STEMMER.content_stems(question)) if not t.isdigit()]
    context = " ".join(f"{c.title or ''} {c.section or ''} {c.text}" for c in chunks)
    known = frozenset(STEMMER.content_stems(context))
    return sum(1 for t in terms if term_match(t, known) == 0) / len(terms) if terms else 0.0


def main() -> None:
    c = corpus_container()
    answers = c.services.knowledge.answers
    golden = read_golden_sets([REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"])
    rows = []
    for q in golden:
        refused = not answers.ask(q.question).citations
        chunks = _context(answers.relevant(c.services.knowledge.retrieval.search(q.question, 6)))
        rows.append((q.split, q.answerable, refused, unknown_share(q.question, chunks)))
    print("| refuse when unknown share > | tune refused unanswerable / answerable | test |")
    print("|---|---|---|")
    for threshold in THRESHOLDS:
        cells = []
        for split in ("tune", "test"):
            mine = [r for r in rows if r[0] == split]
            unanswerable = [r[2] or r[3] > threshold for r in mine if not r[1]]
            answerable = [r[2] or r[3] > threshold for r in mine if r[1]]
            refused, falsely = sum(unanswerable) / len(unanswerable), sum(answerable) / len(answerable)
            cells.append(f"{refused:.3f} / {falsely:.3f}")
        label = "off (shipped)" if threshold == 1.0 else f"{threshold}"
        print(f"| {label} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
