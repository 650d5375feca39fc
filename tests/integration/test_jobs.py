"""Background jobs end to end: JobService → Huey queue → worker → SQL record, in both queue modes.

``inprocess`` is the embedded mode (SQLite queue file, worker threads in this process); ``redis``
is scale-out (Redis queue; the restart test runs real ``luna worker``-like processes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.health import HealthStatus
from luna.domain.jobs import Job, JobStatus
from luna.services.operations.jobs import JobService
from luna.settings import Settings
from luna.workers.registry import JobFunction, load_jobs, register, unregister
from luna.workers.runner import JobContext, recover_stale, start_in_process, stop_in_process, worker_name
from tests.integration.support import wait_for_job

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SEC = 30.0

MODES = [
    pytest.param("inprocess", id="inprocess"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


# Jobs the worker subprocesses of the restart test import (so they live at module level).


def echo(container: Container, ctx: JobContext, *, n: int) -> dict[str, int]:
    return {"n": n}


def wait_for_release(container: Container, ctx: JobContext, *, redis_url: str, key: str) -> dict[str, bool]:
    """Blocks until the test pushes a token to the Redis list ``key`` (a cross-process event)."""
    ctx.progress(0.1, "wartet auf Freigabe")
    if Redis.from_url(redis_url).blpop([key], timeout=WAIT_SEC) is None:
        raise TimeoutError("the test never released the job")
    return {"released": True}


WORKER_CODE = """
from luna.container import build_container
from luna.settings import load_settings
from luna.workers.registry import load_jobs, register
from luna.workers.runner import run_foreground_worker
from tests.integration.test_jobs import echo, wait_for_release

register("test.echo")(echo)
register("test.wait_for_release")(wait_for_release)
run_foreground_worker(build_container(load_settings("test"), load_jobs))
"""


def _delete_redis_keys(redis_url: str, queue_name: str) -> None:
    client = Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{queue_name}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def queue_name() -> str:
    return f"luna_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=MODES)
def jobs_env(request: pytest.FixtureRequest, queue_name: str) -> dict[str, str]:
    env = {"LUNA_JOBS__KIND": request.param, "LUNA_JOBS__QUEUE_NAME": queue_name}
    if request.param == "redis":
        redis_url: str = request.getfixturevalue("redis_url")
        env["LUNA_JOBS__REDIS_URL"] = redis_url
        request.addfinalizer(lambda: _delete_redis_keys(redis_url, queue_name))
    return env


@pytest.fixture
def container(make_settings: Callable[..., Settings], jobs_env: dict[str, str]) -> Iterator[Container]:
    built = build_container(make_settings(**jobs_env), load_jobs)
    built.database.upgrade()
    yield built
    stop_in_process(built)
    built.close()


@pytest.fixture
def service(container: Container) -> JobService:
    return container.services.jobs


@pytest.fixture
def add_job() -> Iterator[Callable[[str, JobFunction], None]]:
    """Register a job for one test; it is unregistered afterwards."""
    added: list[str] = []

    def add(name: str, function: JobFunction) -> None:
        register(name)(function)
        added.append(name)

    yield add
    for name in added:
        unregister(name)


def is_finished(job: Job) -> bool:
    return job.status.is_finished


def test_a_submitted_job_succeeds_with_its_result_and_shows_progress_while_running(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    release = threading.Event()

    def halfway(container: Container, ctx: JobContext, *, meter: str) -> dict[str, Any]:
        ctx.progress(0.5, f"halb fertig mit {meter}")
        if not release.wait(WAIT_SEC):
            raise TimeoutError("the test never released the job")
        return {"meter": meter, "answer": 42}

    add_job("test.halfway", halfway)
    start_in_process(container)
    job = service.submit("test.halfway", {"meter": "Zähler 7"}, created_by="tester")
    try:
        running = wait_for_job(service, job.job_id, lambda j: j.message == "halb fertig mit Zähler 7")
        assert (running.status, running.progress) == (JobStatus.RUNNING, 0.5)
        assert running.heartbeat_at is not None
    finally:
        release.set()

    done = wait_for_job(service, job.job_id, is_finished)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert (done.result, done.progress, done.attempts) == ({"meter": "Zähler 7", "answer": 42}, 1.0, 1)
    assert done.worker is not None and done.worker.endswith(f":{os.getpid()}")
    assert (
        done.started_at is not None and done.finished_at is not None and done.started_at <= done.finished_at
    )
    assert done.created_by == "tester"


def test_the_newest_throttled_progress_lands_while_the_job_is_still_busy(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    release = threading.Event()

    def chatty(container: Container, ctx: JobContext) -> None:
        ctx.progress(0.1, "Schritt 1")
        ctx.progress(0.2, "Schritt 2")  # within the throttle interval: written by the next heartbeat
        if not release.wait(WAIT_SEC):
            raise TimeoutError("the test never released the job")

    add_job("test.chatty", chatty)
    start_in_process(container)
    job = service.submit("test.chatty", {}, None)
    try:
        busy = wait_for_job(service, job.job_id, lambda j: j.message == "Schritt 2")
        assert (busy.status, busy.progress) == (JobStatus.RUNNING, 0.2)
    finally:
        release.set()
    assert wait_for_job(service, job.job_id, is_finished).status is JobStatus.SUCCEEDED


def test_a_running_job_stops_when_cancelled(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    started, never = threading.Event(), threading.Event()

    def endless(container: Container, ctx: JobContext) -> None:
        started.set()
        deadline = time.monotonic() + WAIT_SEC
        while time.monotonic() < deadline:  # one "step" of work per loop, checking in between
            ctx.raise_if_cancelled()
            never.wait(0.02)
        raise TimeoutError("the cancel request never reached the job")

    add_job("test.endless", endless)
    start_in_process(container)
    job = service.submit("test.endless", {}, None)
    assert started.wait(WAIT_SEC)

    asked = service.cancel(job.job_id)
    assert (asked.status, asked.cancel_requested) == (JobStatus.RUNNING, True)

    stopped = wait_for_job(service, job.job_id, is_finished)
    assert stopped.status is JobStatus.CANCELLED, stopped.error
    assert stopped.finished_at is not None


def test_a_job_that_raises_ends_failed_with_its_error(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    def broken(container: Container, ctx: JobContext) -> None:
        raise ValueError("Zählerstand fehlt für 2025-01-01")

    add_job("test.broken", broken)
    start_in_process(container)
    job = service.submit("test.broken", {}, None)

    failed = wait_for_job(service, job.job_id, is_finished)
    assert failed.status is JobStatus.FAILED
    assert failed.error == "ValueError: Zählerstand fehlt für 2025-01-01"
    assert failed.finished_at is not None and failed.result is None


def test_a_cancelled_queued_job_never_runs(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    ran: list[int] = []

    def record(container: Container, ctx: JobContext, *, n: int) -> dict[str, int]:
        ran.append(n)
        return {"n": n}

    add_job("test.record", record)
    unwanted = service.submit("test.record", {"n": 1}, None)
    assert service.cancel(unwanted.job_id).status is JobStatus.CANCELLED
    wanted = service.submit("test.record", {"n": 2}, None)

    start_in_process(container)  # the worker dequeues the cancelled job first (FIFO) and skips it
    assert wait_for_job(service, wanted.job_id, is_finished).status is JobStatus.SUCCEEDED

    assert ran == [2]
    skipped = service.get(unwanted.job_id)
    assert (skipped.status, skipped.attempts, skipped.started_at) == (JobStatus.CANCELLED, 0, None)
    assert container.job_queue.pending() == 0


def test_an_unknown_job_name_is_refused_and_nothing_is_stored(
    container: Container, service: JobService
) -> None:
    with pytest.raises(InvalidInput, match="unknown job"):
        service.submit("no.such.job", {"x": 1}, None)

    assert service.list() == ([], 0)
    assert container.job_queue.pending() == 0


def test_recover_stale_requeues_a_job_whose_worker_died_and_it_completes(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    add_job("test.echo", echo)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    max_attempts = container.settings.jobs.max_attempts

    def orphan(attempts: int) -> Job:
        return Job(
            job_id=str(uuid.uuid4()),
            name="test.echo",
            status=JobStatus.RUNNING,
            params={"n": attempts},
            attempts=attempts,
            worker="crashed-host:4711",
            created_at=long_ago,
            started_at=long_ago,
            heartbeat_at=long_ago,
        )

    retried, exhausted = orphan(1), orphan(max_attempts)
    with container.database.unit_of_work() as uow:
        uow.jobs.add(retried)
        uow.jobs.add(exhausted)
        uow.commit()

    assert recover_stale(container) == 2
    assert service.get(retried.job_id).status is JobStatus.QUEUED
    assert container.job_queue.pending() == 1
    gone = service.get(exhausted.job_id)
    assert gone.status is JobStatus.FAILED
    assert gone.error == f"worker stopped while running the job ({max_attempts} attempts)"

    start_in_process(container)
    done = wait_for_job(service, retried.job_id, is_finished)
    assert (done.status, done.result, done.attempts) == (JobStatus.SUCCEEDED, {"n": 1}, 2)
    assert done.worker != "crashed-host:4711"


def test_a_job_of_a_process_of_this_machine_that_is_gone_is_requeued_at_once(
    container: Container, service: JobService
) -> None:
    """After a restart, the job the stopped server left showed "running" for minutes (until its
    heartbeat was old): its process is known to be gone, so it need not wait."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its PID names no process now
    gone_pid, now = child.pid, datetime.now(UTC)

    def running(worker: str) -> Job:
        return Job(
            job_id=str(uuid.uuid4()),
            name="test.echo",
            status=JobStatus.RUNNING,
            params={},
            attempts=1,
            worker=worker,
            created_at=now,
            started_at=now,
            heartbeat_at=now,
        )

    orphan, alive = running(f"{socket.gethostname()}:{gone_pid}"), running(worker_name())
    elsewhere = running(f"another-host:{gone_pid}")
    with container.database.unit_of_work() as uow:
        for job in (orphan, alive, elsewhere):
            uow.jobs.add(job)
        uow.commit()

    assert recover_stale(container) == 1
    assert [service.get(j.job_id).status for j in (orphan, alive, elsewhere)] == [
        JobStatus.QUEUED,
        JobStatus.RUNNING,
        JobStatus.RUNNING,
    ]


def test_the_sweep_deletes_jobs_finished_longer_ago_than_jobs_keep_days(
    container: Container, service: JobService
) -> None:
    keep = timedelta(days=container.settings.jobs.keep_days)
    now = datetime.now(UTC)
    old, recent = (
        Job(
            job_id=str(uuid.uuid4()),
            name="test.echo",
            status=JobStatus.SUCCEEDED,
            created_at=at,
            finished_at=at,
        )
        for at in (now - keep - timedelta(hours=1), now - keep + timedelta(hours=1))
    )
    with container.database.unit_of_work() as uow:
        uow.jobs.add(old)
        uow.jobs.add(recent)
        uow.commit()

    recover_stale(container)

    with pytest.raises(NotFound):
        service.get(old.job_id)
    assert service.get(recent.job_id).status is JobStatus.SUCCEEDED


def test_a_queued_job_whose_message_was_lost_is_enqueued_again_and_runs(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    add_job("test.echo", echo)
    stale_after = timedelta(seconds=container.settings.jobs.stale_after_sec)
    # Committed, but the submitter died before the enqueue: a row and no message.
    lost = Job(
        job_id=str(uuid.uuid4()),
        name="test.echo",
        status=JobStatus.QUEUED,
        params={"n": 7},
        created_at=datetime.now(UTC) - stale_after - timedelta(seconds=1),
    )
    with container.database.unit_of_work() as uow:
        uow.jobs.add(lost)
        uow.commit()
    assert container.job_queue.pending() == 0

    assert recover_stale(container) == 1
    assert container.job_queue.pending() == 1
    assert recover_stale(container) == 0  # the message is there now: no duplicate on the next sweep

    start_in_process(container)
    done = wait_for_job(service, lost.job_id, is_finished)
    assert (done.status, done.result, done.attempts) == (JobStatus.SUCCEEDED, {"n": 7}, 1)


def test_stopping_the_in_process_worker_lets_the_running_job_finish(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(container: Container, ctx: JobContext) -> dict[str, bool]:
        started.set()
        if not release.wait(WAIT_SEC):
            raise TimeoutError("the test never released the job")
        return {"finished": True}

    add_job("test.slow", slow)
    start_in_process(container)
    job = service.submit("test.slow", {}, None)
    assert started.wait(WAIT_SEC)

    stopper = threading.Thread(target=stop_in_process, args=(container,))
    stopper.start()
    release.set()
    stopper.join(WAIT_SEC)

    assert not stopper.is_alive()
    assert service.get(job.job_id).status is JobStatus.SUCCEEDED  # finished before stop returned


def test_a_job_that_checks_for_a_cancel_goes_back_to_the_queue_when_luna_stops_and_runs_again(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    """SIGTERM left the live simulation "running" until the stale sweep, and each restart used up an
    attempt: after three the job failed for good."""
    started = threading.Event()
    runs: list[int] = []

    def loop(container: Container, ctx: JobContext) -> dict[str, bool]:
        runs.append(1)
        started.set()
        while True:
            ctx.raise_if_cancelled()
            time.sleep(0.05)

    add_job("test.loop", loop)
    start_in_process(container)
    job = service.submit("test.loop", {}, None)
    assert started.wait(WAIT_SEC)

    stop_in_process(container)

    released = service.get(job.job_id)
    assert (released.status, released.attempts) == (JobStatus.QUEUED, 0)
    assert released.message is not None and "Luna wurde beendet" in released.message
    started.clear()
    start_in_process(container)
    assert started.wait(WAIT_SEC)  # the next start runs it again
    assert service.get(job.job_id).attempts == 1 and len(runs) == 2
    service.cancel(job.job_id)
    cancelled = wait_for_job(service, job.job_id, lambda j: j.status.is_finished)
    assert cancelled.status is JobStatus.CANCELLED  # a real cancel still cancels


def test_the_maintenance_job_refreshes_the_daily_events_rollup(
    container: Container, service: JobService
) -> None:
    start_in_process(container)
    job = service.submit("maintenance.refresh_events_daily", {}, None)

    done = wait_for_job(service, job.job_id, is_finished)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result == {"refreshed": True}


def test_health_reports_the_backend_and_the_pending_jobs(
    container: Container, service: JobService, add_job: Callable[[str, JobFunction], None]
) -> None:
    add_job("test.echo", echo)
    for n in range(2):
        service.submit("test.echo", {"n": n}, None)

    health = container.job_queue.health()

    assert health.status is HealthStatus.UP
    assert health.backend == f"huey-{'redis' if container.settings.jobs.kind == 'redis' else 'sqlite'}"
    assert health.extra["pending"] == 2
    assert health.latency_ms is not None


def test_health_is_down_without_raising_when_redis_is_unreachable(
    make_settings: Callable[..., Settings],
) -> None:
    container = build_container(
        make_settings(LUNA_JOBS__KIND="redis", LUNA_JOBS__REDIS_URL="redis://127.0.0.1:1/0")
    )

    health = container.job_queue.health()

    assert (health.status, health.backend) == (HealthStatus.DOWN, "huey-redis")
    assert health.detail


def _spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE],
            cwd=REPO_ROOT,
            env={**os.environ, "LUNA_PROFILE": "test", **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(WAIT_SEC)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_restart_loses_no_queued_job(
    make_settings: Callable[..., Settings],
    redis_url: str,
    queue_name: str,
    tmp_path: Path,
    add_job: Callable[[str, JobFunction], None],
) -> None:
    env = {
        "LUNA_DATA_DIR": str(tmp_path / "var"),
        "LUNA_ENV_FILE": os.devnull,
        "LUNA_AUTH__ADMIN_API_KEY": "test-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "test-jwt-secret-0123456789abcdef",
        "LUNA_JOBS__KIND": "redis",
        "LUNA_JOBS__REDIS_URL": redis_url,
        "LUNA_JOBS__QUEUE_NAME": queue_name,
        "LUNA_JOBS__WORKERS": "1",
        "LUNA_JOBS__HEARTBEAT_SEC": "0.2",
        "LUNA_JOBS__STALE_AFTER_SEC": "1.5",
    }
    container = build_container(make_settings(**env), load_jobs)
    container.database.upgrade()
    service = container.services.jobs
    add_job("test.echo", echo)
    add_job("test.wait_for_release", wait_for_release)
    release_key = f"{queue_name}:release"
    log = tmp_path / "workers.log"
    try:
        # Submitted while no worker runs: all of them wait in Redis.
        blocking = service.submit("test.wait_for_release", {"redis_url": redis_url, "key": release_key}, None)
        quick = [service.submit("test.echo", {"n": n}, None) for n in range(3)]
        assert container.job_queue.pending() == 4

        first = _spawn_worker(env, log)
        try:
            running = wait_for_job(service, blocking.job_id, lambda j: j.status is JobStatus.RUNNING)
            assert running.worker is not None and running.worker.endswith(f":{first.pid}")
        finally:
            first.kill()  # SIGKILL mid-job: no clean-up, no goodbye
            first.wait()
        assert container.job_queue.pending() == 3, log.read_text()
        Redis.from_url(redis_url).rpush(release_key, "go")

        second = _spawn_worker(env, log)
        try:
            finished = [wait_for_job(service, job.job_id, is_finished) for job in [blocking, *quick]]
        finally:
            _stop(second)

        assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 4, log.read_text()
        assert [job.result for job in finished] == [{"released": True}, {"n": 0}, {"n": 1}, {"n": 2}]
        recovered = finished[0]
        assert recovered.attempts == 2
        assert recovered.worker is not None and recovered.worker.endswith(f":{second.pid}")
        assert container.job_queue.pending() == 0
    finally:
        container.close()
        _delete_redis_keys(redis_url, queue_name)
