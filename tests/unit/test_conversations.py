"""Follow-up questions are searched in the context of the question they follow, and only they."""

from __future__ import annotations

import pytest

from luna.domain.conversations import (
    MAX_QUESTION_CHARS,
    TITLE_CHARS,
    conversation_title,
    is_follow_up,
    own_words,
    retrieval_question,
)

PRICE = "Was kostet die Netznutzung pro Kilowattstunde?"


@pytest.mark.parametrize(
    "question",
    [
        "Und für Gewerbe?",
        "Für Gewerbe?",
        "Und 2025?",
        "Aber wenn ich eine Wärmepumpe habe, wie hoch ist der Preis?",
        "Was ist mit Wallboxen?",
        "Wie sieht es bei Batteriespeichern aus?",
        "Gilt das auch für Mieter?",
        "Bekomme ich dafür eine Förderung?",
        "Wer zahlt diese Umlage?",
    ],
)
def test_questions_that_lean_on_the_one_before_are_follow_ups(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        PRICE,
        "Was regelt das EEG zur Einspeisevergütung?",
        "Wie funktioniert ein dynamischer Stromtarif mit Smart Meter?",
        "Welche Förderung gibt es für den Heizungstausch im Einfamilienhaus?",
        "",
    ],
)
def test_questions_that_stand_on_their_own_are_not(question: str) -> None:
    assert not is_follow_up(question)


def test_a_follow_up_is_searched_together_with_the_question_it_follows() -> None:
    assert retrieval_question("Und für Gewerbe?", [PRICE]) == f"{PRICE} Und für Gewerbe?"


def test_a_chain_of_follow_ups_keeps_the_topic_of_the_last_question_that_stood_alone() -> None:
    earlier = ["Wie laut ist eine Wärmepumpe?", PRICE, "Und für Gewerbe?"]

    assert retrieval_question("Und mit Leistungsmessung?", earlier) == (
        f"{PRICE} Und für Gewerbe? Und mit Leistungsmessung?"
    )


def test_a_follow_ups_own_words_are_what_follows_the_question_before_it() -> None:
    earlier = [PRICE, "Und für Gewerbe?"]
    searched = retrieval_question("Und mit Leistungsmessung?", earlier)

    assert own_words(searched, earlier[-1]) == "Und mit Leistungsmessung?"
    # the statute's terms the search appends stay with the follow-up's words
    assert (
        own_words(f"{searched} (Leistungsmessung)", earlier[-1])
        == "Und mit Leistungsmessung? (Leistungsmessung)"
    )


def test_a_question_searched_alone_has_no_own_words_apart_from_itself() -> None:
    new_subject = "Welche Förderung gibt es für den Heizungstausch?"

    assert own_words(retrieval_question(new_subject, [PRICE]), PRICE) is None
    assert own_words(PRICE, PRICE) is None  # the same question again is no follow-up
    assert own_words(f"{PRICE} ?!", PRICE) is None  # nothing with a word in it follows


def test_a_new_subject_is_searched_alone_and_a_first_question_as_it_is() -> None:
    new_subject = "Welche Förderung gibt es für den Heizungstausch?"

    assert retrieval_question(new_subject, [PRICE]) == new_subject
    assert retrieval_question("Und für Gewerbe?", []) == "Und für Gewerbe?"


def test_a_conversation_is_titled_by_its_first_question_cut_at_a_word() -> None:
    long_question = "Wie " + "sehr " * 40 + "teuer ist Strom?"

    title = conversation_title(long_question)

    assert conversation_title(f"  {PRICE}\n") == PRICE
    assert title.endswith(" …") and len(title) <= TITLE_CHARS + 2 and "sehr sehr" in title


def test_a_long_follow_up_drops_the_oldest_questions_so_the_search_takes_it() -> None:
    """The dialog accepts 2,000 characters; joined with the question before, the search refused the
    follow-up with 400 and the customer's whole thread was replaced by an error."""
    long_follow_up = "Und für Gewerbe " + "x" * (MAX_QUESTION_CHARS - 20) + "?"
    earlier = [PRICE, "Und für Haushalte?"]

    searched = retrieval_question(long_follow_up, earlier)

    assert len(searched) <= MAX_QUESTION_CHARS and searched.endswith(long_follow_up)
    assert retrieval_question("Und " + "y" * 1_000 + "?", [PRICE, "Und " + "z" * 960 + "?"]).startswith(
        "Und z"
    )
