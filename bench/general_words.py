"""A general German word list for the compound splitter, measured through the evaluation core (issue #14).

    .venv/bin/pip install wordfreq==3.1.1                 # the bench only: Luna reads the list it writes
    .venv/bin/python bench/general_words.py              # after bench/retrieval_quality.py --fresh
    .venv/bin/python bench/general_words.py --write 3.0 5    # src/luna/domain/common_words_de.txt

The lexical leg splits compounds into parts it knows: the built-in energy words and the words of the
indexed texts themselves. A small knowledge base knows few words, so its compounds stay whole: over the
demo documents "Hochlastzeit" is one term that no chunk holds, and the price sheet's "Hochlast" row is
not found ("hoch" and "zeit" occur in no document as words of their own). The candidate adds the common
words of German (``wordfreq``'s list, by Zipf frequency and length) to the splitter's dictionary.
Two ways were measured: the common words in the splitter's dictionary for index and query alike
(``index``), and only for a query word none of whose terms the index holds (``query``, shipped:
``GermanAnalyzer.query_terms``). Each variant runs every golden question through the shipped answer
path (``split_outcomes``) with the lexical index rebuilt by the variant's analyzer; the first five
sets' tune split chooses, test and the sixth and seventh sets judge.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from corpus_container import REPO, corpus_container, split_outcomes

from luna.domain import german_text

TARGET = REPO / "src" / "luna" / "domain" / "common_words_de.txt"

#: (where, minimum Zipf frequency, minimum letters); None: the energy words and the corpus's own only.
VARIANTS: tuple[tuple[str, float, int] | None, ...] = (
    None,
    ("index", 4.0, 4),
    ("index", 3.5, 4),
    ("index", 3.0, 5),
    ("query", 4.0, 4),
    ("query", 3.5, 4),
    ("query", 3.0, 5),
)


def common_words(min_zipf: float, min_letters: int) -> frozenset[str]:
    """``wordfreq``'s German words of at least this Zipf frequency and length, folded, no stop words."""
    import wordfreq

    words = set()
    for word in wordfreq.iter_wordlist("de"):
        if wordfreq.zipf_frequency(word, "de") < min_zipf:
            break
        folded = german_text.fold(word)
        if len(folded) >= min_letters and folded.isalpha() and folded not in german_text.STOPWORDS:
            words.add(folded)
    return frozenset(words)


def use(variant: tuple[str, float, int] | None, builtin: Callable[[], frozenset[str]]) -> str:
    """Patches the analyzer's word sources for ``variant``; returns its label."""
    words = frozenset() if variant is None else common_words(variant[1], variant[2])
    index = variant is not None and variant[0] == "index"
    german_text._builtin_words = (lambda: builtin() | words) if index else builtin  # type: ignore[misc]
    german_text.common_words = (lambda: frozenset()) if index else (lambda: words)  # type: ignore[misc]
    german_text.plain_analyzer.cache_clear()
    german_text._common_stems.cache_clear()
    if variant is None:
        return "energy words and the corpus's own (before)"
    return f"{variant[0]}: + German words of Zipf ≥ {variant[1]}, ≥ {variant[2]} letters ({len(words)})"


def write(min_zipf: float, min_letters: int) -> None:
    words = sorted(common_words(min_zipf, min_letters))
    header = (
        f"# Common German words, folded (lower case; umlauts and ß to their base letters):\n"
        f"# {len(words)} words of wordfreq 3.1.1's German list with a Zipf frequency of at least\n"
        f"# {min_zipf}, {min_letters} letters or more, no stop words (bench/general_words.py --write).\n"
        "# wordfreq's word lists are CC BY-SA 4.0, Robyn Speer and contributors. The compound splitter\n"
        "# also splits a query word the index does not know by these\n"
        "# (luna.domain.german_text.GermanAnalyzer.query_terms).\n"
    )
    TARGET.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words → {TARGET} ({TARGET.stat().st_size / 1e3:.0f} kB)")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--write":
        write(float(argv[1]), int(argv[2]))
        return 0
    builtin = german_text._builtin_words
    print(
        "| dictionary | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable |"
    )
    print("|---|---|---|---|---|---|")
    for variant in VARIANTS:
        label = use(variant, builtin)
        c = corpus_container()
        try:
            for split, run, _ in split_outcomes(c, "general-words"):
                f = run.figures
                print(
                    f"| {label} | {split} | {f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} "
                    f"| {f.answer_holds_needle:.3f} | {f.first_citation_hit:.3f} "
                    f"| {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} |",
                    flush=True,
                )
        finally:
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
