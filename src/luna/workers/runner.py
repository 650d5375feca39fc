"""Runs jobs: turns a job ID from the queue into a call of the registered job function.

The worker's lifetime is: recover jobs whose worker died (stale heartbeat) and queued jobs whose
queue message was lost, then take IDs from the queue. While a job runs, a heartbeat thread keeps
``heartbeat_at`` fresh, so another worker can tell a slow job from a dead one; a sweeper thread
repeats the recovery for as long as the worker lives, so a crashed machine's jobs come back without
anyone restarting anything.

The worker also runs the real feeds: every ``feeds.csv_scan_sec`` it looks for new CSV drops and
queues a scan job for them (unless one is queued or running already, by this worker or another); with
``feeds.mqtt_enabled``, the MQTT subscriber lives as long as the worker does.

With ``learning.schedule_enabled`` it also queues the nightly learning run: every
:data:`NIGHTLY_CHECK_SEC` it asks whether the run is due (``learning.nightly_at`` in
``learning.timezone``, see :mod:`luna.domain.learning.schedule`), so a worker that was down at that
time catches up within a minute of starting, and several workers queue one run between them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from luna.container import Container
from luna.domain.jobs import Job, JobStatus
from luna.domain.learning.schedule import NightlySchedule
from luna.services.flywheel.cycle import FLYWHEEL_JOB, hourly_run_due
from luna.services.knowledge.refine import REFINE_JOB
from luna.services.operations.jobs import JobService
from luna.workers.registry import JobResult, load_jobs

logger = logging.getLogger(__name__)

#: Progress is written at most this often (a job may report on every record it handles).
PROGRESS_INTERVAL_SEC = 0.5
#: The job that imports new CSV drops (registered in ``luna.workers.feeds``).
CSV_SCAN_JOB = "feeds.scan_csv"
#: How often the worker asks whether the nightly learning run is due.
NIGHTLY_CHECK_SEC = 60.0


class JobCancelledError(Exception):
    """Raised by :meth:`JobContext.raise_if_cancelled`; the runner marks the job cancelled."""


def worker_name() -> str:
    """``hostname:pid``: enough to find the process that runs a job."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobContext:
    """What a job function gets besides the container: its ID, params, progress and cancellation.

    Progress writes are throttled to one per :data:`PROGRESS_INTERVAL_SEC`; a report that falls in
    between is kept and written by the next report, heartbeat or the end of the job, so the newest
    state always lands. Cancellation is read at the same pace.
    """

    def __init__(self, jobs: JobService, job: Job, stopping: threading.Event | None = None) -> None:
        self.job_id = job.job_id
        self._stopping = stopping or threading.Event()
        self.params: dict[str, Any] = dict(job.params)
        self._jobs = jobs
        self._lock = threading.Lock()
        self._last_write = -math.inf
        self._pending_progress: float | None = None
        self._pending_message: str | None = None
        self._last_cancel_check = -math.inf
        self._cancelled = False

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report how far the job is (0.0 … 1.0) and, optionally, what it is doing now."""
        if not math.isfinite(fraction):
            raise ValueError(f"progress must be a finite number, not {fraction!r}")
        fraction = min(max(fraction, 0.0), 1.0)
        with self._lock:
            self._pending_progress = fraction
            if message is not None:
                self._pending_message = message
            if fraction >= 1.0 or time.monotonic() - self._last_write >= PROGRESS_INTERVAL_SEC:
                self._write_pending()

    def cancelled(self) -> bool:
        """Whether someone asked this job to stop, or its process is stopping; a job checks it between
        steps and stops cleanly."""
        if self._stopping.is_set():
            return True
        with self._lock:
            now = time.monotonic()
            if not self._cancelled and now - self._last_cancel_check >= PROGRESS_INTERVAL_SEC:
                self._last_cancel_check = now
                self._cancelled = self._jobs.is_cancel_requested(self.job_id)
            return self._cancelled

    def raise_if_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelledError(self.job_id)

    def beat(self) -> None:
        """Refresh the heartbeat, writing any throttled progress with it."""
        with self._lock:
            if self._pending_progress is not None:
                self._write_pending()
            else:
                self._jobs.heartbeat(self.job_id)

    def flush(self) -> None:
        """Write a throttled progress report now (before the job's final state is recorded)."""
        with self._lock:
            if self._pending_progress is not None:
                self._write_pending()

    def _write_pending(self) -> None:
        assert self._pending_progress is not None  # callers hold the lock and checked
        self._jobs.record_progress(self.job_id, self._pending_progress, self._pending_message)
        self._last_write = time.monotonic()
        self._pending_progress = None
        self._pending_message = None


class _Repeating:
    """Calls ``action`` every ``interval`` seconds in a daemon thread until stopped."""

    def __init__(self, name: str, interval: float, action: Callable[[], object]) -> None:
        self._interval = interval
        self._action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._action()
            except Exception:
                logger.exception("%s failed; trying again in %.1f s", self._thread.name, self._interval)


@contextmanager
def _heartbeat(context: JobContext, interval: float) -> Iterator[None]:
    beating = _Repeating(f"luna-heartbeat-{context.job_id}", interval, context.beat)
    beating.start()
    try:
        yield
    finally:
        beating.stop()
        context.flush()


def _checked_result(result: object) -> JobResult:
    if result is None:
        return None
    if not isinstance(result, dict):
        raise TypeError(f"a job must return a dict or None, not {type(result).__name__}")
    normalised: dict[str, Any] = json.loads(json.dumps(result, allow_nan=False))
    return normalised


def execute(container: Container, job_id: str) -> None:
    """Run one job to its end state: succeeded, failed (with its error) or cancelled.

    Whatever the job function raises is recorded, never propagated. Only a database that fails
    during the bookkeeping itself raises; a job left running that way is re-queued by the stale
    sweep once its heartbeat is old.
    """
    jobs = container.services.jobs
    job = jobs.claim(job_id, worker_name())
    if job is None:
        return
    function = load_jobs().get(job.name)
    if function is None:
        jobs.fail(job_id, f"LookupError: no job named {job.name!r} is registered in worker {worker_name()}")
        return
    stopping = _stopping.setdefault(container, threading.Event())
    context = JobContext(jobs, job, stopping)
    logger.info("job %s (%s) started, attempt %d", job_id, job.name, job.attempts)
    try:
        with _heartbeat(context, container.settings.jobs.heartbeat_sec):
            result = _checked_result(function(container, context, **job.params))
    except JobCancelledError:
        if stopping.is_set() and not jobs.is_cancel_requested(job_id) and jobs.release(job_id):
            logger.info("job %s (%s) put back in the queue: the process is stopping", job_id, job.name)
            _released.setdefault(container, []).append(job_id)
            return
        logger.info("job %s (%s) stopped after a cancel request", job_id, job.name)
        jobs.mark_cancelled(job_id)
        return
    except Exception as error:
        logger.exception("job %s (%s) failed", job_id, job.name)
        jobs.fail(job_id, f"{type(error).__name__}: {error}")
        return
    jobs.succeed(job_id, result)
    logger.info("job %s (%s) succeeded", job_id, job.name)


def recover_stale(container: Container) -> int:
    """Recover the jobs that would otherwise never finish; returns how many.

    Running jobs whose worker stopped are re-queued (or failed, after ``max_attempts``); then queued
    jobs whose message the queue lost are enqueued again (see :meth:`JobService.requeue_lost`).
    """
    settings = container.settings.jobs
    stale_after = timedelta(seconds=settings.stale_after_sec)
    jobs = container.services.jobs
    recovered = jobs.recover_stale(stale_after, settings.max_attempts, dead=_gone_from_this_machine)
    jobs.prune(settings.keep_days)  # with the sweep: one delete by status, and no schedule of its own
    return recovered + jobs.requeue_lost(stale_after)


def _gone_from_this_machine(worker: str | None) -> bool:
    """Whether ``worker`` (``hostname:pid``, see :func:`worker_name`) is a process of this machine that
    no longer runs; another machine's workers are left to their heartbeat."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs under another user: alive
        return False
    return False


def _stale_sweeper(container: Container) -> _Repeating:
    interval = max(container.settings.jobs.stale_after_sec / 2, 0.5)
    return _Repeating("luna-stale-job-sweeper", interval, lambda: recover_stale(container))


def _recover_at_start(container: Container) -> None:
    """Recover before taking new work, but start anyway when a backend is down.

    The queue retries the broker on its own and the sweeper repeats the recovery, so a worker that
    starts during an outage catches up once the backend is back.
    """
    try:
        recover_stale(container)
    except Exception:
        logger.exception("could not recover stale jobs at worker start; the sweeper tries again")


def queue_csv_scan(container: Container) -> Job | None:
    """Queue a scan when CSV drops wait to be imported, unless one is queued or running already (here
    or in another worker); a quiet drop folder adds no job rows."""
    if not container.services.csv_feeds.waiting():
        return None
    return _submit_unless_active(container, CSV_SCAN_JOB)


def _submit_unless_active(container: Container, name: str) -> Job | None:
    """Queue the job ``name`` unless one is queued or running already, here or in another worker."""
    jobs = container.services.jobs
    for status in (JobStatus.QUEUED, JobStatus.RUNNING):
        if jobs.list(status, name, 1, 0)[1] > 0:
            return None
    return jobs.submit(name, {}, worker_name())


def queue_refine(container: Container) -> Job | None:
    """Queue ``kb.refine_vectors`` when chunks lack a refine vector and its model is ready, unless the
    job is queued or running already (here or in another worker)."""
    refine = container.services.knowledge.refine
    if refine is None or not refine.ready() or refine.pending() == 0:
        return None
    return _submit_unless_active(container, REFINE_JOB)


def _start_refine(container: Container) -> list[Callable[[], None]]:
    """Check every ``rag.refine.catch_up_sec`` whether the refine leg lags behind the index."""
    settings = container.settings
    if not settings.refine_active:
        return []
    refine = _Repeating("luna-refine", settings.rag.refine.catch_up_sec, lambda: queue_refine(container))
    refine.start()
    return [refine.stop]


def queue_nightly_learning(container: Container, now: datetime | None = None) -> Job | None:
    """Queue the learning run when the nightly schedule says it is due; None when it is not."""
    settings = container.settings.learning
    schedule = NightlySchedule.parse(settings.nightly_at, settings.timezone)
    return container.services.learning_control.queue_nightly(schedule, now or datetime.now(UTC))


def _start_nightly_learning(container: Container) -> list[Callable[[], None]]:
    if not container.settings.learning.schedule_enabled:
        return []
    nightly = _Repeating(
        "luna-nightly-learning", NIGHTLY_CHECK_SEC, lambda: queue_nightly_learning(container)
    )
    nightly.start()
    return [nightly.stop]


def queue_hourly_flywheel(container: Container, now: datetime | None = None) -> Job | None:
    """Queue the flywheel's cycle once per clock hour (rule: ``cycle.hourly_run_due``)."""
    jobs = container.services.jobs
    if not hourly_run_due(jobs, now or datetime.now(UTC)):
        return None
    return jobs.submit(FLYWHEEL_JOB, {}, "schedule")


def _start_hourly_flywheel(container: Container) -> list[Callable[[], None]]:
    if not container.settings.flywheel.schedule_enabled:
        return []
    hourly = _Repeating("luna-flywheel-hourly", NIGHTLY_CHECK_SEC, lambda: queue_hourly_flywheel(container))
    hourly.start()
    return [hourly.stop]


def queue_scheduled_datasets(container: Container, now: datetime | None = None) -> list[str]:
    """Queue the pipelines whose schedule makes a run due (rule: ``domain.datasets.schedule``)."""
    return container.services.datasets.queue_due(container.services.jobs, now or datetime.now(UTC))


def _start_dataset_schedule(container: Container) -> list[Callable[[], None]]:
    if not container.settings.datasets.schedule_enabled:
        return []
    due = _Repeating("luna-dataset-schedule", NIGHTLY_CHECK_SEC, lambda: queue_scheduled_datasets(container))
    due.start()
    return [due.stop]


def _start_feeds(container: Container) -> list[Callable[[], None]]:
    """Start the CSV scan schedule and, when enabled, the MQTT subscriber; returns how to stop them.

    A subscriber that cannot be built (a topic filter without one ``+`` level) raises here, so a
    misconfigured worker fails at start instead of silently receiving nothing.
    """
    feeds = container.settings.feeds
    stops: list[Callable[[], None]] = []
    if feeds.mqtt_enabled:
        subscriber = container.message_subscriber
        subscriber.start(container.services.mqtt_readings.handle)
        stops.append(subscriber.stop)
    scanner = _Repeating("luna-csv-scan", feeds.csv_scan_sec, lambda: queue_csv_scan(container))
    scanner.start()
    stops.append(scanner.stop)
    return stops


def _stop_all(stops: list[Callable[[], None]]) -> None:
    for stop in stops:
        stop()


#: What stops the in-process worker's threads (feeds, then the stale-job sweeper), per container.
_in_process: dict[Container, list[Callable[[], None]]] = {}
#: Set while a container's in-process worker stops: its running jobs see it as a cancel and are
#: put back in the queue (:meth:`JobService.release`) instead of being marked cancelled.
_stopping: dict[Container, threading.Event] = {}
#: The jobs put back while a container's worker stopped, enqueued once it has stopped.
_released: dict[Container, list[str]] = {}


def start_in_process(container: Container) -> None:
    """Start the worker threads of ``luna serve`` (after recovering jobs a previous run left behind)."""
    if container in _in_process:
        raise RuntimeError("the in-process worker is already running for this container")
    _recover_at_start(container)
    container.job_queue.start_workers(
        lambda job_id: execute(container, job_id), container.settings.jobs.workers
    )
    sweeper = _stale_sweeper(container)
    sweeper.start()
    try:
        _in_process[container] = [
            *_start_feeds(container),
            *_start_nightly_learning(container),
            *_start_hourly_flywheel(container),
            *_start_dataset_schedule(container),
            *_start_refine(container),
            sweeper.stop,
        ]
    except Exception:
        sweeper.stop()
        container.job_queue.stop_workers()
        raise


def stop_in_process(container: Container) -> None:
    """Stop the in-process worker; running jobs finish first (bounded by the queue's shutdown timeout).

    The MQTT subscriber stops first: it stores and acknowledges the batch in hand, and leaves the rest
    unacknowledged for the broker to deliver again.
    """
    stops = _in_process.pop(container, None)
    if stops is None:
        return
    stopping = _stopping.setdefault(container, threading.Event())
    stopping.set()  # a running job stops at its next check and goes back to the queue
    try:
        _stop_all(stops)
        container.job_queue.stop_workers()
    finally:
        _stopping.pop(container, None)
    for job_id in _released.pop(container, []):  # now no worker of this process takes it again
        container.job_queue.enqueue(job_id)


def run_foreground_worker(container: Container) -> None:
    """``luna worker``: recover stale jobs, then execute queued jobs until a signal stops the process."""
    _recover_at_start(container)
    sweeper = _stale_sweeper(container)
    sweeper.start()
    stops = [sweeper.stop]
    try:
        stops = [
            *_start_feeds(container),
            *_start_nightly_learning(container),
            *_start_hourly_flywheel(container),
            *_start_dataset_schedule(container),
            *_start_refine(container),
            sweeper.stop,
        ]
        container.job_queue.run_worker(
            lambda job_id: execute(container, job_id), container.settings.jobs.workers
        )
    finally:
        _stop_all(stops)
