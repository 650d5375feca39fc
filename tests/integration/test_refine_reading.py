"""The refine leg's model also orders the extractive answer's sentences (issue #14): its job embeds each
chunk's sentences, and an answer looks their vectors up, never waiting for the model to read them.

The stand-in model of ``test_refine_leg`` knows two words; every question is read as asking about
"Zuschuss", so the answer leads with the Zuschuss sentence exactly when the leg's judgement is used.
The refine weight is 0, so retrieval is the same either way and only the reading order can change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from luna.container import Container, build_container
from luna.ports.vectors import VectorPoint
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings
from luna.workers.registry import load_jobs
from tests.integration.test_refine_leg import FewWordsEmbedder

GUIDE = (
    "# Wärmepumpe im Altbau\n\n"
    "Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt. "
    "Für den Austausch einer alten Ölheizung gegen eine Wärmepumpe gibt es einen Zuschuss vom Bund.\n"
)
QUESTION = "Wann arbeitet eine Wärmepumpe im Altbau effizient?"


class CountingFewWords(FewWordsEmbedder):
    """Counts the texts it is given to read as passages."""

    def __init__(self) -> None:
        self.passages_read = 0

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.passages_read += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def model() -> CountingFewWords:
    return CountingFewWords()


@pytest.fixture
def guide(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch, model: CountingFewWords
) -> Iterator[Container]:
    monkeypatch.setattr("luna.container_services.refine_model", lambda settings: model)
    container = build_container(
        make_settings(LUNA_RAG__REFINE__ENABLED="true", LUNA_RAG__REFINE__WEIGHT="0"), load_jobs
    )
    container.database.upgrade()
    container.services.knowledge.ingest.ingest(IngestRequest(data=GUIDE.encode(), filename="altbau.md"))
    yield container
    container.close()


def leads_with_zuschuss(container: Container) -> bool:
    answer = container.services.knowledge.answers.ask(QUESTION).answer
    assert "Vorlauftemperatur" in answer and "Zuschuss" in answer, answer
    return answer.index("Zuschuss") < answer.index("Vorlauftemperatur")


def test_the_answer_reads_in_the_refine_models_order_once_its_job_has_read_the_sentences(
    guide: Container,
) -> None:
    refine = guide.services.knowledge.refine
    assert refine is not None
    assert not leads_with_zuschuss(guide)  # e5-small's order: the sentence that shares the question's words

    refine.catch_up()

    assert leads_with_zuschuss(guide)


def test_an_answer_never_waits_for_the_refine_model_to_read(
    guide: Container, model: CountingFewWords
) -> None:
    refine = guide.services.knowledge.refine
    assert refine is not None
    leads_with_zuschuss(guide)
    assert model.passages_read == 0  # nothing read yet: the answer looked up and went on without it

    refine.catch_up()
    read_by_the_job = model.passages_read
    leads_with_zuschuss(guide)

    assert read_by_the_job >= 3  # the chunk and its two sentences
    assert model.passages_read == read_by_the_job


def test_an_earlier_refine_collection_is_dropped_and_its_chunks_refined_with_their_sentences(
    guide: Container,
) -> None:
    kb = guide.services.knowledge
    assert kb.refine is not None
    earlier = f"{kb.collections.alias}_refine"  # an earlier version's: its points had no sentences
    guide.vectors.create_collection(earlier, FewWordsEmbedder.dim)
    chunk_id = guide.vectors.point_ids(kb.collections.active())[0]
    guide.vectors.upsert(earlier, [VectorPoint(chunk_id, [1.0, 0.0, 0.1], {"item_id": "x"})])

    assert kb.refine.catch_up()["added"] == 1
    assert earlier not in guide.vectors.collections()
    assert leads_with_zuschuss(guide)
