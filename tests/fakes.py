"""In-memory stand-ins for the ports, for unit tests of services.

They keep the promises of the real adapters that services rely on: a unit of work sees its own
writes, publishes them only on ``commit`` and drops them otherwise; the queue keeps job IDs in
FIFO order until a worker takes them.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from luna.domain.errors import Conflict, NotFound
from luna.domain.health import ComponentHealth, HealthStatus
from luna.domain.jobs import Job, JobStatus
from luna.domain.users import User
from luna.ports.jobs import JobHandler
from luna.ports.sql import JobRepository, UserRepository


class FakeUserRepository:
    def __init__(self, users: dict[str, User]) -> None:
        self._users = users

    def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def get_or_create(self, user_id: str, external_id: str | None = None) -> User:
        if user_id not in self._users:
            self._users[user_id] = User(user_id, external_id, datetime.now(UTC))
        return self._users[user_id]

    def count(self) -> int:
        return len(self._users)


class FakeJobRepository:
    def __init__(self, jobs: dict[str, Job]) -> None:
        self._jobs = jobs

    def add(self, job: Job) -> None:
        if job.job_id in self._jobs:
            raise Conflict(f"job {job.job_id} already exists")
        self._jobs[job.job_id] = replace(job)

    def get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return replace(job) if job is not None else None

    def _matching(self, status: JobStatus | None, name: str | None) -> list[Job]:
        return [
            job
            for job in self._jobs.values()
            if (status is None or job.status is status) and (name is None or job.name == name)
        ]

    def list(
        self, *, status: JobStatus | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Job]:
        oldest = datetime.min.replace(tzinfo=UTC)
        newest_first = sorted(
            self._matching(status, name), key=lambda j: (j.created_at or oldest, j.job_id), reverse=True
        )
        return [replace(job) for job in newest_first[offset : offset + limit]]

    def count(self, *, status: JobStatus | None = None, name: str | None = None) -> int:
        return len(self._matching(status, name))

    def update(self, job_id: str, **fields: Any) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"job {job_id!r} not found")
        for key, value in fields.items():
            if not hasattr(job, key):
                raise ValueError(f"jobs has no column {key!r}")
            setattr(job, key, JobStatus(value) if key == "status" else value)

    def transition(self, job_id: str, from_status: JobStatus, **fields: Any) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.status is not from_status:
            return False
        self.update(job_id, **fields)
        return True

    def stale_running(self, older_than: datetime) -> Sequence[Job]:
        """Like the SQL adapter: silent since before ``older_than`` (heartbeat, else start, else creation)."""

        def last_sign_of_life(job: Job) -> datetime:
            return job.heartbeat_at or job.started_at or job.created_at or older_than

        running = self._matching(JobStatus.RUNNING, None)
        silent = sorted((j for j in running if last_sign_of_life(j) < older_than), key=last_sign_of_life)
        return [replace(job) for job in silent]

    def counts_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self._jobs.values():
            counts[job.status.value] = counts.get(job.status.value, 0) + 1
        return counts


class FakeUnitOfWork:
    """Works on a private copy of the committed state; ``commit`` publishes it."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._users: dict[str, User] = {}
        self._jobs: dict[str, Job] = {}
        self.users: UserRepository = FakeUserRepository(self._users)
        self.jobs: JobRepository = FakeJobRepository(self._jobs)

    def __enter__(self) -> FakeUnitOfWork:
        self.rollback()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self._database.users = copy.deepcopy(self._users)
        self._database.jobs = copy.deepcopy(self._jobs)
        self._database.commits += 1

    def rollback(self) -> None:
        self._users.clear()
        self._users.update(copy.deepcopy(self._database.users))
        self._jobs.clear()
        self._jobs.update(copy.deepcopy(self._database.jobs))


class FakeDatabase:
    """The committed state lives in ``users`` and ``jobs``; tests may read them directly."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.jobs: dict[str, Job] = {}
        self.commits = 0
        self.events_daily_refreshes = 0

    @property
    def dialect(self) -> str:
        return "fake"

    @property
    def has_timescaledb(self) -> bool:
        return False

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def upgrade(self) -> str:
        return "fake-head"

    def current_revision(self) -> str | None:
        return "fake-head"

    def refresh_events_daily(self) -> None:
        self.events_daily_refreshes += 1

    def health(self) -> ComponentHealth:
        return ComponentHealth(name="database", status=HealthStatus.UP, backend="fake")

    def close(self) -> None:
        return None


class FakeJobQueue:
    """A FIFO of job IDs. ``fail_with`` makes ``enqueue`` raise, like an unreachable broker.

    Workers do not run threads: :meth:`drain` hands every queued ID to the handler of
    :meth:`start_workers` (or :meth:`run_worker`) in the calling thread.
    """

    def __init__(self) -> None:
        self.queued: deque[str] = deque()
        self.enqueued: list[str] = []
        self.fail_with: Exception | None = None
        self.handler: JobHandler | None = None

    @property
    def backend(self) -> str:
        return "fake"

    def enqueue(self, job_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.queued.append(job_id)
        self.enqueued.append(job_id)

    def pending(self) -> int:
        return len(self.queued)

    def start_workers(self, handler: JobHandler, workers: int) -> None:
        self.handler = handler

    def stop_workers(self) -> None:
        self.handler = None

    def run_worker(self, handler: JobHandler, workers: int) -> None:
        self.handler = handler
        self.drain()

    def drain(self) -> int:
        """Execute queued IDs until the queue is empty; returns how many ran."""
        if self.handler is None:
            raise RuntimeError("no worker started")
        ran = 0
        while self.queued:
            self.handler(self.queued.popleft())
            ran += 1
        return ran

    def health(self) -> ComponentHealth:
        return ComponentHealth(
            name="jobs", status=HealthStatus.UP, backend="fake", extra={"pending": self.pending()}
        )
