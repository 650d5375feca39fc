"""The relational store: repositories behind a unit of work.

Services open a unit of work, use its repositories and commit; nothing else commits. The same
adapter serves SQLite (embedded) and PostgreSQL (server); repositories return domain objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from luna.domain.health import ComponentHealth
from luna.domain.jobs import Job, JobStatus
from luna.domain.users import User


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...

    def get_or_create(self, user_id: str, external_id: str | None = None) -> User:
        """Return the user, inserting it first when it was never seen."""
        ...

    def count(self) -> int: ...


class JobRepository(Protocol):
    def add(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def list(
        self, *, status: JobStatus | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Job]:
        """Newest first."""
        ...

    def count(self, *, status: JobStatus | None = None, name: str | None = None) -> int: ...

    def update(self, job_id: str, **fields: Any) -> None:
        """Set the given columns of one job (``status``, ``progress``, ``message``, ``heartbeat_at`` …)."""
        ...

    def transition(self, job_id: str, from_status: JobStatus, **fields: Any) -> bool:
        """Set ``fields`` only if the job is still in ``from_status``; False when it was not.

        Atomic compare-and-set, so two workers handed the same job ID cannot both claim it.
        """
        ...

    def stale_running(self, older_than: datetime) -> Sequence[Job]:
        """Jobs marked running whose heartbeat is older than ``older_than`` (their worker died)."""
        ...

    def counts_by_status(self) -> dict[str, int]: ...


class UnitOfWork(Protocol):
    users: UserRepository
    jobs: JobRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Database(Protocol):
    """The SQL store as a whole: units of work, schema migration and health."""

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    @property
    def has_timescaledb(self) -> bool: ...

    def unit_of_work(self) -> UnitOfWork: ...

    def upgrade(self) -> str:
        """Migrate the schema to the newest revision; return that revision."""
        ...

    def current_revision(self) -> str | None: ...

    def refresh_events_daily(self) -> None:
        """Recompute ``mv_events_daily`` (a materialized view on PostgreSQL, a table on SQLite)."""
        ...

    def health(self) -> ComponentHealth: ...

    def close(self) -> None: ...
