"""Background jobs: submit, inspect and cancel them, and move each one through its states.

The SQL ``jobs`` row is the record of a job; the queue only carries its ID. That is why
:meth:`JobService.submit` commits the row before it enqueues: a worker never receives an ID it
cannot find. The worker-side transitions (claim, progress, finish, recover) live here as well, so
that the workers, like every caller, leave transactions to a service.

Given the job functions themselves (not only their names), :meth:`JobService.submit` also checks the
params against the function's signature, names and annotated types (``job_params.py``), so a job that
could never be called, or would be called with a string where it expects a bool, is refused with a 400
instead of being queued to fail (or to do the wrong thing) in the worker.
"""

from __future__ import annotations

import builtins
import json
import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from luna.domain.jobs import Job, JobFunction, JobStatus
from luna.ports.jobs import JobQueue
from luna.ports.sql import Database, UnitOfWork
from luna.services.operations.job_params import check_params

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
REQUEUED_MESSAGE = "Erneut eingereiht: der vorige Worker hat aufgehört"
RELEASED_MESSAGE = "Erneut eingereiht: Luna wurde beendet; der Job läuft beim nächsten Start weiter"
#: The jobs a process may submit: the job registry (name → function) or just their names.
KnownJobs = Mapping[str, JobFunction] | Collection[str]
#: Jobs refused (409) while another of the same name is queued or running, whoever submits them (API,
#: dashboard, CLI; a double click): two full reindexes race for the collection swap and one fails, two
#: re-reads write the same new versions, two flywheel cycles judge the same hour twice, two trainings
#: crash each other inside torch ("Cannot copy out of meta tensor") and two resumes of one run write the
#: same checkpoints.
EXCLUSIVE_JOBS: Final = frozenset(
    {"kb.reindex", "kb.reread", "flywheel.hourly", "flywheel.dry_run", "finetune.run"}
)
#: Jobs refused while one with the same params is queued or running: a pipeline run a second time before
#: the first has finished ("Jetzt ausführen" clicked twice) reads the same sources for the same version.
EXCLUSIVE_PER_PARAMS: Final = frozenset({"datasets.run"})


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_job_id(job_id: str) -> str:
    """The canonical form of a job ID; anything that is not a UUID cannot name a job."""
    try:
        return str(uuid.UUID(job_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"No job with id {job_id!r}.") from None


def _json_object(params: object) -> dict[str, Any]:
    """``params`` as it will be stored (a JSON round trip), or :class:`InvalidInput`."""
    if not isinstance(params, dict):
        raise InvalidInput("params must be a JSON object")
    try:
        normalised: dict[str, Any] = json.loads(json.dumps(params, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"params must be JSON-serialisable: {error}") from None
    return normalised


class JobService:
    """Submit, list, inspect and cancel jobs (callers), and record their progress (workers).

    ``known_jobs`` is either the job registry (name → function; submissions are checked against
    each function's signature and annotations) or just the names (only the name is checked). A live
    mapping sees jobs registered after the service was built.
    """

    def __init__(self, database: Database, queue: JobQueue, known_jobs: KnownJobs) -> None:
        self._database = database
        self._queue = queue
        self._known_jobs = known_jobs

    def submit(
        self,
        name: str,
        params: dict[str, Any],
        created_by: str | None = None,
        check: Callable[[dict[str, Any]], None] | None = None,
        exclusive: bool = False,
    ) -> Job:
        """Store the job as queued, commit, then enqueue its ID.

        An ``exclusive`` job, and every job of :data:`EXCLUSIVE_JOBS`, is refused with :class:`Conflict`
        while another job of the same name is queued or running (one of :data:`EXCLUSIVE_PER_PARAMS`:
        with the same params); the check and the insert share one write transaction, serialised.

        An unknown name, params the job function cannot take (unknown, missing, wrongly typed), or params
        ``check`` refuses (what a value means: a path, a run ID) raise
        :class:`InvalidInput` before anything is stored. When the queue cannot take the ID, the row is
        marked failed and :class:`Unavailable` raised, so no job waits forever for a delivery that never
        comes.
        """
        if name not in self._known_jobs:
            known = ", ".join(sorted(self._known_jobs))
            raise InvalidInput(f"unknown job {name!r}; known jobs: {known}", details={"name": name})
        checked = _json_object(params)
        if isinstance(self._known_jobs, Mapping):
            check_params(name, self._known_jobs[name], checked)
        if check is not None:
            check(checked)
        job = Job(
            job_id=str(uuid.uuid4()),
            name=name,
            status=JobStatus.QUEUED,
            params=checked,
            created_by=created_by,
            created_at=_now(),
        )
        with self._database.unit_of_work() as uow:
            if exclusive or name in EXCLUSIVE_JOBS or name in EXCLUSIVE_PER_PARAMS:
                uow.jobs.serialise_submissions()
                _refuse_if_active(uow, name, checked if name in EXCLUSIVE_PER_PARAMS else None)
            uow.jobs.add(job)
            uow.commit()
        try:
            self._queue.enqueue(job.job_id)
        except Exception as error:
            logger.exception("could not enqueue job %s on %s", job.job_id, self._queue.backend)
            message = f"{type(error).__name__}: {error}"
            self._update(
                job.job_id, status=JobStatus.FAILED, error=f"could not enqueue: {message}", finished_at=_now()
            )
            raise Unavailable(
                f"the job queue ({self._queue.backend}) is unavailable; try again later"
            ) from error
        return job

    def get(self, job_id: str) -> Job:
        canonical = _parse_job_id(job_id)
        with self._database.unit_of_work(read_only=True) as uow:
            job = uow.jobs.get(canonical)
        if job is None:
            raise NotFound(f"No job with id {job_id!r}.")
        return job

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop: a queued job is cancelled at once, a running one when it next checks."""
        canonical = _parse_job_id(job_id)
        with self._database.unit_of_work() as uow:
            job = uow.jobs.get(canonical)
            if job is None:
                raise NotFound(f"No job with id {job_id!r}.")
            if job.status.is_finished:
                raise Conflict(f"Job {job_id!r} has already finished ({job.status.value}).")
            # Compare-and-set: a worker may claim the job between the read and this write; then it is
            # running and only gets the request, which it honours at its next checkpoint.
            cancelled_while_queued = job.status is JobStatus.QUEUED and uow.jobs.transition(
                canonical,
                JobStatus.QUEUED,
                cancel_requested=True,
                status=JobStatus.CANCELLED,
                finished_at=_now(),
            )
            # The same for a running one: a job that finished in between cannot be cancelled any more.
            if not cancelled_while_queued and not uow.jobs.transition(
                canonical, JobStatus.RUNNING, cancel_requested=True
            ):
                raise Conflict(f"Job {job_id!r} has already finished.")
            # Read back inside the transaction: the state the request left, not one a worker's
            # later checkpoint may already have moved on to cancelled.
            asked = uow.jobs.get(canonical)
            uow.commit()
        assert asked is not None  # the row was read above and jobs are never deleted here
        return asked

    # Worker side: each transition is one short transaction, so progress is visible at once.

    def claim(self, job_id: str, worker: str) -> Job | None:
        """Mark a queued job running for ``worker`` and return it; ``None`` when it must not run.

        Only queued jobs run: a finished or cancelled job is a late duplicate, and a running one
        belongs to another worker. A job cancelled while queued ends here as cancelled.
        """
        now = _now()
        with self._database.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            if job is None:
                logger.warning("job %s was dequeued but has no row; skipped", job_id)
                return None
            if job.status is not JobStatus.QUEUED:
                logger.info("job %s is %s; delivery skipped", job_id, job.status.value)
                return None
            if job.cancel_requested:
                uow.jobs.update(job_id, status=JobStatus.CANCELLED, finished_at=now)
                uow.commit()
                return None
            attempts = job.attempts + 1
            running: dict[str, Any] = {
                "status": JobStatus.RUNNING,
                "started_at": now,
                "heartbeat_at": now,
                "worker": worker,
                "attempts": attempts,
                "error": None,
            }
            claimed = uow.jobs.transition(job_id, JobStatus.QUEUED, **running)
            if not claimed:
                logger.info("job %s was claimed by another worker; delivery skipped", job_id)
                return None
            uow.commit()
        return replace(job, **running)

    def record_progress(self, job_id: str, progress: float, message: str | None) -> None:
        """Store progress (and the message, when given); refreshes the heartbeat too."""
        fields: dict[str, Any] = {"progress": progress, "heartbeat_at": _now()}
        if message is not None:
            fields["message"] = message
        self._update(job_id, **fields)

    def heartbeat(self, job_id: str) -> None:
        self._update(job_id, heartbeat_at=_now())

    def is_cancel_requested(self, job_id: str) -> bool:
        with self._database.unit_of_work(read_only=True) as uow:
            job = uow.jobs.get(job_id)
        return job is None or job.cancel_requested

    def succeed(self, job_id: str, result: dict[str, Any] | None) -> None:
        now = _now()
        self._update(
            job_id, status=JobStatus.SUCCEEDED, progress=1.0, result=result, finished_at=now, heartbeat_at=now
        )

    def fail(self, job_id: str, error: str) -> None:
        now = _now()
        self._update(job_id, status=JobStatus.FAILED, error=error, finished_at=now, heartbeat_at=now)

    def mark_cancelled(self, job_id: str) -> None:
        now = _now()
        self._update(job_id, status=JobStatus.CANCELLED, finished_at=now, heartbeat_at=now)

    def recover_stale(
        self, stale_after: timedelta, max_attempts: int, dead: Callable[[str | None], bool] | None = None
    ) -> int:
        """Deal with running jobs whose heartbeat is older than ``stale_after`` (their worker died), and
        at once with those whose worker ``dead`` knows to be gone (a process of this machine that no
        longer runs: after a restart its job showed "running" for minutes).

        Each is re-queued while it has attempts left, cancelled when a cancel was requested, and
        failed otherwise. Returns how many jobs were recovered.
        """
        now = _now()
        requeued: builtins.list[str] = []
        with self._database.unit_of_work() as uow:
            stale = builtins.list(uow.jobs.stale_running(now - stale_after))
            if dead is not None:
                known = {job.job_id for job in stale}
                stale += [j for j in uow.jobs.stale_running(now) if j.job_id not in known and dead(j.worker)]
            for job in stale:
                if job.cancel_requested:
                    uow.jobs.update(job.job_id, status=JobStatus.CANCELLED, finished_at=now)
                elif job.attempts < max_attempts:
                    uow.jobs.update(
                        job.job_id,
                        status=JobStatus.QUEUED,
                        worker=None,
                        heartbeat_at=None,
                        message=REQUEUED_MESSAGE,
                    )
                    requeued.append(job.job_id)
                else:
                    error = f"worker stopped while running the job ({job.attempts} attempts)"
                    uow.jobs.update(job.job_id, status=JobStatus.FAILED, error=error, finished_at=now)
            uow.commit()
        for job_id in requeued:
            self._queue.enqueue(job_id)
        if stale:
            logger.warning("recovered %d stale job(s), %d re-queued", len(stale), len(requeued))
        return len(stale)

    def prune(self, keep_days: int) -> int:
        """Delete the jobs that finished more than ``keep_days`` ago; how many."""
        with self._database.unit_of_work() as uow:
            deleted = uow.jobs.delete_finished_before(_now() - timedelta(days=keep_days))
            uow.commit()
        if deleted:
            logger.info("deleted %d job(s) finished more than %d days ago", deleted, keep_days)
        return deleted

    def release(self, job_id: str) -> bool:
        """Mark a running job queued again because its process is stopping (not because it failed); the
        attempt it had does not count. False when it was no longer running. The caller enqueues it once
        its workers have stopped: enqueued at once, a worker still running took it again and again.

        Every restart otherwise counted as a crash: the job stayed "running" until the stale sweep, and
        after ``jobs.max_attempts`` restarts the live simulation failed for good."""
        with self._database.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            released = job is not None and uow.jobs.transition(
                job_id,
                JobStatus.RUNNING,
                status=JobStatus.QUEUED,
                attempts=max(job.attempts - 1, 0),
                worker=None,
                heartbeat_at=None,
                message=RELEASED_MESSAGE,
            )
            uow.commit()
        return released

    def requeue_lost(self, stale_after: timedelta) -> int:
        """Enqueue again the jobs queued longer than ``stale_after`` when the queue lost messages.

        A job stays queued without a message when its submitter died between the commit and the
        enqueue, or a worker died between taking the message and claiming the job. The queue
        cannot say which IDs it holds, only how many: when it holds fewer than there are queued
        jobs, some message is gone, and every job that has waited longer than ``stale_after`` is
        enqueued again. A long backlog alone is no sign of loss, so it is left alone instead of
        being duplicated on each sweep. A duplicate is harmless: :meth:`claim` runs a job once.
        Returns how many jobs were enqueued again.
        """
        # Read first: a job claimed between the two reads then hides a loss for one sweep instead of
        # faking one (which would only cost a round of harmless duplicates).
        pending = self._queue.pending()
        with self._database.unit_of_work(read_only=True) as uow:
            if uow.jobs.count(status=JobStatus.QUEUED) <= pending:
                return 0
            waiting = [job.job_id for job in uow.jobs.queued_before(_now() - stale_after)]
        for job_id in waiting:
            self._queue.enqueue(job_id)
        if waiting:
            logger.warning("the queue lost messages: %d queued job(s) enqueued again", len(waiting))
        return len(waiting)

    def _update(self, job_id: str, **fields: Any) -> None:
        with self._database.unit_of_work() as uow:
            uow.jobs.update(job_id, **fields)
            uow.commit()

    def list(
        self, status: str | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[builtins.list[Job], int]:
        """One page of jobs, newest first, and the total that match the filters."""
        try:
            wanted = JobStatus(status) if status is not None else None
        except ValueError:
            known = ", ".join(s.value for s in JobStatus)
            raise InvalidInput(f"unknown job status {status!r}; known: {known}") from None
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if offset < 0:
            raise InvalidInput("offset must not be negative")
        with self._database.unit_of_work(read_only=True) as uow:
            jobs = builtins.list(uow.jobs.list(status=wanted, name=name, limit=limit, offset=offset))
            total = uow.jobs.count(status=wanted, name=name)
        return jobs, total


_ACTIVE: Final = (JobStatus.RUNNING, JobStatus.QUEUED)


def active_job(uow: UnitOfWork, name: str) -> Job | None:
    """A queued or running job of this name, if any."""
    for status in _ACTIVE:
        found = uow.jobs.list(status=status, name=name, limit=1)
        if found:
            return found[0]
    return None


def _refuse_if_active(uow: UnitOfWork, name: str, params: dict[str, Any] | None) -> None:
    """Refuse a second ``name`` job while one is queued or running; with ``params``, one of those params."""
    if params is None:
        running = active_job(uow, name)
    else:
        active = [job for status in _ACTIVE for job in uow.jobs.list(status=status, name=name, limit=1000)]
        running = next((job for job in active if job.params == params), None)
    if running is not None:
        raise Conflict(
            f"A {name} job is already {running.status.value} ({running.job_id}); wait for it to finish.",
            details={"job_id": running.job_id},
        )
