"""``/api/v1/admin/learn`` and ``/api/v1/admin/audit``: the learning run, its score versions, the audit log.

Starting a run queues the job ``learn.run`` (it shows in ``/admin/jobs`` like every job); one run at a
time, so a second start while one is queued or running answers 409 with that job's id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.jobs import JobOut
from luna.api.schemas.learning import (
    MAX_AUDIT_ENTRIES,
    MAX_VERSIONS,
    AuditEntryOut,
    AuditPage,
    LearningStatusOut,
    LearnRun,
)
from luna.services.learning.learning import LearningControl, LearningService

#: Who the job record and the audit log name when an operator starts a run through the API.
LEARN_CREATOR = "admin-api"

router = APIRouter(tags=["learning"])


Control = Annotated[LearningControl, from_services(lambda s: s.learning_control)]
Learning = Annotated[LearningService, from_services(lambda s: s.learning)]


@router.post(
    "/learn",
    status_code=202,
    summary="Start a learning run",
    description=(
        "Queues the job `learn.run`: popularity (time-decayed events) and quality (smoothed ratings) per "
        "chunk and item, stored as a new score version (or reported `unchanged` when nothing changed "
        "since the newest one), audited as `learn.run`; it also refreshes the daily events rollup. "
        "Follow it in `/admin/jobs/{job_id}`. The body is optional."
    ),
    responses={
        202: {"description": "The run is queued"},
        409: error_response("A run is already queued or running (`data.details.job_id`)"),
    },
)
def start_run(control: Control, body: LearnRun | None = None) -> Envelope[JobOut]:
    job = control.start(LEARN_CREATOR, body.as_of if body is not None else None)
    return ok(JobOut.from_job(job), f"The learning run is queued as job {job.job_id}.")


@router.get(
    "/learn",
    summary="Score versions and recent learning runs",
    description="The newest score version (the one retrieval uses), the recent versions, the newest "
    "`learn.run` audit entries and the run queued or running now.",
)
def learning_status(
    control: Control,
    limit: Annotated[int, Query(ge=1, le=MAX_VERSIONS, description="Versions to list")] = 20,
) -> Envelope[LearningStatusOut]:
    status = LearningStatusOut.from_overview(control.overview(limit=limit, audit_limit=limit))
    newest = f"version {status.latest.version}" if status.latest is not None else "no version yet"
    return ok(status, f"Scores: {newest}.")


@router.get(
    "/audit",
    summary="The audit log, newest first",
    description="Who did what when with what effect (the learning runs write `learn.run` entries).",
)
def audit_log(
    learning: Learning,
    action: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="Only entries of this action"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_ENTRIES)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Skip this many of the newest")] = 0,
) -> Envelope[AuditPage]:
    entries = [AuditEntryOut.from_entry(entry) for entry in learning.audit_log(action, limit, offset)]
    return ok(AuditPage(entries=entries), f"{len(entries)} audit entries from number {offset + 1}.")
