"""A pipeline run as a job: ``datasets.run`` (``luna datasets run``, ``POST /api/v1/admin/datasets/runs``).

The run's progress (sources read, steps, quality, distribution) shows on the job; cancelling stops it
between steps, and a cancelled or failed run leaves every earlier version untouched.
"""

from __future__ import annotations

from typing import Any

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.services.datasets.datasets import DATASETS_JOB
from luna.workers.registry import register
from luna.workers.runner import JobContext


def check_run(container: Container, pipeline: object = None) -> None:
    """Refuse an unknown pipeline or a faulty pipeline file before the job is queued (400/404)."""
    if not isinstance(pipeline, str):
        raise InvalidInput("pipeline must name a pipeline file (see luna datasets pipelines)")
    container.services.datasets.pipeline(pipeline)


@register(DATASETS_JOB, check=check_run)
def run(container: Container, ctx: JobContext, pipeline: str) -> dict[str, Any]:
    """Run the pipeline file ``pipeline`` into a new dataset version and hand it to its consumers."""

    def progress(fraction: float, message: str) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(fraction, message)

    result = container.services.datasets.run(pipeline, job_id=ctx.job_id, progress=progress)
    return {"run_id": result.run_id, "version_id": result.version_id, "status": result.status}
