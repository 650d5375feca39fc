"""JobService: what callers (API, CLI, dashboards) and workers may rely on, on in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from luna.domain.jobs import Job, JobFunction, JobStatus
from luna.services.operations.jobs import JobService
from tests.fakes import FakeDatabase, FakeJobQueue

KNOWN = ("maintenance.refresh_events_daily", "ingest.document", "kb.reindex", "datasets.run")


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def service(database: FakeDatabase, queue: FakeJobQueue) -> JobService:
    return JobService(database, queue, KNOWN)


def _stored(database: FakeDatabase, **fields: object) -> Job:
    """A job row as a worker would have left it (committed straight into the fake)."""
    defaults: dict[str, object] = {
        "job_id": f"00000000-0000-4000-8000-{len(database.jobs):012d}",
        "name": "ingest.document",
        "status": JobStatus.QUEUED,
        "created_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=len(database.jobs)),
    }
    job = Job(**{**defaults, **fields})  # type: ignore[arg-type]
    database.jobs[job.job_id] = job
    return job


def test_submit_stores_a_queued_job_and_enqueues_its_id(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    job = service.submit("ingest.document", {"item_id": "abc", "pages": [1, 2]}, created_by="admin")

    assert job.status is JobStatus.QUEUED
    assert queue.enqueued == [job.job_id]
    stored = database.jobs[job.job_id]
    assert (stored.name, stored.params, stored.created_by) == (
        "ingest.document",
        {"item_id": "abc", "pages": [1, 2]},
        "admin",
    )
    assert stored.created_at is not None and stored.attempts == 0


def test_submit_commits_the_row_before_the_id_reaches_the_queue(database: FakeDatabase) -> None:
    seen_by_worker: list[Job | None] = []

    class ObservingQueue(FakeJobQueue):
        def enqueue(self, job_id: str) -> None:
            with database.unit_of_work() as uow:  # what a worker elsewhere would see now
                seen_by_worker.append(uow.jobs.get(job_id))
            super().enqueue(job_id)

    job = JobService(database, ObservingQueue(), KNOWN).submit("ingest.document", {}, None)

    assert seen_by_worker and seen_by_worker[0] is not None
    assert seen_by_worker[0].job_id == job.job_id


def test_submit_refuses_an_unknown_job_and_stores_nothing(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    with pytest.raises(InvalidInput, match=r"unknown job 'no\.such\.job'"):
        service.submit("no.such.job", {}, None)

    assert database.jobs == {}
    assert queue.enqueued == []


@pytest.mark.parametrize(
    "params", [{"when": datetime(2025, 1, 1)}, {"ratio": float("nan")}, ["not", "a", "dict"]]
)
def test_submit_refuses_params_that_are_not_a_json_object(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue, params: object
) -> None:
    with pytest.raises(InvalidInput, match="params"):
        service.submit("ingest.document", params, None)  # type: ignore[arg-type]

    assert database.jobs == {}
    assert queue.enqueued == []


def test_submit_with_the_queue_down_raises_unavailable_and_leaves_the_job_failed(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    queue.fail_with = ConnectionError("Redis refused the connection")

    with pytest.raises(Unavailable):
        service.submit("ingest.document", {}, None)

    [stored] = database.jobs.values()
    assert stored.status is JobStatus.FAILED
    assert stored.error is not None and "Redis refused the connection" in stored.error


def test_get_returns_the_job_and_refuses_unknown_or_malformed_ids(service: JobService) -> None:
    job = service.submit("ingest.document", {}, None)

    assert service.get(job.job_id).job_id == job.job_id
    with pytest.raises(NotFound):
        service.get("4b1f2c0e-0000-4000-8000-000000000000")
    with pytest.raises(NotFound):
        service.get("not-a-uuid'; drop table jobs; --")


def test_list_pages_newest_first_filters_and_counts(service: JobService, database: FakeDatabase) -> None:
    first = _stored(database, name="ingest.document")
    second = _stored(database, name="maintenance.refresh_events_daily", status=JobStatus.SUCCEEDED)
    third = _stored(database, name="ingest.document", status=JobStatus.SUCCEEDED)

    page, total = service.list(limit=2)
    assert [j.job_id for j in page] == [third.job_id, second.job_id]
    assert total == 3
    page, total = service.list(limit=2, offset=2)
    assert [j.job_id for j in page] == [first.job_id]

    page, total = service.list(status="succeeded", name="ingest.document")
    assert [j.job_id for j in page] == [third.job_id]
    assert total == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "done"}, "unknown job status"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_list_refuses_bad_filters(service: JobService, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.list(**kwargs)  # type: ignore[arg-type]


def test_cancelling_a_queued_job_cancels_it_at_once(service: JobService) -> None:
    job = service.submit("ingest.document", {}, None)

    cancelled = service.cancel(job.job_id)

    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.cancel_requested and cancelled.finished_at is not None
    assert service.claim(job.job_id, "host:1") is None  # a worker that dequeues it later skips it


def test_cancelling_a_running_job_asks_it_to_stop(service: JobService) -> None:
    job = service.submit("ingest.document", {}, None)
    service.claim(job.job_id, "host:1")

    asked = service.cancel(job.job_id)

    assert asked.status is JobStatus.RUNNING
    assert service.is_cancel_requested(job.job_id)


@pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_cancelling_a_finished_job_is_a_conflict(
    service: JobService, database: FakeDatabase, status: JobStatus
) -> None:
    job = _stored(database, status=status)

    with pytest.raises(Conflict):
        service.cancel(job.job_id)
    with pytest.raises(NotFound):
        service.cancel("00000000-0000-4000-8000-999999999999")


def test_a_second_full_reindex_is_refused_while_one_waits_whoever_submits_it(
    service: JobService, database: FakeDatabase
) -> None:
    """A double click in the dashboard queued two; they raced for the collection swap and one failed."""
    first = service.submit("kb.reindex", {}, "admin")

    with pytest.raises(Conflict) as refused:
        service.submit("kb.reindex", {}, "admin")

    assert refused.value.details == {"job_id": first.job_id}
    assert list(database.jobs) == [first.job_id]
    service.claim(first.job_id, "host:1")
    service.succeed(first.job_id, {})
    assert service.submit("kb.reindex", {}, "admin").job_id != first.job_id


def test_a_pipeline_runs_once_at_a_time_while_other_pipelines_may_run(service: JobService) -> None:
    service.submit("datasets.run", {"pipeline": "prices"}, "admin")

    with pytest.raises(Conflict):
        service.submit("datasets.run", {"pipeline": "prices"}, "admin")
    other = service.submit("datasets.run", {"pipeline": "meters"}, "admin")

    assert other.params == {"pipeline": "meters"}


def test_claim_runs_each_queued_job_once(service: JobService) -> None:
    job = service.submit("ingest.document", {"item_id": "x"}, None)

    claimed = service.claim(job.job_id, "host:42")

    assert claimed is not None
    assert (claimed.status, claimed.worker, claimed.attempts) == (JobStatus.RUNNING, "host:42", 1)
    assert service.get(job.job_id).started_at is not None
    assert service.claim(job.job_id, "other:7") is None  # a duplicate delivery does not run it twice


def test_progress_success_and_failure_are_recorded(service: JobService) -> None:
    ok = service.submit("ingest.document", {}, None)
    bad = service.submit("ingest.document", {}, None)
    service.claim(ok.job_id, "host:1")
    service.claim(bad.job_id, "host:1")

    service.record_progress(ok.job_id, 0.4, "Seite 4 von 10")
    assert (service.get(ok.job_id).progress, service.get(ok.job_id).message) == (0.4, "Seite 4 von 10")
    service.succeed(ok.job_id, {"chunks": 12})
    service.fail(bad.job_id, "ValueError: leeres Dokument")

    done = service.get(ok.job_id)
    assert (done.status, done.progress, done.result, done.message) == (
        JobStatus.SUCCEEDED,
        1.0,
        {"chunks": 12},
        "Seite 4 von 10",
    )
    failed = service.get(bad.job_id)
    assert (failed.status, failed.error) == (JobStatus.FAILED, "ValueError: leeres Dokument")
    assert failed.finished_at is not None


def test_recover_stale_requeues_fails_or_cancels_by_attempts_and_cancel_requests(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    old = datetime.now(UTC) - timedelta(minutes=10)
    retry = _stored(database, status=JobStatus.RUNNING, attempts=1, heartbeat_at=old)
    exhausted = _stored(database, status=JobStatus.RUNNING, attempts=3, heartbeat_at=old)
    unwanted = _stored(
        database, status=JobStatus.RUNNING, attempts=1, heartbeat_at=old, cancel_requested=True
    )
    alive = _stored(database, status=JobStatus.RUNNING, attempts=1, heartbeat_at=datetime.now(UTC))

    recovered = service.recover_stale(timedelta(minutes=2), max_attempts=3)

    assert recovered == 3
    assert queue.enqueued == [retry.job_id]
    assert service.get(retry.job_id).status is JobStatus.QUEUED
    gone = service.get(exhausted.job_id)
    assert (gone.status, gone.error) == (
        JobStatus.FAILED,
        "worker stopped while running the job (3 attempts)",
    )
    assert service.get(unwanted.job_id).status is JobStatus.CANCELLED
    assert service.get(alive.job_id).status is JobStatus.RUNNING
    assert service.claim(retry.job_id, "host:2") is not None
    assert service.get(retry.job_id).attempts == 2


# Params checked against the job function (when the service knows the functions, not only names)


def ingest_document(container: object, ctx: object, *, item_id: str, pages: list[int] | None = None) -> None:
    """A job function as the registry holds them: ``fn(container, ctx, **params)``."""


def flexible(container: object, ctx: object, **options: object) -> None:
    """A job that takes any params."""


REGISTRY = {"ingest.document": ingest_document, "flexible": flexible}


@pytest.fixture
def checking(database: FakeDatabase, queue: FakeJobQueue) -> JobService:
    return JobService(database, queue, REGISTRY)


@pytest.mark.parametrize(
    ("params", "problem", "unknown", "missing"),
    [
        (
            {"item_id": "a", "colour": "red", "size": 3},
            "unknown params: colour, size",
            ["colour", "size"],
            [],
        ),
        ({"pages": [1]}, "missing params: item_id", [], ["item_id"]),
        ({"container": 1}, "unknown params: container; missing params: item_id", ["container"], ["item_id"]),
    ],
)
def test_submit_refuses_params_the_job_cannot_take_and_stores_nothing(
    checking: JobService,
    database: FakeDatabase,
    queue: FakeJobQueue,
    params: dict[str, object],
    problem: str,
    unknown: list[str],
    missing: list[str],
) -> None:
    with pytest.raises(InvalidInput) as refused:
        checking.submit("ingest.document", params, None)

    assert problem in refused.value.message
    assert "it takes: item_id, pages" in refused.value.message
    assert (refused.value.details["unknown"], refused.value.details["missing"]) == (unknown, missing)
    assert database.jobs == {}
    assert queue.enqueued == []


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ingest.document", {"item_id": "a"}),
        ("ingest.document", {"item_id": "a", "pages": [1, 2]}),
        ("flexible", {"anything": 1, "goes": "yes"}),
    ],
)
def test_submit_accepts_params_the_job_can_take(
    checking: JobService, queue: FakeJobQueue, name: str, params: dict[str, object]
) -> None:
    job = checking.submit(name, params, None)

    assert queue.enqueued == [job.job_id]


def test_a_live_registry_knows_jobs_registered_after_the_service_was_built(
    database: FakeDatabase, queue: FakeJobQueue
) -> None:
    registry: dict[str, JobFunction] = {}
    service = JobService(database, queue, registry)
    registry["ingest.document"] = ingest_document

    with pytest.raises(InvalidInput, match="missing params: item_id"):
        service.submit("ingest.document", {}, None)
    assert service.submit("ingest.document", {"item_id": "a"}, None).status is JobStatus.QUEUED


# Queued jobs whose queue message was lost


def test_requeue_lost_enqueues_old_queued_jobs_when_the_queue_misses_messages(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    old = datetime.now(UTC) - timedelta(minutes=10)
    lost = _stored(database, created_at=old)
    fresh = _stored(database, created_at=datetime.now(UTC))
    running = _stored(database, status=JobStatus.RUNNING, created_at=old, heartbeat_at=datetime.now(UTC))

    assert service.requeue_lost(timedelta(minutes=2)) == 1

    assert queue.enqueued == [lost.job_id]
    assert service.claim(lost.job_id, "host:1") is not None
    assert service.claim(lost.job_id, "host:2") is None  # the original message, had it survived
    assert fresh.job_id not in queue.enqueued and running.job_id not in queue.enqueued


def test_requeue_lost_leaves_a_long_backlog_alone_while_every_message_is_there(
    service: JobService, database: FakeDatabase, queue: FakeJobQueue
) -> None:
    waiting = [service.submit("ingest.document", {}, None) for _ in range(3)]
    for job in waiting:
        database.jobs[job.job_id].created_at = datetime.now(UTC) - timedelta(hours=1)

    assert service.requeue_lost(timedelta(minutes=2)) == 0
    assert service.requeue_lost(timedelta(minutes=2)) == 0

    assert queue.enqueued == [job.job_id for job in waiting]
