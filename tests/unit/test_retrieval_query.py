"""What the dense leg embeds for a question: everyday words come with the statute's term, because the
embedding model does not know that the law calls a balcony power plant a "Steckersolargerät"."""

from __future__ import annotations

from typing import Any

import pytest

from luna.services.knowledge.retrieval import MAX_QUESTION_CHARS, RetrievalService, RetrievalSettings


@pytest.fixture(scope="module")
def service() -> RetrievalService:
    unused: Any = None  # meaning_query touches no store
    return RetrievalService(unused, unused, unused, unused, unused, RetrievalSettings())


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        (
            "Wie groß darf ein Balkonkraftwerk sein?",
            "Wie groß darf ein Balkonkraftwerk sein? (Steckersolargerät)",
        ),
        (
            "Wann darf mein Versorger mir den Strom sperren?",
            "Wann darf mein Versorger mir den Strom sperren? (Versorgungsunterbrechung)",
        ),
        (
            "Wie viel Atomstrom steckt im Strommix?",
            "Wie viel Atomstrom steckt im Strommix? (Kernkraft, Stromkennzeichnung)",
        ),
    ],
)
def test_everyday_words_bring_the_statutes_term(service, question, asked):
    assert service.meaning_query(question) == asked


@pytest.mark.parametrize(
    "question",
    [
        "Was ist ein Steckersolargerät?",  # already in the statute's words
        "Wie hoch ist die EEG-Umlage?",  # abbreviations are left to the lexical leg
        "Darf der Veränderungssperre wegen gebaut werden?",  # "Sperre" inside a legal compound
    ],
)
def test_other_questions_are_embedded_as_asked(service, question):
    assert service.meaning_query(question) == question


def test_a_question_at_the_length_limit_is_not_made_too_long(service):
    question = "Wie groß darf ein Balkonkraftwerk sein? " + "x" * (MAX_QUESTION_CHARS - 45)
    assert len(question) <= MAX_QUESTION_CHARS
    assert service.meaning_query(question) == question
