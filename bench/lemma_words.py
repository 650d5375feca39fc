"""The answerer's word matching on lemmas: "gestellt" is "stellen", "Anträge" is "Antrag" (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/lemma_words.py

The extractive answerer counts the question's words in each sentence by their Snowball stems, which
keep a participle apart from its infinitive ("gestellt" / "stell", "beantragt" / "beantrag") and a
strong verb's forms apart ("gilt" / "gelten"). HanTa, the tagger Luna already asks for proper names,
gives each word its lemma. Variants: the shipped stems; every word's lemma stemmed, on both sides; the
question's lemmas against a sentence's stems and lemmas together. Chosen on tune by the objective of
``bench/answer_weights.py``; every held-out view is printed for the shipped variant and the chosen one
in the same run.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial

from corpus_container import (
    caught_up_container,
    chosen_on_tune,
    figure_header,
    print_views,
    tune_scores,
)
from refine_sentences import REFINE, objective

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive_words import GERMAN_STOPWORDS, WORD, GermanStemmer


class Lemmas:
    """HanTa's lemma of a word, out of context, each word asked once."""

    def __init__(self) -> None:
        from HanTa import HanoverTagger  # type: ignore[import-untyped]

        self._tagger = HanoverTagger.HanoverTagger("morphmodel_ger.pgz")
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, word: str) -> str:
        lemma = self._known.get(word)
        if lemma is None:
            with self._lock:
                lemma = str(self._tagger.analyze(word, taglevel=1)[0])
            self._known[word] = lemma
        return lemma


LEMMAS = Lemmas()
SHIPPED = GermanStemmer.content_stems


def lemma_stems(stemmer: GermanStemmer, text: str) -> list[str]:
    """Each content word's lemma, stemmed (the stop words as the shipped stems leave them out)."""
    words = [w for w in WORD.findall(text) if w.casefold() not in GERMAN_STOPWORDS]
    kept = [LEMMAS(w).casefold() for w in words if len(w) > 1 or w.isdigit()]
    with stemmer._lock:
        return list(stemmer._stemmer.stemWords(kept))


def both_stems(stemmer: GermanStemmer, text: str) -> list[str]:
    """The shipped stems and the lemmas' stems."""
    return list(dict.fromkeys([*SHIPPED(stemmer, text), *lemma_stems(stemmer, text)]))


CHUNK_SENTENCES = extractive.chunk_sentences


class SentenceSide(GermanStemmer):
    """A stemmer whose content stems are a sentence's in the union variant."""

    def content_stems(self, text: str) -> list[str]:
        return both_stems(self, text)


SENTENCE_SIDE = SentenceSide()

#: name: (question side, sentence side or None for the same)
VARIANTS: dict[str, tuple[Callable[[GermanStemmer, str], list[str]], bool]] = {
    "Snowball stems (shipped)": (SHIPPED, False),
    "lemmas stemmed, both sides": (lemma_stems, False),
    "question lemmas, sentence stems and lemmas": (lemma_stems, True),
}


def use(question_side: Callable[[GermanStemmer, str], list[str]], union: bool) -> None:
    GermanStemmer.content_stems = question_side  # type: ignore[method-assign]

    def union_side(chunk: object, rank: int, _stemmer: GermanStemmer) -> object:
        return CHUNK_SENTENCES(chunk, rank, SENTENCE_SIDE)  # type: ignore[arg-type]

    extractive.chunk_sentences = union_side if union else CHUNK_SENTENCES  # type: ignore[assignment]


def run_name(variant: str) -> str:
    return f"lemma-{list(VARIANTS).index(variant)}"


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        print(figure_header("words", tune=True))
        set_ups = {name: partial(use, *sides) for name, sides in VARIANTS.items()}
        scores = tune_scores(c, set_ups, run_name, objective)
        chosen = chosen_on_tune(scores)
        print(f"\nchosen on tune: {chosen} ({scores})\n", file=sys.stderr, flush=True)
        for name in dict.fromkeys(["Snowball stems (shipped)", chosen]):
            use(*VARIANTS[name])
            print_views(c, name, run_name(name), skip=("tune (five sets)",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
