"""A pipeline run as a job: ``datasets.run`` (``luna datasets run``, ``POST /api/v1/admin/datasets/runs``);
for a ``partitioned`` pipeline it queues ``datasets.partition`` per file and the last one ``datasets.merge``.

The run's progress (sources read, steps, quality, distribution) shows on the job; cancelling stops it
between steps, and a cancelled or failed run leaves every earlier version untouched.
"""

from __future__ import annotations

import re
from typing import Any

from luna.container import Container
from luna.domain.datasets.pipeline import NAME_PATTERN
from luna.domain.errors import InvalidInput, field_problem
from luna.services.datasets.datasets import DATASETS_JOB, MERGE_JOB, PARTITION_JOB
from luna.workers.registry import register
from luna.workers.runner import JobContext


def check_run(container: Container, pipeline: object = None) -> None:
    """Refuse an unknown pipeline or a faulty pipeline file before the job is queued (400/404)."""
    if not isinstance(pipeline, str) or not re.fullmatch(NAME_PATTERN, pipeline):
        # As POST /admin/datasets/runs answers it: a name no pipeline file can have is a 400.
        raise InvalidInput(
            f"pipeline must name a pipeline file ({NAME_PATTERN}; see luna datasets pipelines)",
            details=field_problem("pipeline", f"must match {NAME_PATTERN}"),
        )
    container.services.datasets.pipeline(pipeline)


@register(DATASETS_JOB, check=check_run)
def run(container: Container, ctx: JobContext, pipeline: str) -> dict[str, Any]:
    """Run the pipeline file ``pipeline`` into a new dataset version and hand it to its consumers."""

    def progress(fraction: float, message: str) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(fraction, message)

    datasets = container.services.datasets
    if datasets.pipeline(pipeline).partitioned:
        started = datasets.start_partitioned(pipeline, container.services.jobs, job_id=ctx.job_id)
        return {"run_id": started.run_id, "status": "partitioned"}
    result = datasets.run(pipeline, job_id=ctx.job_id, progress=progress)
    return {"run_id": result.run_id, "version_id": result.version_id, "status": result.status}


def check_step(container: Container, **params: object) -> None:
    """Refuse a partition or merge submitted by hand: only its partitioned run knows which parts it
    expects, and a merge queued early would store a version of half the data. The run queues both
    itself, past this check."""
    raise InvalidInput(
        "datasets.partition and datasets.merge are steps of a partitioned run, queued by it; "
        "start the run (datasets.run with its pipeline) instead"
    )


@register(PARTITION_JOB, check=check_step)
def partition(
    container: Container, ctx: JobContext, run_id: str, part: int, source: int, only: str | None = None
) -> dict[str, Any]:
    """Read one partition of a partitioned run; the last partition queues ``datasets.merge``."""
    ctx.raise_if_cancelled()
    records = container.services.datasets.run_partition(run_id, part, source, only, container.services.jobs)
    return {"run_id": run_id, "part": part, "records": records}


@register(MERGE_JOB, check=check_step)
def merge(container: Container, ctx: JobContext, run_id: str) -> dict[str, Any]:
    """Clean, assess, store and hand over what the partitions read."""

    def progress(fraction: float, message: str) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(fraction, message)

    result = container.services.datasets.merge(run_id, progress=progress)
    return {"run_id": result.run_id, "version_id": result.version_id, "status": result.status}
