"""``/api/v1/admin/learn`` and ``/api/v1/admin/audit``: learning runs, score versions, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.api.schemas.jobs import JobOut
from luna.domain.scores import AuditEntry, ScoreVersion
from luna.services.learning.learning import LearningOverview

MAX_VERSIONS = 100
MAX_AUDIT_ENTRIES = 500


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class LearnRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: str | None = Field(
        default=None,
        max_length=64,
        description="Score as of this moment (ISO-8601 with a time zone, not in the future); "
        "default: the newest event or rating",
        examples=["2025-03-01T03:00:00+01:00"],
    )


class ScoreVersionOut(BaseModel):
    version: int
    computed_at: datetime = Field(description="When the run stored it, UTC")
    as_of: datetime = Field(description="The moment popularity decays towards, UTC")
    actor: str = Field(description="Who started the run (`schedule`, `admin-api`, `cli:…`)")
    job_id: str | None
    inputs_sha256: str = Field(description="Hash of the events, ratings, live targets and parameters used")
    chunks: int = Field(description="Chunks with a score in this version")
    items: int = Field(description="Items with a score in this version")
    params: dict[str, Any] = Field(description="Half-life, event weights, quality prior, consent default")

    @classmethod
    def from_version(cls, version: ScoreVersion) -> ScoreVersionOut:
        return cls(
            version=version.version,
            computed_at=_utc(version.computed_at),
            as_of=_utc(version.as_of),
            actor=version.actor,
            job_id=version.job_id,
            inputs_sha256=version.inputs_sha256,
            chunks=version.chunks,
            items=version.items,
            params=version.params,
        )


class AuditEntryOut(BaseModel):
    audit_id: str
    ts: datetime = Field(description="UTC")
    actor: str
    action: str = Field(description="What was done, e.g. `learn.run`")
    target: str | None = Field(description="What it was done to, e.g. `scores:v3`")
    details: dict[str, Any] = Field(description="The action's own record (for `learn.run`: counts, changes)")

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            audit_id=entry.audit_id,
            ts=_utc(entry.ts),
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=entry.details,
        )


class LearningStatusOut(BaseModel):
    latest: ScoreVersionOut | None = Field(description="The version retrieval and the recommender use")
    versions: list[ScoreVersionOut] = Field(description="Newest first")
    audit: list[AuditEntryOut] = Field(description="The newest `learn.run` audit entries, newest first")
    job: JobOut | None = Field(description="The learning run queued or running now")

    @classmethod
    def from_overview(cls, overview: LearningOverview) -> LearningStatusOut:
        versions = [ScoreVersionOut.from_version(version) for version in overview.versions]
        return cls(
            latest=versions[0] if versions else None,
            versions=versions,
            audit=[AuditEntryOut.from_entry(entry) for entry in overview.audit],
            job=JobOut.from_job(overview.job) if overview.job is not None else None,
        )


class AuditPage(BaseModel):
    entries: list[AuditEntryOut] = Field(description="Newest first")
