"""``/api/v1/admin/jobs``: start known background jobs, follow their progress, cancel them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from luna.api.deps import Jobs, ParamCheck, get_container, get_param_checks
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import uuid_or_404
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.jobs import JobOut, JobPage, JobSubmission
from luna.container import Container
from luna.domain.jobs import JobStatus

router = APIRouter(prefix="/jobs", tags=["admin"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No job with this id")}

#: Who the job record names as its creator when an operator starts it through the API.
ADMIN_CREATOR = "admin-api"


@router.get("", summary="List jobs, newest first")
def list_jobs(
    jobs: Jobs,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
    name: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="Only jobs with this name"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Envelope[JobPage]:
    found, total = jobs.list(status, name, limit, offset)
    page = JobPage(items=[JobOut.from_job(job) for job in found], total=total, limit=limit, offset=offset)
    return ok(page, f"{len(found)} of {total} jobs.")


@router.post(
    "",
    status_code=202,
    summary="Start a known job",
    responses={400: error_response("Unknown job name or invalid params")},
)
def submit_job(
    jobs: Jobs,
    container: Annotated[Container, Depends(get_container)],
    param_checks: Annotated[Mapping[str, ParamCheck], Depends(get_param_checks)],
    submission: JobSubmission,
) -> Envelope[JobOut]:
    param_check = param_checks.get(submission.name)
    check = None if param_check is None else functools.partial(_run_check, param_check, container)
    job = jobs.submit(submission.name, submission.params, ADMIN_CREATOR, check)
    return ok(JobOut.from_job(job), f"Job {job.name} is queued.")


def _run_check(check: ParamCheck, container: Container, params: dict[str, Any]) -> None:
    check(container, **params)


@router.get("/{job_id}", summary="One job with its progress", responses=_NOT_FOUND)
def get_job(jobs: Jobs, job_id: str) -> Envelope[JobOut]:
    return ok(JobOut.from_job(jobs.get(uuid_or_404(job_id, "job"))))


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a job",
    description="A queued job is cancelled at once; a running job stops at its next checkpoint.",
    responses={**_NOT_FOUND, 409: error_response("The job has already finished")},
)
def cancel_job(jobs: Jobs, job_id: str) -> Envelope[JobOut]:
    job = jobs.cancel(uuid_or_404(job_id, "job"))
    if job.status is JobStatus.RUNNING:
        return ok(
            JobOut.from_job(job), f"Job {job.name} is running; it was asked to stop at its next checkpoint."
        )
    return ok(JobOut.from_job(job), f"Job {job.name} is {job.status.value}.")
