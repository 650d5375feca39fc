"""``/api/v1/admin/jobs``: background jobs as operators see and start them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.jobs import Job, JobStatus


def _utc(moment: datetime | None) -> datetime | None:
    """Timestamps leave the API in UTC; a naive one from the store already is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class JobOut(BaseModel):
    job_id: str
    name: str
    status: JobStatus
    params: dict[str, Any]
    progress: float = Field(description="0.0 to 1.0")
    message: str | None = Field(description="What the job is doing now")
    error: str | None
    result: dict[str, Any] | None
    attempts: int
    created_by: str | None
    worker: str | None
    created_at: datetime | None = Field(description="ISO-8601, UTC")
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    cancel_requested: bool

    @classmethod
    def from_job(cls, job: Job) -> JobOut:
        fields = asdict(job)
        for name in ("created_at", "started_at", "finished_at", "heartbeat_at"):
            fields[name] = _utc(fields[name])
        return cls.model_validate(fields)


class JobPage(BaseModel):
    items: list[JobOut]
    total: int = Field(description="Jobs matching the filter, over all pages")
    limit: int
    offset: int


class JobSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=100,
        description="A known job, e.g. `maintenance.refresh_events_daily` (`luna jobs names` lists them)",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="The job's parameters")
