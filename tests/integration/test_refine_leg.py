"""The refine leg (``rag.refine``): a stronger model's vectors, added after a document is searchable,
re-score a search's candidates once every candidate has one (issue #14).

A stand-in model that only knows a few words makes its preference unmistakable, so the tests can tell
whether a search used the leg; one test runs the real EmbeddingGemma on the same documents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from luna.cli.serve import _warm_up as warm_up
from luna.container import Container, build_container
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.vectors import VectorPoint
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.refine import REFINE_JOB
from luna.settings import Settings
from luna.workers.knowledge import check_refine
from luna.workers.registry import PARAM_CHECKS, load_jobs
from luna.workers.runner import execute, queue_refine

DOCUMENTS = {
    "waermepumpe.md": """# Wärmepumpe im Altbau

## Vorlauftemperatur
Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.

## Förderung
Der Austausch einer alten Ölheizung gegen eine Wärmepumpe wird mit einem Zuschuss gefördert.
""",
    "tarif.md": """# Dynamischer Stromtarif

## Börsenpreis
Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.

## Kündigung
Einen Stromvertrag können Haushaltskunden nach der Mindestlaufzeit mit einem Monat Frist kündigen.
""",
}
QUESTION = "Wie funktioniert eine Wärmepumpe im Altbau?"
#: The stand-in model's only words: a chunk is near the question exactly when it names "Zuschuss".
WORDS = ("zuschuss", "vorlauftemperatur")


class FewWordsEmbedder:
    """A refine model that sees only :data:`WORDS`; every question is read as asking about "Zuschuss"."""

    model_name = "few-words-test"
    dim = len(WORDS) + 1

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(word in text.casefold()) for word in WORDS] + [0.1] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0, 0.0]

    def health(self) -> ComponentHealth:
        return ComponentHealth("refine", HealthStatus.UP, "test")


@pytest.fixture
def refined(make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """A knowledge base with the refine leg on (weight 5: it decides) and the two documents indexed."""
    monkeypatch.setattr("luna.container_services.refine_model", lambda settings: FewWordsEmbedder())
    container = build_container(
        make_settings(LUNA_RAG__REFINE__ENABLED="true", LUNA_RAG__REFINE__WEIGHT="5"),
        load_jobs,
    )
    container.database.upgrade()
    for name, text in DOCUMENTS.items():
        container.services.knowledge.ingest.ingest(IngestRequest(data=text.encode(), filename=name))
    yield container
    container.close()


def first_text(container: Container, question: str = QUESTION) -> str:
    return str(container.services.knowledge.retrieval.search(question, 3).citations[0].payload["text"])


def test_search_uses_the_fast_legs_until_every_candidate_has_a_refine_vector(refined: Container) -> None:
    refine = refined.services.knowledge.refine
    assert refine is not None
    assert refine.pending() == 4  # a chunk per section, none refined yet
    assert "Vorlauftemperatur" in first_text(refined)  # what e5-small and BM25 rank first

    assert refine.catch_up() == {"added": 4, "removed": 0, "without_chunk": 0}

    assert refine.pending() == 0
    assert "Zuschuss" in first_text(refined)  # the refine leg's choice decides at weight 5


def test_a_new_chunk_without_its_vector_keeps_searches_on_the_fast_legs(refined: Container) -> None:
    kb = refined.services.knowledge
    assert kb.refine is not None
    kb.refine.catch_up()
    text = "# Wärmepumpe im Neubau\n\nEine Wärmepumpe im Neubau braucht keinen Zuschuss für den Altbau.\n"
    kb.ingest.ingest(IngestRequest(data=text.encode(), filename="neubau.md"))

    assert kb.refine.pending() == 1
    assert "Vorlauftemperatur" in first_text(refined)
    assert kb.refine.catch_up()["added"] == 1
    assert "Zuschuss" in first_text(refined)


def test_deleting_a_document_removes_its_refine_vectors(refined: Container) -> None:
    kb = refined.services.knowledge
    assert kb.refine is not None
    kb.refine.catch_up()
    with refined.database.unit_of_work(read_only=True) as uow:
        item_id = next(item.item_id for item in uow.items.list() if item.title == "Dynamischer Stromtarif")

    refined.services.corpus.delete(item_id)

    assert refined.vectors.count(kb.refine.collection) == 2
    assert kb.refine.pending() == 0


def test_a_point_without_its_chunk_does_not_keep_the_job_coming(refined: Container) -> None:
    kb = refined.services.knowledge
    assert kb.refine is not None
    stray = "00000000-0000-4000-8000-000000000001"  # left behind by a crash: SQL never saw its chunk
    refined.vectors.upsert(kb.collections.active(), [VectorPoint(stray, [0.1] * kb.embedder.dim, {})])

    assert kb.refine.catch_up()["without_chunk"] == 1
    assert kb.refine.pending() == 0
    assert queue_refine(refined) is None


def test_a_left_over_refine_point_does_not_hide_a_new_chunk_without_its_vector(refined: Container) -> None:
    kb = refined.services.knowledge
    assert kb.refine is not None
    kb.refine.catch_up()
    left_over = "00000000-0000-4000-8000-000000000002"  # its chunk was deleted, then the process crashed
    refined.vectors.upsert(kb.refine.collection, [VectorPoint(left_over, [1.0, 0.0, 0.1], {"item_id": "x"})])
    text = "# Wärmepumpe im Neubau\n\nEine Wärmepumpe im Neubau braucht keinen Zuschuss für den Altbau.\n"
    kb.ingest.ingest(IngestRequest(data=text.encode(), filename="neubau.md"))

    assert refined.vectors.count(kb.refine.collection) == refined.vectors.count(kb.collections.active())
    assert kb.refine.pending() == 2
    assert queue_refine(refined) is not None
    assert kb.refine.catch_up() == {"added": 1, "removed": 1, "without_chunk": 0}
    assert kb.refine.pending() == 0


def test_a_refine_collection_of_another_model_is_rebuilt(refined: Container) -> None:
    kb = refined.services.knowledge
    assert kb.refine is not None
    refined.vectors.create_collection(kb.refine.collection, 8)  # left by a model with eight dimensions

    assert kb.refine.catch_up()["added"] == 4
    assert refined.vectors.collection_dim(kb.refine.collection) == FewWordsEmbedder.dim


def test_the_worker_queues_one_catch_up_and_only_while_vectors_are_missing(refined: Container) -> None:
    job = queue_refine(refined)
    assert job is not None and job.name == REFINE_JOB
    assert queue_refine(refined) is None  # queued already

    execute(refined, job.job_id)
    assert refined.services.jobs.get(job.job_id).result == {"added": 4, "removed": 0, "without_chunk": 0}
    assert queue_refine(refined) is None  # nothing missing


def test_no_job_is_queued_while_the_model_is_not_prepared(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    container = build_container(
        make_settings(LUNA_RAG__REFINE__ENABLED="true", LUNA_EMBEDDINGS__MODEL_CACHE=str(tmp_path / "none")),
        load_jobs,
    )
    try:
        container.database.upgrade()
        kb = container.services.knowledge
        kb.ingest.ingest(IngestRequest(data=DOCUMENTS["tarif.md"].encode(), filename="tarif.md"))
        assert kb.refine is not None and kb.refine.pending() == 2
        assert queue_refine(container) is None
        with pytest.raises(Conflict, match="luna models prepare embeddinggemma"):  # not a job that fails
            check_refine(container)  # what POST /admin/jobs asks before it queues kb.refine_vectors
        health = container.health_checks()["refine"].health()
        assert health.status == HealthStatus.DISABLED and "luna models prepare embeddinggemma" in str(
            health.detail
        )
        assert "einem Monat Frist" in first_text(container, "Mit welcher Frist kann ich kündigen?")
    finally:
        container.close()


def test_the_job_is_refused_where_the_leg_is_off(make_settings: Callable[..., Settings]) -> None:
    container = build_container(make_settings(), load_jobs)
    try:
        container.database.upgrade()
        with pytest.raises(InvalidInput, match=r"rag\.refine is not enabled"):
            PARAM_CHECKS[REFINE_JOB](container)  # what the admin API runs before it queues the job
    finally:
        container.close()


def test_embeddinggemma_refines_a_real_search(
    make_settings: Callable[..., Settings], gemma_model_cache: Path
) -> None:
    container = build_container(make_settings(LUNA_RAG__REFINE__ENABLED="true"), load_jobs)
    try:
        container.database.upgrade()
        kb = container.services.knowledge
        for name, text in DOCUMENTS.items():
            kb.ingest.ingest(IngestRequest(data=text.encode(), filename=name))
        assert kb.refine is not None and kb.refine.model_name.startswith("embeddinggemma")
        kb.refine.catch_up()
        scores = kb.refine.scores("Wie lange ist die Kündigungsfrist?", chunk_ids(container))
        assert scores is not None
        best = max(scores, key=scores.__getitem__)
        assert "einem Monat Frist" in chunk_text(container, best)
    finally:
        container.close()


def chunk_ids(container: Container) -> list[str]:
    return container.vectors.point_ids(container.services.knowledge.collections.active())


def chunk_text(container: Container, chunk_id: str) -> str:
    with container.database.unit_of_work(read_only=True) as uow:
        return uow.chunks.get_many([chunk_id])[0].text


def test_health_says_how_far_the_leg_has_caught_up(refined: Container) -> None:
    report = refined.health_checks()["refine"].health()
    assert report.is_up and report.extra["pending"] == 4
    refined.services.knowledge.refine.catch_up()  # type: ignore[union-attr]
    assert refined.health_checks()["refine"].health().detail == "every chunk has its vector"


def test_luna_serve_says_at_start_why_searches_go_without_the_refine_leg(
    make_settings: Callable[..., Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        LUNA_RAG__REFINE__ENABLED="true", LUNA_EMBEDDINGS__MODEL_CACHE=str(tmp_path / "none")
    )
    container = build_container(settings, load_jobs)
    try:
        container.database.upgrade()
        with caplog.at_level(logging.WARNING, logger="luna.serve"):
            warm_up(container)
    finally:
        container.close()
    assert any("luna models prepare embeddinggemma" in r.getMessage() for r in caplog.records)
