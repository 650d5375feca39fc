"""Which sentence leads an extractive answer when the embedding model finds several equally near."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.domain.answers import ContextChunk, LunaPrompts, build_rag_messages, load_luna_prompts


class _AllAlike:
    """A stand-in embedding model that finds every sentence as near to the question as any other."""

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


@pytest.fixture(scope="module")
def prompts() -> LunaPrompts:
    return load_luna_prompts()


def _lead(prompts: LunaPrompts, question: str, chunks: list[ContextChunk]) -> str:
    model = ExtractiveChatModel(prompts, meaning=_AllAlike(), max_points=1)
    return model.answer(build_rag_messages(prompts, question, chunks)).split("\n\n")[0]


def test_among_equally_near_sentences_the_one_with_the_questions_words_leads(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1", "Die Anlage wird jährlich geprüft. Die Einspeisevergütung für kleine Solaranlagen sinkt stetig."
    )

    lead = _lead(prompts, "Wie ändert sich die Einspeisevergütung für Solaranlagen?", [chunk])

    assert lead.startswith(
        "Kurz gesagt: Die Einspeisevergütung für kleine Solaranlagen sinkt stetig [chunk c1]."
    )


def test_among_equally_near_sentences_the_better_retrieved_chunk_leads(prompts: LunaPrompts) -> None:
    chunks = [
        ContextChunk("first", "Der Zähler wird vom Messstellenbetreiber gewechselt."),
        ContextChunk("second", "Der Zähler wird vom Netzbetreiber abgelesen."),
    ]

    lead = _lead(prompts, "Wer kümmert sich um den Zähler?", chunks)

    assert lead.startswith("Kurz gesagt: Der Zähler wird vom Messstellenbetreiber gewechselt [chunk first].")


def test_a_price_question_is_led_by_the_sentence_with_the_amount(prompts: LunaPrompts) -> None:
    chunk = ContextChunk(
        "c1", "Der Grundpreis wird monatlich abgerechnet. Der Grundpreis beträgt 60 Euro im Jahr."
    )

    lead = _lead(prompts, "Was kostet der Grundpreis?", [chunk])

    assert lead.startswith("Kurz gesagt: Der Grundpreis beträgt 60 Euro im Jahr [chunk c1].")
