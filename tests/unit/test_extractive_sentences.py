"""What the answer's judge (e5-small) reads of a candidate sentence: the sentence after its section path.

A law's sentence rarely names its subject ("Die Frist beträgt zwei Wochen."); its section does. What the
answer quotes stays the sentence itself.
"""

from __future__ import annotations

from luna.adapters.models.extractive_sentences import chunk_sentences
from luna.adapters.models.extractive_words import GermanStemmer
from luna.domain.answers import ContextChunk

TEXT = "Der Lieferant muss die Preiserhöhung ankündigen. Die Frist beträgt zwei Wochen."
SECTION = "Teil 3 Energielieferung > § 41 Energielieferverträge mit Letztverbrauchern"


def test_a_sentence_is_judged_after_its_section_and_quoted_alone() -> None:
    chunk = ContextChunk("c1", TEXT, title="Energiewirtschaftsgesetz", section=SECTION)

    sentences = chunk_sentences(chunk, 0, GermanStemmer())

    assert [s.text for s in sentences] == [
        "Der Lieferant muss die Preiserhöhung ankündigen.",
        "Die Frist beträgt zwei Wochen.",
    ]
    assert sentences[1].meaning_text == f"{SECTION}: Die Frist beträgt zwei Wochen."


def test_a_chunk_without_a_section_is_judged_by_its_sentences_alone() -> None:
    chunk = ContextChunk("c1", TEXT, title="Notiz")

    sentences = chunk_sentences(chunk, 0, GermanStemmer())

    assert [s.meaning_text for s in sentences] == [s.text for s in sentences]
