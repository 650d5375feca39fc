"""Background jobs: the record every job leaves in the SQL ``jobs`` table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

#: ``fn(container, ctx, **params) -> dict | None``: what a job name stands for. Services check a
#: submission's params against its signature; the parameters differ per job, hence ``...``.
JobFunction = Callable[..., dict[str, Any] | None]


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(slots=True)
class Job:
    """A unit of long work. ``progress`` runs from 0.0 to 1.0; ``message`` says what it is doing now."""

    job_id: str
    name: str
    status: JobStatus
    params: dict[str, Any] = field(default_factory=dict)
    progress: float = 0.0
    message: str | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    attempts: int = 0
    created_by: str | None = None
    worker: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
