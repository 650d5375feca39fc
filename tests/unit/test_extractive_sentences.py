"""What the answer's judge (e5-small) reads of a candidate sentence: the sentence after its section path.

A law's sentence rarely names its subject ("Die Frist beträgt zwei Wochen."); its section does. What the
answer quotes stays the sentence itself.
"""

from __future__ import annotations

import pytest

from luna.adapters.models.extractive_sentences import chunk_sentences, cited, section_sentences
from luna.adapters.models.extractive_words import GermanStemmer
from luna.domain.answer_sentences import with_paragraph_reference
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


def test_an_invoice_s_abbreviations_do_not_end_a_sentence() -> None:
    chunk = ContextChunk(
        "c1", "Rechnungssumme ohne USt. 252,10 Euro. Zahlbar bis 3 Std. nach Zugang.", title="R"
    )

    sentences = chunk_sentences(chunk, 0, GermanStemmer())

    assert [s.text for s in sentences] == [
        "Rechnungssumme ohne USt. 252,10 Euro.",
        "Zahlbar bis 3 Std. nach Zugang.",
    ]


def test_a_law_s_citation_does_not_end_its_sentence() -> None:
    """ "Was regelt das EDL-G?" led with "I S [chunk …]", a piece of "(BGBl. I S. 1475)"."""
    chunk = ContextChunk(
        "c1",
        "Das Gesetz vom 4. November 2010 (BGBl. I S. 1483) wurde durch Artikel 3 geändert. Es gilt nach "
        "Ziff. 2 der Anlage für rd. 500 Unternehmen.",
        title="EDL-G",
    )

    sentences = chunk_sentences(chunk, 0, GermanStemmer())

    assert [s.text for s in sentences] == [
        "Das Gesetz vom 4. November 2010 (BGBl. I S. 1483) wurde durch Artikel 3 geändert.",
        "Es gilt nach Ziff. 2 der Anlage für rd. 500 Unternehmen.",
    ]


ENWG = "Gesetz über die Elektrizitäts- und Gasversorgung (Energiewirtschaftsgesetz – EnWG)"
PARAGRAPHS = "(5) Der Lieferant muss die Preiserhöhung ankündigen. (6) Die Frist beträgt zwei Wochen."


def test_a_laws_paragraph_number_is_quoted_with_its_section_and_law() -> None:
    chunk = ContextChunk("c1", PARAGRAPHS, title=ENWG, section=SECTION)

    quoted = [cited(s) for s in chunk_sentences(chunk, 0, GermanStemmer())]

    assert quoted == [
        "(§ 41 Abs. 5 EnWG) Der Lieferant muss die Preiserhöhung ankündigen [chunk c1].",
        "(§ 41 Abs. 6 EnWG) Die Frist beträgt zwei Wochen [chunk c1].",
    ]


@pytest.mark.parametrize(
    ("title", "section", "reference"),
    [
        ("Stromsteuergesetz (StromStG)", "§ 9 Steuerbefreiungen", "(§ 9 Abs. 6 StromStG)"),
        (
            "Gesetz … (Erneuerbare-Energien-Gesetz – EEG 2023)",
            "Teil 2 > § 8 Anschluss",
            "(§ 8 Abs. 6 EEG 2023)",
        ),
        ("Ratgeber Wärmepumpe (Ausgabe)", "§ 3 Begriffe", "(§ 3 Abs. 6)"),  # no law's short name
        ("Netzentgelte 2026", "Preisblatt > Niederspannung", "(6)"),  # no law section: left as it is
        (ENWG, None, "(6)"),
    ],
)
def test_the_reference_names_what_the_title_and_section_give(
    title: str, section: str | None, reference: str
) -> None:
    assert with_paragraph_reference("(6) Die Frist beträgt zwei Wochen.", title, section) == (
        f"{reference} Die Frist beträgt zwei Wochen."
    )


def test_a_question_that_names_a_paragraph_reads_the_section_from_that_paragraph() -> None:
    text = "(5) Anlagen werden angeschlossen.\n\n(5a) Ein Steckersolargerät darf angeschlossen werden."
    chunk = ContextChunk(
        "c1", text, title="Gesetz (Erneuerbare-Energien-Gesetz – EEG 2023)", section="§ 8 Anschluss"
    )

    reading = section_sentences("Was regelt § 8 Absatz 5a EEG?", [chunk], GermanStemmer())

    assert [s.text[:4] for s in reading] == ["(5a)", "(5) "]  # from the paragraph asked, then the rest
