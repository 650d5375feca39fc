"""The metrics service on real SQLite and PostgreSQL databases: counts match what was stored, the daily
event rollup is refreshed when it is older than allowed, and the ingest figures count per UTC day.

The service gets a fixed clock (so the "last N days" windows are exact) and a hand-advanced monotonic
clock (so "older than the allowed age" needs no waiting).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import metadata, mv_events_daily
from luna.domain.events import Event, EventType, RagFeedback
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.jobs import Job, JobStatus
from luna.services.learning.metrics import INGEST_JOBS, MetricsService
from luna.settings import MetricsSettings
from luna.workers.registry import load_jobs

NOW = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
DAYS = 7


class Ticks:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A migrated database without rows: a SQLite file, or the module's PostgreSQL database emptied."""
    if request.param == "postgresql":
        url = request.getfixturevalue("module_postgres_url")
    else:
        url = f"sqlite:///{(tmp_path / 'luna.db').as_posix()}"
    db = SqlDatabase(url, pool_size=4)
    db.upgrade()
    empty(db)
    yield db
    db.close()


def empty(database: SqlDatabase) -> None:
    with database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table is not mv_events_daily:
                connection.execute(sa.delete(table))
    database.refresh_events_daily()


def same_database(database: SqlDatabase) -> SqlDatabase:
    """Another engine on the same database: what a second process would open."""
    return SqlDatabase(database.engine.url.render_as_string(hide_password=False), pool_size=4)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def at_once(work: Callable[[], None]) -> None:
    work()


def service(
    database: SqlDatabase,
    ticks: Ticks,
    max_age: float = 60.0,
    spawn: Callable[[Callable[[], None]], None] = at_once,
) -> MetricsService:
    """The service with the test's clocks; a refresh it would start in the background runs at once."""
    settings = MetricsSettings(days=DAYS, events_daily_max_age_sec=max_age)
    return MetricsService(database, settings, clock=lambda: NOW, monotonic=ticks, spawn=spawn)


def new_id() -> str:
    return str(uuid.uuid4())


def add_user(database: SqlDatabase) -> str:
    user_id = new_id()
    with database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.commit()
    return user_id


def add_events(database: SqlDatabase, user: str, kind: EventType, *stamps: datetime) -> None:
    with database.unit_of_work() as uow:
        uow.events.add_many([Event(new_id(), user, ts, kind) for ts in stamps])
        uow.commit()


def add_ratings(database: SqlDatabase, user: str, *rated: tuple[datetime, bool]) -> None:
    with database.unit_of_work() as uow:
        for ts, useful in rated:
            uow.feedback.add(RagFeedback(new_id(), user, ts, "Frage?", "Antwort.", useful), [])
        uow.commit()


def add_item(
    database: SqlDatabase,
    created_at: datetime,
    *,
    status: ItemStatus = ItemStatus.INDEXED,
    chunks: int = 0,
    archived_chunks: int = 0,
    took: timedelta = timedelta(seconds=4),
) -> None:
    item = Item(new_id(), "document", status=status, created_at=created_at, updated_at=created_at + took)
    rows = [ItemChunk(new_id(), item.item_id, i, "Text", created_at=created_at) for i in range(chunks)]
    rows += [
        ItemChunk(
            new_id(), item.item_id, chunks + i, "Alt", metadata={"archived": True}, created_at=created_at
        )
        for i in range(archived_chunks)
    ]
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(rows)
        uow.commit()


def add_job(
    database: SqlDatabase,
    name: str,
    status: JobStatus,
    finished_at: datetime,
    took: timedelta,
    result: dict[str, object] | None = None,
) -> None:
    job = Job(
        new_id(),
        name,
        status,
        created_at=finished_at - took,
        started_at=finished_at - took,
        finished_at=finished_at,
        result=result,
    )
    with database.unit_of_work() as uow:
        uow.jobs.add(job)
        uow.commit()


def day(offset: int, hour: int = 12) -> datetime:
    """``offset`` days before today (0 = today), at ``hour`` UTC."""
    return datetime.combine(TODAY - timedelta(days=offset), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=hour
    )


# --- overview ---------------------------------------------------------------------------------------


def test_overview_counts_what_was_stored(database: SqlDatabase, ticks: Ticks) -> None:
    alice, bob = add_user(database), add_user(database)
    add_item(database, day(1), chunks=3, archived_chunks=2)
    add_item(database, day(0, 9), chunks=4)
    add_item(database, day(0, 10), status=ItemStatus.PENDING)
    add_events(database, alice, EventType.VIEW, day(0, 1), day(0, 14), day(2))
    add_events(database, bob, EventType.LIKE, day(0, 8))
    add_events(database, bob, EventType.CLICK, day(6, 0), day(7, 22))  # 23:00 in Berlin on day 7: outside
    add_ratings(database, alice, (day(0), True), (day(3), False), (day(10), True), (day(40), True))

    overview = service(database, ticks).overview()

    assert overview.items_by_status == {"pending": 1, "indexed": 2, "failed": 0}
    assert overview.items == 3
    assert (overview.chunks, overview.chunks_archived, overview.users) == (7, 2, 2)
    assert overview.events_today == {"like": 1, "view": 2}
    assert overview.events_by_type == {"click": 2, "like": 1, "view": 3}
    assert [d.day for d in overview.events_per_day] == [TODAY - timedelta(days=n) for n in range(6, -1, -1)]
    per_day = {d.day: (d.total, d.by_type) for d in overview.events_per_day}
    assert per_day[TODAY] == (3, {"like": 1, "view": 2})
    assert per_day[TODAY - timedelta(days=2)] == (1, {"view": 1})
    assert per_day[TODAY - timedelta(days=6)] == (1, {"click": 1})
    assert per_day[TODAY - timedelta(days=1)] == (0, {})
    feedback = overview.feedback
    assert (feedback.overall.useful, feedback.overall.total) == (3, 4)
    assert (feedback.last_7_days.useful, feedback.last_7_days.total) == (1, 2)
    assert feedback.last_7_days.useful_ratio == 0.5
    assert (feedback.last_30_days.useful, feedback.last_30_days.total) == (2, 3)
    assert overview.events_daily_refreshed_at == NOW


def test_without_ratings_the_usefulness_rate_is_none(database: SqlDatabase, ticks: Ticks) -> None:
    feedback = service(database, ticks).overview().feedback

    assert [r.useful_ratio for r in (feedback.overall, feedback.last_7_days, feedback.last_30_days)] == [
        None,
        None,
        None,
    ]
    assert feedback.overall.total == 0


def test_new_events_show_once_the_rollup_is_older_than_allowed(database: SqlDatabase, ticks: Ticks) -> None:
    user = add_user(database)
    add_events(database, user, EventType.VIEW, day(0, 1))
    metrics = service(database, ticks, max_age=60)
    assert metrics.overview().events_today == {"view": 1}

    add_events(database, user, EventType.VIEW, day(0, 2), day(0, 3))
    ticks.now += 30
    still_fresh = metrics.overview().events_today
    ticks.now += 31
    refreshed = metrics.overview().events_today

    assert still_fresh == {"view": 1}
    assert refreshed == {"view": 3}


def test_a_stale_rollup_is_refreshed_in_the_background_while_the_read_goes_on(
    database: SqlDatabase, ticks: Ticks
) -> None:
    """Only the first read of a process waits for a refresh; later ones never do."""
    started: list[Callable[[], None]] = []
    user = add_user(database)
    metrics = service(database, ticks, max_age=60, spawn=started.append)
    first = metrics.overview()
    add_events(database, user, EventType.VIEW, day(0, 1))
    ticks.now += 61

    stale = metrics.overview()
    again = metrics.overview()
    started[0]()
    refreshed = metrics.overview()

    assert len(started) == 1 and first.events_daily_refreshed_at == NOW
    assert stale.events_today == {} and again.events_today == {}
    assert refreshed.events_today == {"view": 1}


def test_services_on_the_same_database_share_its_freshness(database: SqlDatabase, ticks: Ticks) -> None:
    """The API builds a service per request: the second request must not refresh again."""
    user = add_user(database)
    service(database, ticks).overview()
    add_events(database, user, EventType.VIEW, day(0, 1))

    assert service(database, ticks).overview().events_today == {}


def test_a_failed_refresh_serves_the_rollup_as_it_was(database: SqlDatabase, ticks: Ticks) -> None:
    class RefreshFails(SqlDatabase):
        def refresh_events_daily(self) -> None:
            raise sa.exc.OperationalError("REFRESH", {}, Exception("database is locked"))

    user = add_user(database)
    add_events(database, user, EventType.VIEW, day(0, 1))
    database.refresh_events_daily()
    add_events(database, user, EventType.VIEW, day(0, 2))
    failing = RefreshFails(database.engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        overview = service(failing, ticks, max_age=0).overview()
    finally:
        failing.close()

    assert overview.events_today == {"view": 1}
    assert overview.events_daily_refreshed_at is None


def test_concurrent_readers_and_processes_never_fail(database: SqlDatabase, ticks: Ticks) -> None:
    """Threads of one process share a refresh; two processes (two engines) refresh side by side."""
    user = add_user(database)
    add_events(database, user, EventType.VIEW, *(day(0, 1) + timedelta(seconds=s) for s in range(20)))
    other_process = same_database(database)
    errors: list[BaseException] = []
    results: list[dict[str, int]] = []
    start = threading.Barrier(6)

    def read(db: SqlDatabase) -> None:
        try:
            start.wait()
            results.append(service(db, ticks, max_age=0).overview().events_by_type)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read, args=(db,)) for db in [database, other_process] * 3]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other_process.close()

    assert errors == []
    assert len(results) == 6
    assert service(database, ticks, max_age=0).overview().events_by_type == {"view": 20}


# --- ingest -----------------------------------------------------------------------------------------


def test_ingest_counts_documents_chunks_and_failures_per_day(database: SqlDatabase, ticks: Ticks) -> None:
    add_item(database, day(0, 8), chunks=5, took=timedelta(seconds=2))
    add_item(database, day(0, 9), chunks=3, took=timedelta(seconds=6))
    add_item(database, day(2), chunks=2, took=timedelta(seconds=10))
    add_item(database, day(2), status=ItemStatus.FAILED)
    add_item(database, day(9), chunks=7)  # outside the window
    add_job(database, "kb.ingest_paths", JobStatus.SUCCEEDED, day(1), timedelta(seconds=40), {"failed": 2})
    add_job(
        database, "kb.ingest_samples", JobStatus.SUCCEEDED, day(0, 7), timedelta(seconds=20), {"failed": 0}
    )
    add_job(database, "kb.ingest_paths", JobStatus.FAILED, day(1, 13), timedelta(seconds=5))
    add_job(database, "kb.reindex", JobStatus.FAILED, day(1), timedelta(seconds=5))  # not an ingest job

    ingest = service(database, ticks).ingest()

    per_day = {d.day: d for d in ingest.per_day}
    assert len(ingest.per_day) == DAYS and ingest.per_day[-1].day == TODAY
    assert (per_day[TODAY].documents, per_day[TODAY].chunks) == (2, 8)
    assert (per_day[TODAY - timedelta(days=2)].documents, per_day[TODAY - timedelta(days=2)].chunks) == (2, 2)
    yesterday = per_day[TODAY - timedelta(days=1)].failures
    assert (yesterday.items, yesterday.jobs, yesterday.files, yesterday.total) == (0, 1, 2, 3)
    assert per_day[TODAY - timedelta(days=2)].failures.items == 1
    assert (ingest.documents, ingest.chunks, ingest.failures.total) == (4, 10, 4)
    assert ingest.items_by_status == {"pending": 0, "indexed": 4, "failed": 1}
    assert ingest.indexing.count == 3
    assert ingest.indexing.avg_sec == pytest.approx(6.0, abs=0.01)
    assert ingest.indexing.p95_sec == pytest.approx(10.0, abs=0.01)
    assert (ingest.jobs.count, ingest.jobs.avg_sec, ingest.jobs.p95_sec) == (2, 30.0, 40.0)


def test_ingest_without_any_ingest(database: SqlDatabase, ticks: Ticks) -> None:
    ingest = service(database, ticks).ingest()

    assert (ingest.documents, ingest.chunks, ingest.failures.total) == (0, 0, 0)
    assert ingest.indexing.avg_sec is None and ingest.jobs.p95_sec is None
    assert ingest.per_day[0].day == TODAY - timedelta(days=DAYS - 1)


def test_the_ingest_jobs_counted_are_jobs_the_workers_run() -> None:
    assert set(INGEST_JOBS) <= set(load_jobs())


def test_event_days_are_whole_europe_berlin_days(database: SqlDatabase, ticks: Ticks) -> None:
    """Just after midnight in Berlin is today, just before it yesterday, whatever the server's zone."""
    user = add_user(database)
    midnight = datetime.combine(TODAY, datetime.min.time(), tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    add_events(database, user, EventType.VIEW, midnight, midnight - timedelta(microseconds=1))

    per_day = {d.day: d.total for d in service(database, ticks).overview().events_per_day}

    assert per_day[TODAY] == 1 and per_day[TODAY - timedelta(days=1)] == 1
    assert isinstance(next(iter(per_day)), date)
