"""The answer reader's second opinion: asked only where no sentence comes close in meaning, and then it
decides whether Luna answers or refuses."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_ranking import ReaderCheck
from luna.domain.answers import ContextChunk, LunaPrompts, build_rag_messages

CHUNK = ContextChunk(
    "c1",
    "Der Grundversorger muss eine Unterbrechung der Versorgung vier Wochen vorher androhen. "
    "Die Androhung ist schriftlich zu übermitteln.",
    "StromGVV",
    "§ 19 Unterbrechung der Versorgung",
)
QUESTION = "Wie lange vorher muss mir der Versorger eine Stromsperre ankündigen?"


class CosineEmbedder:
    """Every sentence at the same cosine to the question."""

    def __init__(self, cosine: float) -> None:
        self._sentence = [cosine, math.sqrt(1 - cosine**2)]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._sentence for _ in texts]


class FixedReader:
    """Scores each sentence by whether it holds ``answering``; remembers what it was asked."""

    def __init__(self, answering: str) -> None:
        self._answering = answering
        self.asked: list[tuple[str, list[str]]] = []

    @property
    def model_name(self) -> str:
        return "fixed-reader"

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
        self.asked.append((question, list(sentences)))
        return [2.0 if self._answering in sentence else -3.0 for sentence in sentences]


def _model(prompts: LunaPrompts, cosine: float, reader: FixedReader, **check: float) -> ExtractiveChatModel:
    return ExtractiveChatModel(
        prompts,
        meaning=CosineEmbedder(cosine),
        reader=ReaderCheck(reader, **check),  # type: ignore[arg-type]
    )


def test_a_question_near_in_meaning_is_answered_without_asking_the_reader(prompts: LunaPrompts) -> None:
    reader = FixedReader("nothing here")

    assert _model(prompts, 0.95, reader).answers(QUESTION, [CHUNK])
    assert reader.asked == []


def test_where_no_sentence_comes_close_the_reader_decides(prompts: LunaPrompts) -> None:
    answering, not_answering = FixedReader("vier Wochen"), FixedReader("nothing here")

    assert _model(prompts, 0.87, answering).answers(QUESTION, [CHUNK])
    assert not _model(prompts, 0.87, not_answering).answers(QUESTION, [CHUNK])
    assert {question for question, _ in answering.asked} == {QUESTION}
    read = [sentence for _, sentences in answering.asked for sentence in sentences]
    # the reader reads each sentence as the answerer's judge does: after its section heading
    assert any(s.startswith("§ 19 Unterbrechung der Versorgung") and "vier Wochen" in s for s in read)


def test_the_reader_reads_only_the_first_candidates(prompts: LunaPrompts) -> None:
    reader = FixedReader("schriftlich")

    _model(prompts, 0.87, reader, candidates=1).answers(QUESTION, [CHUNK])

    assert [len(sentences) for _, sentences in reader.asked] == [1]


def test_the_reader_stops_at_the_first_sentence_that_answers(prompts: LunaPrompts) -> None:
    everything, first_only = FixedReader("nothing here"), FixedReader("")  # "" is in every sentence

    _model(prompts, 0.87, everything).answers(QUESTION, [CHUNK])
    _model(prompts, 0.87, first_only).answers(QUESTION, [CHUNK])

    assert len(everything.asked) == 2  # both sentences of the chunk, one at a time
    assert [len(sentences) for _, sentences in first_only.asked] == [1]


def test_a_refusal_by_the_reader_is_luna_refusing(prompts: LunaPrompts) -> None:
    model = _model(prompts, 0.87, FixedReader("nothing here"))

    answer = model.answer(build_rag_messages(prompts, QUESTION, [CHUNK]))

    assert "[chunk c1]" not in answer


@pytest.mark.parametrize("score", [0.07, 0.08])
def test_the_reader_must_reach_its_minimum(prompts: LunaPrompts, score: float) -> None:
    class Constant(FixedReader):
        def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
            return [score for _ in sentences]

    model = _model(prompts, 0.87, Constant(""), min_score=0.08)

    assert model.answers(QUESTION, [CHUNK]) == (score >= 0.08)


def test_a_section_read_from_its_beginning_is_not_put_to_the_reader(prompts: LunaPrompts) -> None:
    reader = FixedReader("nothing here")
    section = ContextChunk(
        "c1", "(1) Der Grundversorger darf die Versorgung unterbrechen.", "StromGVV", "§ 19 Unterbrechung"
    )

    answered = _model(prompts, 0.5, reader).answers("Was regelt § 19 StromGVV?", [section])

    assert answered
    assert reader.asked == []


@pytest.mark.parametrize(
    ("section", "laws_only", "asked"),
    [
        ("Teil 4 Energielieferung > § 19 Unterbrechung der Versorgung", True, True),
        ("Preisblatt Niederspannung", True, False),
        (None, True, False),
        ("Preisblatt Niederspannung", False, True),
    ],
)
def test_by_default_the_reader_judges_only_answers_that_lead_with_a_law_section(
    prompts: LunaPrompts, section: str | None, laws_only: bool, asked: bool
) -> None:
    reader = FixedReader("nothing here")
    chunk = ContextChunk(CHUNK.chunk_id, CHUNK.text, "Ratgeber" if section is None else CHUNK.title, section)
    model = ExtractiveChatModel(
        prompts,
        meaning=CosineEmbedder(0.87),
        reader=ReaderCheck(reader, laws_only=laws_only),  # type: ignore[arg-type]
    )

    assert model.answers(QUESTION, [chunk]) is not asked  # a reader that finds nothing refuses
    assert bool(reader.asked) is asked
