"""The metrics and help-text repositories behave the same on SQLite and PostgreSQL.

Every test runs as ``[sqlite]`` (a file in a temporary directory) and ``[postgresql]`` (a migrated
database of the module's own on the real server, emptied between tests).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import metadata, mv_events_daily
from luna.domain.events import Event, EventType, RagFeedback
from luna.domain.help import StoredHelpText
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.jobs import Job, JobStatus
from tests.contracts.sql_support import BACKENDS, rowless_database

DAY1 = datetime(2025, 3, 1, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY1 + timedelta(days=2)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=4) as db:
        yield db
        empty_every_table(db)


def empty_every_table(database: SqlDatabase) -> None:
    """``DATA_TABLES`` (which ``rowless_database`` empties) is built before the tables of migration 0004
    are defined, so their rows would outlive a test on the module's shared PostgreSQL database."""
    with database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table is not mv_events_daily:
                connection.execute(sa.delete(table))


def new_id() -> str:
    return str(uuid.uuid4())


def add_user(database: SqlDatabase) -> str:
    user_id = new_id()
    with database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.commit()
    return user_id


def add_events(database: SqlDatabase, user_id: str, *stamps: tuple[datetime, EventType]) -> None:
    with database.unit_of_work() as uow:
        uow.events.add_many([Event(new_id(), user_id, ts, kind) for ts, kind in stamps])
        uow.commit()


def add_item(
    database: SqlDatabase,
    created_at: datetime,
    *,
    status: ItemStatus = ItemStatus.INDEXED,
    indexed_after: timedelta = timedelta(seconds=2),
    version: int = 1,
    chunks: int = 0,
) -> str:
    item = Item(
        item_id=new_id(),
        kind="document",
        title="Netzentgelte",
        status=status,
        version=version,
        created_at=created_at,
        updated_at=created_at + indexed_after,
    )
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(
            [
                ItemChunk(new_id(), item.item_id, index, f"Abschnitt {index}", created_at=created_at)
                for index in range(chunks)
            ]
        )
        uow.commit()
    return item.item_id


def add_job(
    database: SqlDatabase,
    name: str,
    status: JobStatus,
    finished_at: datetime,
    *,
    took: timedelta = timedelta(seconds=30),
    result: dict[str, object] | None = None,
) -> None:
    job = Job(
        job_id=new_id(),
        name=name,
        status=status,
        created_at=finished_at - took,
        started_at=finished_at - took,
        finished_at=finished_at,
        result=result,
    )
    with database.unit_of_work() as uow:
        uow.jobs.add(job)
        uow.commit()


# --- events per day ---------------------------------------------------------------------------------


def test_events_daily_counts_the_refreshed_rollup_per_berlin_day_and_type(database: SqlDatabase) -> None:
    user = add_user(database)
    add_events(
        database,
        user,
        (DAY1 + timedelta(hours=1), EventType.VIEW),
        (DAY1 + timedelta(hours=22, minutes=59), EventType.VIEW),  # 23:59 in Berlin (winter)
        (DAY1 + timedelta(hours=5), EventType.LIKE),
        (DAY2 + timedelta(hours=3), EventType.VIEW),
        (DAY3 - timedelta(days=3), EventType.CLICK),  # before the window
    )
    database.refresh_events_daily()

    with database.unit_of_work(read_only=True) as uow:
        daily = uow.metrics.events_daily(DAY1.date())
        by_type = uow.metrics.events_by_type()

    assert daily == {DAY1.date(): {"view": 2, "like": 1}, DAY2.date(): {"view": 1}}
    assert by_type == {"view": 3, "like": 1, "click": 1}


@pytest.mark.parametrize(
    ("ts", "berlin_day"),
    [
        (datetime(2025, 1, 15, 23, 30, tzinfo=UTC), date(2025, 1, 16)),  # winter: 00:30 CET the next day
        (datetime(2025, 7, 15, 22, 30, tzinfo=UTC), date(2025, 7, 16)),  # summer: 00:30 CEST the next day
        (datetime(2025, 1, 15, 22, 59, tzinfo=UTC), date(2025, 1, 15)),  # winter: 23:59 CET the same day
        (datetime(2025, 3, 30, 22, 30, tzinfo=UTC), date(2025, 3, 31)),  # the night after the spring change
        (datetime(2025, 10, 26, 22, 30, tzinfo=UTC), date(2025, 10, 26)),  # after the autumn change: 23:30
    ],
)
def test_events_count_for_the_europe_berlin_calendar_day(
    database: SqlDatabase, ts: datetime, berlin_day: date
) -> None:
    add_events(database, add_user(database), (ts, EventType.VIEW))
    database.refresh_events_daily()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.metrics.events_daily(berlin_day) == {berlin_day: {"view": 1}}
        assert uow.metrics.events_daily(berlin_day + timedelta(days=1)) == {}


def test_events_daily_shows_the_rollup_as_of_its_last_refresh(database: SqlDatabase) -> None:
    user = add_user(database)
    add_events(database, user, (DAY1, EventType.VIEW))
    database.refresh_events_daily()
    add_events(database, user, (DAY1, EventType.VIEW))

    with database.unit_of_work(read_only=True) as uow:
        assert uow.metrics.events_daily(DAY1.date()) == {DAY1.date(): {"view": 1}}
    database.refresh_events_daily()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.metrics.events_daily(DAY1.date()) == {DAY1.date(): {"view": 2}}


def test_concurrent_refreshes_of_the_rollup_all_succeed(database: SqlDatabase) -> None:
    user = add_user(database)
    add_events(database, user, *((DAY1 + timedelta(minutes=i), EventType.VIEW) for i in range(50)))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def refresh() -> None:
        try:
            start.wait()
            database.refresh_events_daily()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with database.unit_of_work(read_only=True) as uow:
        assert uow.metrics.events_by_type() == {"view": 50}


# --- ratings ----------------------------------------------------------------------------------------


def test_ratings_count_useful_and_all_answers_since_a_moment(database: SqlDatabase) -> None:
    user = add_user(database)
    with database.unit_of_work() as uow:
        for ts, useful in ((DAY1, True), (DAY2, False), (DAY3, True), (DAY3, True)):
            uow.feedback.add(RagFeedback(new_id(), user, ts, "Frage", "Antwort", useful), [])
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        overall = uow.metrics.ratings()
        recent = uow.metrics.ratings(DAY2)

    assert (overall.useful, overall.total, overall.useful_ratio) == (3, 4, 0.75)
    assert (recent.useful, recent.total) == (2, 3)


def test_no_ratings_is_no_rate_rather_than_zero(database: SqlDatabase) -> None:
    with database.unit_of_work(read_only=True) as uow:
        ratings = uow.metrics.ratings()

    assert (ratings.total, ratings.useful_ratio) == (0, None)


# --- ingest -----------------------------------------------------------------------------------------


def test_items_and_chunks_per_europe_berlin_day(database: SqlDatabase) -> None:
    add_item(database, DAY1 + timedelta(hours=2), chunks=3)  # 03:00 in Berlin on 1 March
    add_item(database, DAY1 + timedelta(hours=22), chunks=2)  # 23:00 on 1 March
    add_item(database, DAY1 + timedelta(hours=23), chunks=1)  # midnight: 2 March in Berlin, 1 March in UTC
    add_item(database, DAY2 + timedelta(hours=1), chunks=4, status=ItemStatus.PENDING)
    add_item(database, DAY1 - timedelta(hours=1), chunks=5)  # midnight: 1 March in Berlin, 28 Feb in UTC
    add_item(database, DAY1 - timedelta(hours=2), chunks=6)  # 23:00 on 28 February: before the window

    with database.unit_of_work(read_only=True) as uow:
        items = uow.metrics.items_per_day(DAY1.date())
        chunks = uow.metrics.chunks_per_day(DAY1.date())

    assert items == {DAY1.date(): 3, DAY2.date(): 2}
    assert chunks == {DAY1.date(): 10, DAY2.date(): 5}
    assert all(type(day) is date for day in [*items, *chunks])


def test_failed_items_per_day_by_their_last_change(database: SqlDatabase) -> None:
    add_item(database, DAY1, status=ItemStatus.FAILED, indexed_after=timedelta(days=1, hours=1))
    add_item(database, DAY1, status=ItemStatus.FAILED, indexed_after=timedelta(minutes=5))
    add_item(database, DAY1)

    with database.unit_of_work(read_only=True) as uow:
        assert uow.metrics.failed_items_per_day(DAY1.date()) == {DAY1.date(): 1, DAY2.date(): 1}


def test_finished_jobs_of_the_named_kinds_oldest_first(database: SqlDatabase) -> None:
    add_job(database, "kb.ingest_paths", JobStatus.SUCCEEDED, DAY2, result={"ingested": 3, "failed": 1})
    add_job(database, "kb.ingest_paths", JobStatus.FAILED, DAY1 + timedelta(hours=3))
    add_job(database, "kb.reindex", JobStatus.SUCCEEDED, DAY2)
    add_job(database, "kb.ingest_samples", JobStatus.SUCCEEDED, DAY1 - timedelta(hours=1))
    with database.unit_of_work() as uow:
        uow.jobs.add(Job(job_id=new_id(), name="kb.ingest_paths", status=JobStatus.RUNNING, created_at=DAY2))
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        runs = uow.metrics.finished_jobs(["kb.ingest_paths", "kb.ingest_samples"], DAY1)

    assert [(run.status, run.finished_at) for run in runs] == [
        ("failed", DAY1 + timedelta(hours=3)),
        ("succeeded", DAY2),
    ]
    assert runs[1].result == {"ingested": 3, "failed": 1}
    assert runs[1].duration_sec == 30.0


def test_indexing_durations_of_first_versions_with_mean_and_nearest_rank_p95(database: SqlDatabase) -> None:
    for seconds in range(1, 21):  # 1 … 20 s: mean 10.5, nearest-rank p95 = the 19th value
        add_item(database, DAY1 + timedelta(minutes=seconds), indexed_after=timedelta(seconds=seconds))
    add_item(
        database, DAY1, indexed_after=timedelta(hours=5), version=2
    )  # a later version: not an ingest time
    add_item(database, DAY1, indexed_after=timedelta(hours=5), status=ItemStatus.PENDING)
    add_item(database, DAY1 - timedelta(days=1), indexed_after=timedelta(hours=5))  # before the window

    with database.unit_of_work(read_only=True) as uow:
        stats = uow.metrics.indexing_durations(DAY1)

    assert stats.count == 20
    assert stats.avg_sec == pytest.approx(10.5, abs=0.01)
    assert stats.p95_sec == pytest.approx(19.0, abs=0.01)


def test_indexing_durations_without_documents(database: SqlDatabase) -> None:
    with database.unit_of_work(read_only=True) as uow:
        stats = uow.metrics.indexing_durations(DAY1)

    assert (stats.count, stats.avg_sec, stats.p95_sec) == (0, None, None)


# --- help texts -------------------------------------------------------------------------------------


def help_text(route: str = "/energy", version: str = "m1", text: str = "Hilfe.") -> StoredHelpText:
    return StoredHelpText(
        route=route, model_version=version, text=text, created_at=DAY1, sources=["c1", "c2"]
    )


def test_help_texts_are_stored_per_route_and_model_version(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.help_texts.put(help_text())
        uow.help_texts.put(help_text(version="m2", text="Neu."))
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        first = uow.help_texts.get("/energy", "m1")
        second = uow.help_texts.get("/energy", "m2")
        missing = uow.help_texts.get("/market", "m1")

    assert first == help_text()
    assert second is not None and second.text == "Neu."
    assert missing is None


def test_putting_the_same_route_and_version_again_replaces_it(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.help_texts.put(help_text(text="Alt."))
        uow.commit()
    with database.unit_of_work() as uow:
        uow.help_texts.put(help_text(text="Neu."))
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        stored = uow.help_texts.get("/energy", "m1")
    assert stored is not None and stored.text == "Neu."


def test_concurrent_puts_of_the_same_text_both_succeed(database: SqlDatabase) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def put(number: int) -> None:
        try:
            start.wait()
            with database.unit_of_work() as uow:
                uow.help_texts.put(help_text(text=f"Text {number}."))
                uow.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with database.unit_of_work(read_only=True) as uow:
        stored = uow.help_texts.get("/energy", "m1")
    assert stored is not None and stored.text in {f"Text {n}." for n in range(4)}


def test_other_versions_of_a_route_are_deleted_and_other_routes_kept(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        for version in ("m1", "m2", "m3"):
            uow.help_texts.put(help_text(version=version))
        uow.help_texts.put(help_text(route="/market", version="m1"))
        deleted = uow.help_texts.delete_other_versions("/energy", keep="m3")
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        kept = [uow.help_texts.get("/energy", v) is not None for v in ("m1", "m2", "m3")]
        market = uow.help_texts.get("/market", "m1")
    assert deleted == 2
    assert kept == [False, False, True]
    assert market is not None


def test_clear_forgets_every_text(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.help_texts.put(help_text())
        uow.help_texts.put(help_text(route="/market"))
        uow.commit()
    with database.unit_of_work() as uow:
        cleared = uow.help_texts.clear()
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        assert uow.help_texts.get("/energy", "m1") is None
    assert cleared == 2
