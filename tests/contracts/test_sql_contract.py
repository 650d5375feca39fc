"""The SQL store's behaviour, the same on SQLite (embedded) and PostgreSQL (server).

Every test runs twice: ``[sqlite]`` on a file in a temporary directory and ``[postgresql]`` on the
real server, in a database this module creates, migrates and empties between tests.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.migrate import head_revision
from luna.adapters.sql.tables import events, mv_events_daily, users
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.health import HealthStatus
from luna.domain.jobs import Job, JobStatus
from luna.services.operations.jobs import JobService
from tests.contracts.sql_support import (
    BACKENDS,
    rowless_database,
    scratch_postgres_database,
    sqlite_url,
)
from tests.fakes import FakeJobQueue

#: A well-formed ID that no row has (fixed, so every test worker collects the same test names).
UNKNOWN_ID = "5b0f6c1e-7a2d-4c3b-9e1f-0a1b2c3d4e5f"

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A migrated database without rows."""
    with rowless_database(request, request.param, tmp_path, pool_size=4) as db:
        yield db


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A database that was never migrated."""
    if request.param == "sqlite":
        db = SqlDatabase(sqlite_url(tmp_path), pool_size=2, echo=False)
        yield db
        db.close()
        return
    with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
        db = SqlDatabase(url, pool_size=2, echo=False)
        yield db
        db.close()


def make_job(
    name: str = "ingest", *, status: JobStatus = JobStatus.QUEUED, created_at: datetime = T0, **fields: Any
) -> Job:
    fields.setdefault("job_id", str(uuid.uuid4()))
    return Job(name=name, status=status, created_at=created_at, **fields)


def add_jobs(database: SqlDatabase, *jobs: Job) -> None:
    with database.unit_of_work() as uow:
        for job in jobs:
            uow.jobs.add(job)
        uow.commit()


# --- schema -----------------------------------------------------------------------------------------


def test_upgrade_from_nothing_reaches_the_head_and_repeating_it_changes_nothing(
    empty_database: SqlDatabase,
) -> None:
    assert empty_database.current_revision() is None

    first = empty_database.upgrade()
    second = empty_database.upgrade()

    assert first == second == head_revision()
    assert empty_database.current_revision() == head_revision()


def test_the_dialect_is_reported(database: SqlDatabase, request: pytest.FixtureRequest) -> None:
    assert database.dialect == request.node.callspec.params["database"]
    assert database.has_timescaledb in (True, False)
    if database.dialect == "sqlite":
        assert database.has_timescaledb is False


# --- users ------------------------------------------------------------------------------------------


def test_get_or_create_creates_a_user_once(database: SqlDatabase) -> None:
    user_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        first = uow.users.get_or_create(user_id, external_id="kc-123")
        second = uow.users.get_or_create(user_id)
        uow.commit()

    with database.unit_of_work() as uow:
        stored = uow.users.get(user_id)
        assert uow.users.count() == 1

    assert first == second == stored
    assert stored is not None
    assert stored.user_id == user_id
    assert stored.external_id == "kc-123"
    assert stored.created_at is not None and stored.created_at.tzinfo is UTC


def test_an_external_id_belongs_to_one_user(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.users.get_or_create(str(uuid.uuid4()), external_id="kc-1")
        with pytest.raises(Conflict):
            uow.users.get_or_create(str(uuid.uuid4()), external_id="kc-1")


def test_a_user_id_must_be_a_uuid_to_be_created(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow, pytest.raises(InvalidInput):
        uow.users.get_or_create("alice")


@pytest.mark.parametrize("garbage", ["", "not-a-uuid", "1234", "'; DROP TABLE users; --", UNKNOWN_ID])
def test_unknown_or_garbage_ids_find_nothing(database: SqlDatabase, garbage: str) -> None:
    with database.unit_of_work() as uow:
        assert uow.users.get(garbage) is None
        assert uow.jobs.get(garbage) is None


# --- jobs -------------------------------------------------------------------------------------------


def test_a_job_comes_back_exactly_as_it_was_added(database: SqlDatabase) -> None:
    job = Job(
        job_id=str(uuid.uuid4()),
        name="reindex",
        status=JobStatus.RUNNING,
        params={"collection": "chunks", "batch": 64, "filters": {"tags": ["pv", "tarif"]}},
        progress=0.25,
        message="Dokumente werden neu indexiert",
        result={"done": 16, "ratio": 0.5},
        attempts=2,
        created_by="admin",
        worker="host-a:1234",
        created_at=T0,
        started_at=T0 + timedelta(seconds=1, microseconds=123456),
        heartbeat_at=T0 + timedelta(seconds=30),
        cancel_requested=True,
    )
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        assert uow.jobs.get(job.job_id) == job


def test_a_job_id_is_used_once(database: SqlDatabase) -> None:
    job = make_job()
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.jobs.add(make_job("other", job_id=job.job_id))
        uow.jobs.add(make_job("after-the-clash"))
        uow.commit()

    with database.unit_of_work() as uow:
        assert uow.jobs.get(job.job_id) == job
        assert uow.jobs.count() == 2


def test_a_job_without_creation_time_gets_now(database: SqlDatabase) -> None:
    job = make_job()
    job.created_at = None
    before = datetime.now(UTC)
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        stored = uow.jobs.get(job.job_id)
    assert stored is not None and stored.created_at is not None
    assert before <= stored.created_at <= datetime.now(UTC)
    assert stored.params == {} and stored.result is None and stored.cancel_requested is False


def test_jobs_are_listed_newest_first_and_page_without_gaps(database: SqlDatabase) -> None:
    jobs = [make_job(created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    add_jobs(database, *reversed(jobs))

    with database.unit_of_work() as uow:
        listed = [job.job_id for job in uow.jobs.list()]
        pages = [job.job_id for offset in (0, 2, 4) for job in uow.jobs.list(limit=2, offset=offset)]

    newest_first = [job.job_id for job in reversed(jobs)]
    assert listed == newest_first
    assert pages == newest_first


def test_jobs_are_filtered_and_counted_by_status_and_name(database: SqlDatabase) -> None:
    queued_ingest = make_job("ingest")
    running_ingest = make_job("ingest", status=JobStatus.RUNNING)
    running_reindex = make_job("reindex", status=JobStatus.RUNNING)
    add_jobs(database, queued_ingest, running_ingest, running_reindex)

    with database.unit_of_work() as uow:
        running = {job.job_id for job in uow.jobs.list(status=JobStatus.RUNNING)}
        ingest = {job.job_id for job in uow.jobs.list(name="ingest")}
        both = [job.job_id for job in uow.jobs.list(status=JobStatus.RUNNING, name="ingest")]
        counts = (
            uow.jobs.count(),
            uow.jobs.count(status=JobStatus.RUNNING),
            uow.jobs.count(name="ingest"),
            uow.jobs.count(status=JobStatus.QUEUED, name="reindex"),
        )

    assert running == {running_ingest.job_id, running_reindex.job_id}
    assert ingest == {queued_ingest.job_id, running_ingest.job_id}
    assert both == [running_ingest.job_id]
    assert counts == (3, 2, 2, 0)


def test_update_sets_the_given_fields_only(database: SqlDatabase) -> None:
    job = make_job(params={"url": "https://example.org"})
    add_jobs(database, job)
    finished = T0 + timedelta(minutes=3)

    with database.unit_of_work() as uow:
        uow.jobs.update(
            job.job_id,
            status=JobStatus.SUCCEEDED,
            progress=1.0,
            message="Fertig",
            result={"items": 3},
            finished_at=finished,
            attempts=1,
        )
        uow.commit()

    with database.unit_of_work() as uow:
        stored = uow.jobs.get(job.job_id)
    assert stored is not None
    assert (stored.status, stored.progress, stored.message, stored.result) == (
        JobStatus.SUCCEEDED,
        1.0,
        "Fertig",
        {"items": 3},
    )
    assert (stored.finished_at, stored.attempts) == (finished, 1)
    assert (stored.params, stored.created_at, stored.name) == ({"url": "https://example.org"}, T0, "ingest")


def test_update_refuses_unknown_fields_jobs_and_statuses(database: SqlDatabase) -> None:
    job = make_job()
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        with pytest.raises(ValueError, match="unknown job fields"):
            uow.jobs.update(job.job_id, progres=0.5)
        with pytest.raises(ValueError):
            uow.jobs.update(job.job_id, status="exploded")
        with pytest.raises(NotFound):
            uow.jobs.update(str(uuid.uuid4()), progress=0.5)
        with pytest.raises(NotFound):
            uow.jobs.update("garbage", progress=0.5)


def test_stale_running_finds_jobs_whose_worker_went_silent(database: SqlDatabase) -> None:
    cutoff = T0 + timedelta(minutes=10)
    running = JobStatus.RUNNING
    silent = make_job("silent", status=running, heartbeat_at=cutoff - timedelta(seconds=1))
    never_beat = make_job("never-beat", status=running, started_at=T0)
    alive = make_job("alive", status=running, heartbeat_at=cutoff + timedelta(seconds=1))
    waiting = make_job("waiting")
    done = make_job("done", status=JobStatus.SUCCEEDED, heartbeat_at=T0)
    add_jobs(database, silent, never_beat, alive, waiting, done)

    with database.unit_of_work() as uow:
        stale = [job.name for job in uow.jobs.stale_running(cutoff)]

    assert stale == ["never-beat", "silent"]


def test_transition_claims_a_job_only_from_the_expected_status(database: SqlDatabase) -> None:
    job = make_job("claim-me")
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        first = uow.jobs.transition(job.job_id, JobStatus.QUEUED, status=JobStatus.RUNNING, worker="a")
        uow.commit()
    with database.unit_of_work() as uow:
        second = uow.jobs.transition(job.job_id, JobStatus.QUEUED, status=JobStatus.RUNNING, worker="b")
        uow.commit()
        unknown = uow.jobs.transition(str(uuid.uuid4()), JobStatus.QUEUED, status=JobStatus.RUNNING)
        claimed = uow.jobs.get(job.job_id)

    assert (first, second, unknown) == (True, False, False)
    assert claimed is not None and claimed.worker == "a" and claimed.status is JobStatus.RUNNING


def test_an_exclusive_submission_waits_for_one_in_flight_and_then_sees_it(database: SqlDatabase) -> None:
    """Two clicks on "Gesamten Korpus neu indexieren" at once: without the submission lock PostgreSQL let
    both transactions find no reindex queued and insert one each."""
    service = JobService(database, FakeJobQueue(), ("kb.reindex",))
    holding, release = threading.Event(), threading.Event()
    first = make_job("kb.reindex")

    def submit_in_a_held_transaction() -> None:
        with database.unit_of_work() as uow:
            uow.jobs.serialise_submissions()
            uow.jobs.add(first)
            holding.set()
            release.wait(10)
            uow.commit()

    holder = threading.Thread(target=submit_in_a_held_transaction)
    holder.start()
    assert holding.wait(10)
    outcome: list[BaseException | Job] = []
    second = threading.Thread(target=lambda: outcome.append(_submitted(service, "kb.reindex")))
    second.start()
    second.join(0.5)
    waited = second.is_alive()
    release.set()
    holder.join(10)
    second.join(10)

    assert waited
    assert isinstance(outcome[0], Conflict) and outcome[0].details == {"job_id": first.job_id}
    with database.unit_of_work(read_only=True) as uow:
        assert [job.job_id for job in uow.jobs.list(name="kb.reindex")] == [first.job_id]


def test_session_writes_wait_for_one_in_flight(database: SqlDatabase) -> None:
    """A deletion that erases a flywheel session waits for an ingest that re-read its conversation
    under the lock, so the ingest cannot store what the deletion meant to erase."""
    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with database.unit_of_work() as uow:
            uow.sessions.serialise_writes()
            holding.set()
            release.wait(10)
            uow.commit()

    def second_writer() -> None:
        with database.unit_of_work() as uow:
            uow.sessions.serialise_writes()
            entered.set()
            uow.commit()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    second = threading.Thread(target=second_writer)
    second.start()
    waited = not entered.wait(0.5)
    release.set()
    holder.join(10)
    second.join(10)
    assert waited and entered.is_set()


def _submitted(service: JobService, name: str) -> BaseException | Job:
    try:
        return service.submit(name, {}, "admin")
    except Conflict as error:
        return error


def test_counts_by_status_lists_every_status(database: SqlDatabase) -> None:
    add_jobs(database, make_job(status=JobStatus.FAILED), make_job(), make_job())

    with database.unit_of_work() as uow:
        counts = uow.jobs.counts_by_status()

    assert counts == {"queued": 2, "running": 0, "succeeded": 0, "failed": 1, "cancelled": 0}


# --- unit of work -----------------------------------------------------------------------------------


def test_work_that_was_not_committed_is_rolled_back(database: SqlDatabase) -> None:
    kept, forgotten, failed, rolled_back = make_job(), make_job(), make_job(), make_job()

    with database.unit_of_work() as uow:
        uow.jobs.add(kept)
        uow.commit()
        uow.jobs.add(forgotten)
    with pytest.raises(RuntimeError, match="boom"), database.unit_of_work() as uow:
        uow.jobs.add(failed)
        raise RuntimeError("boom")
    with database.unit_of_work() as uow:
        uow.jobs.add(rolled_back)
        uow.rollback()
        uow.commit()

    with database.unit_of_work() as uow:
        assert uow.jobs.get(kept.job_id) is not None
        assert uow.jobs.get(forgotten.job_id) is None
        assert uow.jobs.get(failed.job_id) is None
        assert uow.jobs.get(rolled_back.job_id) is None


def test_repositories_work_only_inside_the_unit_of_work(database: SqlDatabase) -> None:
    uow = database.unit_of_work()
    with pytest.raises(RuntimeError, match="with"):
        uow.jobs.count()
    with uow:
        assert uow.jobs.count() == 0
    with pytest.raises(RuntimeError, match="with"):
        uow.users.count()


def test_threads_share_the_database_without_lock_errors(database: SqlDatabase) -> None:
    """The API and the in-process job workers write at the same time; none of them may fail."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                job = make_job()
                with database.unit_of_work() as uow:
                    uow.jobs.add(job)
                    uow.commit()
                with database.unit_of_work() as uow:
                    stored = uow.jobs.get(job.job_id)
                    assert stored is not None
                    uow.jobs.update(job.job_id, progress=stored.progress + 1.0)
                    uow.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with database.unit_of_work() as uow:
        assert uow.jobs.count() == 60
        assert all(job.progress == 1.0 for job in uow.jobs.list(limit=100))


# --- time -------------------------------------------------------------------------------------------


def test_timestamps_come_back_as_the_same_instant_in_utc(database: SqlDatabase) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    started = datetime(2025, 7, 1, 0, 30, 15, 654321, tzinfo=berlin_summer)
    job = make_job(started_at=started)
    add_jobs(database, job)

    with database.unit_of_work() as uow:
        stored = uow.jobs.get(job.job_id)

    assert stored is not None and stored.started_at is not None
    assert stored.started_at == started
    assert stored.started_at.tzinfo is UTC
    assert stored.started_at.isoformat() == "2025-06-30T22:30:15.654321+00:00"


def test_naive_timestamps_are_refused(database: SqlDatabase) -> None:
    job = make_job()
    add_jobs(database, job)

    with database.unit_of_work() as uow, pytest.raises(sa.exc.StatementError, match="naive datetime"):
        uow.jobs.update(job.job_id, heartbeat_at=datetime(2025, 1, 1, 12, 0))


def test_server_side_defaults_are_utc_too(database: SqlDatabase) -> None:
    """Rows written by plain SQL (bulk loads, other tools) get keys and aware UTC times from the database."""
    with database.engine.begin() as connection:
        connection.execute(sa.insert(users).values(external_id="sql-only").return_defaults())
    with database.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO users (external_id) VALUES ('plain-sql')"))
        row = connection.execute(sa.select(users).where(users.c.external_id == "plain-sql")).one()

    assert isinstance(row.user_id, uuid.UUID)
    assert row.created_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - row.created_at) < timedelta(minutes=1)


# --- rollups ----------------------------------------------------------------------------------------


def test_refresh_events_daily_counts_events_per_berlin_day_and_type(database: SqlDatabase) -> None:
    berlin_winter = timezone(timedelta(hours=1))
    day1, day2 = date(2025, 1, 1), date(2025, 1, 2)
    timestamps_and_types = [
        (datetime(2025, 1, 1, 0, 0, tzinfo=berlin_winter), "rag_ask"),  # 23:00 UTC on Dec 31
        (datetime(2025, 1, 1, 22, 59, 59, tzinfo=UTC), "rag_ask"),  # 23:59:59 in Berlin
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "rag_ask"),
        (datetime(2025, 1, 1, 8, 0, tzinfo=UTC), "feedback"),
        (datetime(2025, 1, 1, 23, 0, tzinfo=UTC), "feedback"),  # 00:00 in Berlin on Jan 2
    ]
    with database.engine.begin() as connection:
        connection.execute(sa.insert(events), [{"ts": ts, "type": kind} for ts, kind in timestamps_and_types])

    database.refresh_events_daily()
    assert read_events_daily(database) == {(day1, "rag_ask"): 3, (day1, "feedback"): 1, (day2, "feedback"): 1}

    with database.engine.begin() as connection:
        connection.execute(sa.insert(events).values(ts=datetime(2025, 1, 2, tzinfo=UTC), type="feedback"))
    database.refresh_events_daily()
    assert read_events_daily(database)[(day2, "feedback")] == 2


def read_events_daily(database: SqlDatabase) -> dict[tuple[date, str], int]:
    with database.engine.connect() as connection:
        rows = connection.execute(sa.select(mv_events_daily)).all()
    assert all(type(row.day) is date for row in rows)  # a Europe/Berlin calendar day, not an instant
    return {(row.day, row.type): row.cnt for row in rows}


# --- health -----------------------------------------------------------------------------------------


def test_health_reports_up_with_version_and_revision(database: SqlDatabase) -> None:
    health = database.health()

    assert health.name == "database"
    assert health.status is HealthStatus.UP
    assert health.backend == database.dialect
    assert health.latency_ms is not None and health.latency_ms >= 0
    assert health.version and health.version[0].isdigit()
    assert health.detail == head_revision()


def test_health_says_when_the_schema_is_missing(empty_database: SqlDatabase) -> None:
    health = empty_database.health()

    assert health.status is HealthStatus.UP
    assert health.detail is not None and "luna db upgrade" in health.detail


@pytest.mark.parametrize("backend", BACKENDS)
def test_health_reports_down_without_raising(backend: str, tmp_path: Path) -> None:
    url = {
        "sqlite": sqlite_url(tmp_path / "no" / "such" / "directory"),
        "postgresql": "postgresql+psycopg://postgres:secret-pw@127.0.0.1:1/luna",
    }[backend]
    database = SqlDatabase(url, pool_size=1, echo=False)
    try:
        health = database.health()
    finally:
        database.close()

    assert health.status is HealthStatus.DOWN
    assert health.backend == backend
    assert health.detail
    assert "secret-pw" not in repr(health)


# --- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://luna@localhost/luna"])
def test_urls_that_cannot_work_are_refused_at_start(url: str) -> None:
    """An in-memory SQLite would give every pooled connection its own empty database."""
    with pytest.raises(ValueError, match="sqlite:///"):
        SqlDatabase(url, pool_size=1, echo=False)


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    database = SqlDatabase("postgresql://postgres@127.0.0.1:1/luna", pool_size=1, echo=False)
    try:
        assert (database.dialect, database.engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        database.close()
