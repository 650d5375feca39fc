"""The recommender on the embedded stack: what a user is shown, what never, and why.

Each test copies a data dir that already holds the corpus (four topics of three notes, one long
document; all 120 days old) and works on its own copy, with the real e5 vectors and SQLite.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from luna.container import Container, build_container
from luna.domain.bandit import BLEND, COLD, CONTENT, FRESH, POPULAR, WARM
from luna.domain.errors import InvalidInput
from luna.domain.events import LEARNING_SCOPE, Consent, EventType
from luna.domain.recommendations import RecommendationKind, Recommendations
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings
from tests.integration.recommend_support import (
    Corpus,
    Note,
    build_corpus,
    fill_meter,
    ingest_heat_plan,
    ingest_notes,
    ingest_swiss_plan,
    new_user,
    record,
)

NOW = datetime.now(UTC)
ALL_STRATEGIES = (CONTENT, POPULAR, FRESH, BLEND)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Corpus]:
    data_dir = tmp_path_factory.mktemp("recommend-corpus") / "var"
    return data_dir, build_corpus(data_dir)


@pytest.fixture
def corpus(corpus_dir: tuple[Path, Corpus]) -> Corpus:
    return corpus_dir[1]


@pytest.fixture
def open_container(
    corpus_dir: tuple[Path, Corpus], make_settings: Callable[..., Settings], tmp_path: Path
) -> Iterator[Callable[..., Container]]:
    """``open_container(**env)``: a container on this test's own copy of the corpus."""
    built: list[Container] = []

    def open_(**env: Any) -> Container:
        data_dir = tmp_path / "var"
        shutil.copytree(corpus_dir[0], data_dir)
        container = build_container(make_settings(LUNA_DATA_DIR=str(data_dir), **env))
        built.append(container)
        return container

    yield open_
    for container in built:
        container.close()


@pytest.fixture
def container(open_container: Callable[..., Container]) -> Container:
    return open_container(LUNA_RECOMMEND__BANDIT="off")


def recommend(container: Container, user_id: str | None, **options: Any) -> Recommendations:
    return container.services.recommender.recommend(user_id, **options)


def chunk_ids(result: Recommendations) -> list[str]:
    return [item.chunk_id for item in result.items if item.chunk_id is not None]


def like(container: Container, user_id: str, *notes: Note, minutes_ago: int = 60) -> None:
    for note in notes:
        record(container, user_id, EventType.LIKE, note, NOW - timedelta(minutes=minutes_ago))


# -- content-based ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [CONTENT, BLEND])
def test_a_user_who_liked_photovoltaics_gets_the_other_pv_note_first_with_the_topic_as_reason(
    container: Container, corpus: Corpus, strategy: str
) -> None:
    pv = corpus.of_topic("pv")
    user = new_user(container)
    like(container, user, pv[0], pv[1])

    result = recommend(container, user, top_k=5, strategy=strategy)

    assert result.items[0].chunk_id == pv[2].chunk_id
    assert result.items[0].reason == "weil Sie sich für Photovoltaik interessieren"
    assert result.items[0].kind == RecommendationKind.CONTENT
    assert result.items[0].payload["title"] == pv[2].title and "text" in result.items[0].payload
    # What they already liked is not recommended again.
    assert {pv[0].chunk_id, pv[1].chunk_id}.isdisjoint(chunk_ids(result))
    assert result.extra["segment"] == WARM and result.extra["personalized"] is True


def test_the_profile_follows_the_weighted_newest_events(container: Container, corpus: Corpus) -> None:
    """Old views of heat pumps weigh less than a fresh like of a tariff note."""
    user = new_user(container)
    for note in corpus.of_topic("waermepumpe")[:2]:
        record(container, user, EventType.VIEW, note, NOW - timedelta(days=60))
    like(container, user, corpus.of_topic("tarif")[0])

    result = recommend(container, user, top_k=2, strategy=CONTENT)

    assert [item.payload["topics"] for item in result.items] == [["Stromtarife"], ["Stromtarife"]]


def test_a_disliked_chunk_and_the_rest_of_its_item_never_appear(container: Container, corpus: Corpus) -> None:
    user = new_user(container)
    like(container, user, corpus.of_topic("tarif")[0])
    grid = Note(corpus.grid_fees_item, corpus.grid_fees_chunks[0], "netzentgelte", "Netzentgelte")
    record(container, user, EventType.DISLIKE, grid, NOW - timedelta(minutes=5))
    disliked_note = corpus.of_topic("tarif")[1]
    record(container, user, EventType.DISLIKE, disliked_note, NOW - timedelta(minutes=5))

    for strategy in ALL_STRATEGIES:
        shown = chunk_ids(recommend(container, user, top_k=20, strategy=strategy))
        assert disliked_note.chunk_id not in shown
        assert not set(corpus.grid_fees_chunks) & set(shown), strategy


def test_a_like_after_a_dislike_brings_the_rest_of_the_item_back(
    container: Container, corpus: Corpus
) -> None:
    user = new_user(container)
    first, second = (
        Note(corpus.grid_fees_item, chunk_id, "netzentgelte", "Netzentgelte")
        for chunk_id in corpus.grid_fees_chunks[:2]
    )
    record(container, user, EventType.DISLIKE, first, NOW - timedelta(hours=2))
    record(container, user, EventType.LIKE, second, NOW - timedelta(hours=1))

    shown = chunk_ids(recommend(container, user, top_k=20, strategy=CONTENT))

    assert first.chunk_id not in shown
    assert set(corpus.grid_fees_chunks[2:]) & set(shown)


def test_the_list_is_diverse_across_items(container: Container, corpus: Corpus) -> None:
    """The long document's chunks are nearest to a user who read it, yet at most two of them appear."""
    user = new_user(container)
    grid = Note(corpus.grid_fees_item, corpus.grid_fees_chunks[0], "netzentgelte", "Netzentgelte")
    record(container, user, EventType.VIEW, grid, NOW - timedelta(minutes=3))

    for strategy in ALL_STRATEGIES:
        result = recommend(container, user, top_k=10, strategy=strategy)
        per_item = Counter(item.payload["item_id"] for item in result.items)
        assert max(per_item.values()) <= 2, strategy
        assert len(per_item) >= 5, strategy


@pytest.fixture
def one_document(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> Iterator[tuple[Container, list[Note]]]:
    """A knowledge base of one document with eight chunks, and nothing else."""
    container = build_container(make_settings(LUNA_DATA_DIR=str(tmp_path / "one-doc")))
    try:
        container.database.upgrade()
        yield container, ingest_heat_plan(container, districts=8)
    finally:
        container.close()


def test_a_knowledge_base_of_fewer_documents_than_places_fills_the_list_with_more_of_each(
    one_document: tuple[Container, list[Note]],
) -> None:
    """Two chunks per document is a preference: with one document, a list of six shows six of its
    chunks, and a list of twelve everything there is (eight, minus what the reader already liked)."""
    container, plan = one_document
    reader = new_user(container)
    like(container, reader, plan[0], plan[1])

    for strategy in (POPULAR, FRESH, BLEND):
        assert len(recommend(container, None, top_k=6, strategy=strategy).items) == 6, strategy
        assert sorted(chunk_ids(recommend(container, None, top_k=12, strategy=strategy))) == sorted(
            note.chunk_id for note in plan
        )
    for strategy in ALL_STRATEGIES:
        shown = chunk_ids(recommend(container, reader, top_k=12, strategy=strategy))
        assert sorted(shown) == sorted(note.chunk_id for note in plan[2:]), strategy


def test_a_list_filled_up_from_other_documents_says_why_each_one_is_there(
    container: Container, corpus: Corpus
) -> None:
    """A new reader of one long document gets its two best chunks and then the other documents, each
    with a reason a customer can read (never an empty one)."""
    plan = ingest_heat_plan(container)
    user = new_user(container)
    like(container, user, *plan[:3])

    result = recommend(container, user, top_k=10, strategy=CONTENT)

    per_item = Counter(item.payload["item_id"] for item in result.items)
    assert len(result.items) == 10 and per_item[plan[0].item_id] == 2 and max(per_item.values()) <= 2
    assert [item.payload["item_id"] for item in result.items[:2]] == [plan[0].item_id] * 2
    assert all(item.reason for item in result.items)


# -- the reader's country ----------------------------------------------------------------------------

SWISS_REASON = " – ein Beispiel aus der Schweiz, dort gelten eigene Regeln und Preise"


def test_a_german_heat_pump_reader_gets_no_swiss_municipal_plan_while_other_documents_fill_the_list(
    container: Container, corpus: Corpus
) -> None:
    swiss = ingest_swiss_plan(container)
    user = new_user(container)
    like(container, user, *corpus.of_topic("waermepumpe")[:2])

    for strategy in ALL_STRATEGIES:
        result = recommend(container, user, top_k=10, strategy=strategy)
        assert len(result.items) == 10, strategy
        assert swiss.chunk_id not in chunk_ids(result), strategy
        assert result.extra["country"] == "DE"

    # An operator who knows better tags it ``land:DE``: from the next list on, it is ranked by its merit.
    with container.database.unit_of_work() as uow:
        uow.items.update(swiss.item_id, tags=["waermepumpe", "land:DE"])
        uow.commit()
    assert swiss.chunk_id in chunk_ids(recommend(container, user, top_k=3, strategy=CONTENT))


def test_only_when_nothing_else_is_left_does_a_foreign_document_fill_the_list_and_then_last(
    container: Container, corpus: Corpus
) -> None:
    """Twelve notes and a six-chunk document: eighteen German or unknown chunks. A list of eighteen
    takes all of them (four more of the long document, beyond the cap) rather than the Swiss plan; a
    list of nineteen is not left short either: the plan comes last, saying where it is from."""
    swiss = ingest_swiss_plan(container)

    for strategy in (POPULAR, FRESH, BLEND):
        assert swiss.chunk_id not in chunk_ids(recommend(container, None, top_k=18, strategy=strategy))
        result = recommend(container, None, top_k=19, strategy=strategy)
        assert len(result.items) == 19, strategy
        assert result.items[-1].chunk_id == swiss.chunk_id, strategy
        assert result.items[-1].payload["country"] == "CH"
        assert result.items[-1].reason.endswith(SWISS_REASON), result.items[-1].reason
        assert not any(item.reason.endswith(SWISS_REASON) for item in result.items[:-1])


@pytest.mark.parametrize("country", ["CH", ""])
def test_a_swiss_reader_or_one_without_a_country_gets_the_swiss_plan_by_its_merit(
    open_container: Callable[..., Container], corpus: Corpus, country: str
) -> None:
    container = open_container(LUNA_RECOMMEND__BANDIT="off", LUNA_RECOMMEND__COUNTRY=country)
    swiss = ingest_swiss_plan(container)
    user = new_user(container)
    like(container, user, *corpus.of_topic("waermepumpe")[:2])

    result = recommend(container, user, top_k=3, strategy=CONTENT)

    assert swiss.chunk_id in chunk_ids(result)
    [shown] = [item for item in result.items if item.chunk_id == swiss.chunk_id]
    assert shown.payload["country"] == "CH" and not shown.reason.endswith(SWISS_REASON)
    assert result.extra["country"] == (country or None)
    if country == "CH":  # the long document cites the Bundesnetzagentur and the EnWG: German, last
        long_document = recommend(container, None, top_k=19, strategy=BLEND).items[-6:]
        assert {item.payload["item_id"] for item in long_document} == {corpus.grid_fees_item}
        assert all(
            item.reason.endswith("ein Beispiel aus Deutschland, dort gelten eigene Regeln und Preise")
            for item in long_document
        )


# -- cold start, popularity, freshness, archived ------------------------------------------------------


def test_cold_start_serves_what_others_liked_and_what_is_new(container: Container, corpus: Corpus) -> None:
    favourite = corpus.of_topic("speicher")[1]
    for _ in range(3):
        like(container, new_user(container), favourite)
    container.services.learning.run("test")
    new_item = container.services.knowledge.ingest.ingest(
        IngestRequest(
            data=b"# Balkonkraftwerk\n\nEin Balkonkraftwerk liefert bis 800 Watt.\n", filename="b.md"
        )
    )

    result = recommend(container, str(uuid.uuid4()), top_k=6)

    reasons = {item.payload["item_id"]: item.reason for item in result.items}
    assert reasons[favourite.item_id] == "beliebt bei anderen Nutzern"
    assert reasons[new_item.item_id] == "neu in der Wissensbasis"
    assert (result.strategy, result.extra["segment"]) == (BLEND, COLD)
    assert result.recommendation_id is None  # nobody to credit a click to


def test_nobody_in_particular_gets_the_cold_start_list(container: Container) -> None:
    result = recommend(container, None, top_k=4)

    assert len(result.items) == 4 and result.extra["segment"] == COLD and result.recommendation_id is None


def test_archived_chunks_never_appear_however_popular_they_were(container: Container, corpus: Corpus) -> None:
    old = corpus.of_topic("pv")[0]
    for _ in range(3):
        like(container, new_user(container), old)
    container.services.learning.run("test")
    container.services.knowledge.ingest.replace(
        old.item_id, IngestRequest(data=b"# Photovoltaik neu\n\nPV-Module werden jedes Jahr effizienter.\n")
    )
    reader = new_user(container)
    like(container, reader, corpus.of_topic("pv")[1])

    for user in (reader, None):
        for strategy in (POPULAR, FRESH, BLEND):
            assert old.chunk_id not in chunk_ids(recommend(container, user, top_k=20, strategy=strategy))


def test_a_user_without_consent_gets_no_profile_but_their_dislikes_still_count(
    container: Container, corpus: Corpus
) -> None:
    user = new_user(container)
    like(container, user, corpus.of_topic("pv")[0])
    record(container, user, EventType.DISLIKE, corpus.of_topic("tarif")[0], NOW)
    with container.database.unit_of_work() as uow:
        uow.consent.record(Consent(user, LEARNING_SCOPE, False, NOW))
        uow.commit()

    result = recommend(container, user, top_k=20)

    assert result.extra["segment"] == COLD and result.extra["personalized"] is False
    assert corpus.of_topic("tarif")[0].chunk_id not in chunk_ids(result)


# -- logging and the bandit ---------------------------------------------------------------------------


def test_each_answer_is_logged_and_a_click_naming_it_rewards_its_strategy(
    open_container: Callable[..., Container], corpus: Corpus
) -> None:
    container = open_container(LUNA_RECOMMEND__BANDIT_SEED="11")
    user = new_user(container)
    like(container, user, corpus.of_topic("pv")[0])
    service = container.services.recommender

    result = service.recommend(user, top_k=4)
    first = result.items[0]
    clicked = Note(first.payload["item_id"], first.payload["chunk_id"], "", "")
    record(
        container,
        user,
        EventType.CLICK,
        clicked,
        datetime.now(UTC),
        recommendation_id=result.recommendation_id,
    )

    with container.database.unit_of_work(read_only=True) as uow:
        [logged] = uow.events.for_user(user, types={EventType.RECOMMEND})
    assert logged.event_id == result.recommendation_id
    assert logged.meta == {
        "strategy": result.strategy,
        "segment": WARM,
        "chunk_ids": chunk_ids(result),
        "energy": [],
    }
    assert result.extra["bandit"] is True
    stats = container.services.recommender.chooser
    stats.invalidate()
    assert stats.stats()[(WARM, result.strategy)].rewards == 1


def test_without_the_bandit_every_answer_is_a_blend(container: Container, corpus: Corpus) -> None:
    user = new_user(container)
    like(container, user, corpus.of_topic("pv")[0])

    strategies = {recommend(container, user, top_k=3).strategy for _ in range(5)}

    assert strategies == {BLEND}


# -- energy advice -------------------------------------------------------------------------------------


def test_a_meter_linked_user_gets_energy_advice_with_euro_figures_every_third_place(
    container: Container, corpus: Corpus
) -> None:
    fill_meter(container, "haus-1", datetime(2025, 6, 2, tzinfo=UTC), days=14)
    user = new_user(container)
    like(container, user, corpus.of_topic("pv")[0])
    with container.database.unit_of_work() as uow:
        uow.user_meters.link(user, ["haus-1"])
        uow.commit()

    result = recommend(container, user, top_k=10)

    kinds = [item.kind for item in result.items]
    energy = [item for item in result.items if item.kind == RecommendationKind.ENERGY]
    assert 1 <= len(energy) <= 3 and len(result.items) == 10
    assert [i for i, kind in enumerate(kinds) if kind == RecommendationKind.ENERGY] == [0, 3, 6][
        : len(energy)
    ]
    money = [item for item in energy if item.payload["saving_eur_month"] is not None]
    assert money, [item.payload["text"] for item in energy]
    for item in money:
        assert item.chunk_id is None and " € im Monat" in item.payload["text"]
        assert item.payload["meter_id"] == "haus-1" and item.payload["saving_eur_month"] > 0
        assert item.reason.startswith("weil ")
    assert result.extra["meter_ids"] == ["haus-1"]


def test_new_readings_renew_the_advice(container: Container) -> None:
    fill_meter(container, "haus-1", datetime(2025, 6, 2, tzinfo=UTC), days=7)
    user = new_user(container)
    with container.database.unit_of_work() as uow:
        uow.user_meters.link(user, ["haus-1"])
        uow.commit()
    advice = container.services.energy_advice
    first = advice.for_user(user, 3)

    fill_meter(container, "haus-1", datetime(2025, 6, 9, tzinfo=UTC), days=7)
    renewed = advice.for_user(user, 3)

    assert first and renewed
    assert {a.period_to for a in first} == {datetime(2025, 6, 9, tzinfo=UTC)}
    assert {a.period_to for a in renewed} == {datetime(2025, 6, 16, tzinfo=UTC)}


def test_a_meter_without_readings_gives_no_energy_advice_and_no_error(container: Container) -> None:
    from luna.domain.energy import MeterInfo

    container.energy.upsert_meters([MeterInfo("leer-1", kind="household", interval_s=900)])
    user = new_user(container)
    with container.database.unit_of_work() as uow:
        uow.user_meters.link(user, ["leer-1"])
        uow.commit()

    result = recommend(container, user, top_k=5)

    assert all(item.kind == RecommendationKind.CONTENT for item in result.items)
    assert result.extra["meter_ids"] == ["leer-1"]


# -- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user_id", "top_k"), [("not-a-uuid", 5), (None, 0), (None, 51)])
def test_bad_input_is_refused_and_logs_nothing(container: Container, user_id: str | None, top_k: int) -> None:
    with pytest.raises(InvalidInput):
        recommend(container, user_id, top_k=top_k)

    with container.database.unit_of_work(read_only=True) as uow:
        assert uow.events.count() == 0


def test_content_is_not_a_strategy_for_a_user_without_a_profile(container: Container) -> None:
    with pytest.raises(InvalidInput, match="not available"):
        recommend(container, str(uuid.uuid4()), strategy=CONTENT)


# -- the same on PostgreSQL ----------------------------------------------------------------------------


def test_the_whole_flow_on_postgresql(
    make_settings: Callable[..., Settings], module_postgres_url: str, tmp_path: Path
) -> None:
    """Profile, exclusions, the logged answer, popularity and energy advice, on the server database."""
    container = build_container(
        make_settings(
            LUNA_DATA_DIR=str(tmp_path / "pg-var"),
            LUNA_DATABASE__KIND="postgresql",
            LUNA_DATABASE__URL=module_postgres_url,
            LUNA_RECOMMEND__BANDIT="off",
        )
    )
    try:
        container.database.upgrade()
        notes = ingest_notes(container, ["pv", "speicher"])
        pv, storage = notes[:3], notes[3:]
        user = new_user(container)
        like(container, user, pv[0], pv[1])
        record(container, user, EventType.DISLIKE, storage[0], NOW)
        like(container, new_user(container), storage[1])
        container.services.learning.run("test")
        fill_meter(container, "haus-pg", datetime(2025, 6, 2, tzinfo=UTC), days=7)
        with container.database.unit_of_work() as uow:
            uow.user_meters.link(user, ["haus-pg"])
            uow.commit()

        result = recommend(container, user, top_k=5)

        content = [item for item in result.items if item.kind == RecommendationKind.CONTENT]
        assert content[0].chunk_id == pv[2].chunk_id
        assert storage[0].chunk_id not in chunk_ids(result)
        assert any(item.kind == RecommendationKind.ENERGY for item in result.items)
        with container.database.unit_of_work(read_only=True) as uow:
            [logged] = uow.events.for_user(user, types={EventType.RECOMMEND})
        assert logged.event_id == result.recommendation_id
    finally:
        container.close()
