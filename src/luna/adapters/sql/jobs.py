"""The ``jobs`` table: what every background job is doing, for the dashboards and for crash recovery."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime
from luna.adapters.sql.inserts import insert_unless_present
from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import jobs, utc_now
from luna.domain.errors import Conflict, NotFound
from luna.domain.jobs import Job, JobStatus

UPDATABLE_FIELDS = frozenset(column.name for column in jobs.columns) - {"job_id"}
#: The advisory lock key of exclusive submissions ("LUNJ").
SUBMISSIONS_LOCK = 0x4C554E4A


class SqlJobRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, job: Job) -> None:
        """Insert a new job; an ID that is already taken raises :class:`Conflict`."""
        row = {
            "job_id": require_uuid(job.job_id, "job_id"),
            "name": job.name,
            "status": JobStatus(job.status).value,
            "params": job.params,
            "progress": job.progress,
            "message": job.message,
            "error": job.error,
            "result": job.result,
            "attempts": job.attempts,
            "created_by": job.created_by,
            "worker": job.worker,
            "created_at": job.created_at or utc_now(),
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "heartbeat_at": job.heartbeat_at,
            "cancel_requested": job.cancel_requested,
        }
        if not insert_unless_present(self._connection(), jobs, row):
            raise Conflict(f"job {job.job_id!r} already exists")

    def serialise_submissions(self) -> None:
        connection = self._connection()
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUBMISSIONS_LOCK})

    def get(self, job_id: str) -> Job | None:
        key = parse_uuid(job_id)
        if key is None:
            return None
        row = self._connection().execute(sa.select(jobs).where(jobs.c.job_id == key)).one_or_none()
        return None if row is None else _to_job(row)

    def list(
        self, *, status: JobStatus | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Job]:
        """Newest first; ties (same ``created_at``) in a stable order so paging neither skips nor repeats."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        query = (
            sa.select(jobs)
            .where(*_filters(status, name))
            .order_by(jobs.c.created_at.desc(), jobs.c.job_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_to_job(row) for row in self._connection().execute(query)]

    def count(self, *, status: JobStatus | None = None, name: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(jobs).where(*_filters(status, name))
        return int(self._connection().execute(query).scalar_one())

    def update(self, job_id: str, **fields: Any) -> None:
        """Set columns of one job; a misspelt field name is a bug, so it raises instead of being ignored."""
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(f"unknown job fields {sorted(unknown)}; known: {sorted(UPDATABLE_FIELDS)}")
        key = parse_uuid(job_id)
        if key is None:
            raise NotFound(f"No job with id {job_id!r}.")
        if not fields:
            return
        if "status" in fields:
            fields["status"] = JobStatus(fields["status"]).value
        statement = sa.update(jobs).where(jobs.c.job_id == key).values(**fields).returning(jobs.c.job_id)
        if self._connection().execute(statement).first() is None:
            raise NotFound(f"No job with id {job_id!r}.")

    def transition(self, job_id: str, from_status: JobStatus, **fields: Any) -> bool:
        """Compare-and-set on the status column (one UPDATE, so concurrent claims cannot both win)."""
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(f"unknown job fields {sorted(unknown)}; known: {sorted(UPDATABLE_FIELDS)}")
        key = parse_uuid(job_id)
        if key is None:
            return False
        if "status" in fields:
            fields["status"] = JobStatus(fields["status"]).value
        statement = (
            sa.update(jobs)
            .where(jobs.c.job_id == key, jobs.c.status == JobStatus(from_status).value)
            .values(**fields)
            .returning(jobs.c.job_id)
        )
        return self._connection().execute(statement).first() is not None

    def stale_running(self, older_than: datetime) -> Sequence[Job]:
        """Running jobs whose last sign of life (heartbeat, else start, else creation) is before the cutoff.

        Oldest first: the job that has been silent longest is the surest to have lost its worker.
        """
        last_sign_of_life = sa.func.coalesce(
            jobs.c.heartbeat_at, jobs.c.started_at, jobs.c.created_at, type_=UtcDateTime()
        )
        query = (
            sa.select(jobs)
            .where(jobs.c.status == JobStatus.RUNNING.value, last_sign_of_life < older_than)
            .order_by(last_sign_of_life, jobs.c.job_id)
        )
        return [_to_job(row) for row in self._connection().execute(query)]

    def queued_before(self, created_before: datetime) -> Sequence[Job]:
        """Queued jobs created before the cutoff, oldest first: the candidates for a lost queue message."""
        query = (
            sa.select(jobs)
            .where(jobs.c.status == JobStatus.QUEUED.value, jobs.c.created_at < created_before)
            .order_by(jobs.c.created_at, jobs.c.job_id)
        )
        return [_to_job(row) for row in self._connection().execute(query)]

    def counts_by_status(self) -> dict[str, int]:
        """Every status with its count, zero included, so a dashboard can show all of them."""
        query = sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status)
        counts = {status.value: 0 for status in JobStatus}
        counts.update({status: int(count) for status, count in self._connection().execute(query).all()})
        return counts

    def delete_finished_before(self, cutoff: datetime) -> int:
        finished = [status.value for status in JobStatus if status.is_finished]
        statement = sa.delete(jobs).where(jobs.c.status.in_(finished), jobs.c.finished_at < cutoff)
        return int(self._connection().execute(statement).rowcount)


def _filters(status: JobStatus | None, name: str | None) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if status is not None:
        conditions.append(jobs.c.status == JobStatus(status).value)
    if name is not None:
        conditions.append(jobs.c.name == name)
    return conditions


def _to_job(row: sa.Row[Any]) -> Job:
    return Job(
        job_id=str(row.job_id),
        name=row.name,
        status=JobStatus(row.status),
        params=row.params or {},
        progress=row.progress,
        message=row.message,
        error=row.error,
        result=row.result,
        attempts=row.attempts,
        created_by=row.created_by,
        worker=row.worker,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        cancel_requested=bool(row.cancel_requested),
    )
