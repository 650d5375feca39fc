"""The fine-tuning job: ``finetune.run`` trains, evaluates, registers and (when its gates pass) promotes.

Started by ``POST /api/v1/admin/jobs`` (``{"name": "finetune.run", "params": {"resume": "<run_id>"}}``),
by an approved flywheel ticket of kind ``finetune_run``, or in-process by ``luna finetune run``. The
template is the configured one (``finetune.config_file``) or ``config`` (a path on the worker's machine).
Cancelling the job stops training after a checkpoint; the run can then be resumed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.workers.registry import register
from luna.workers.runner import JobContext


def check_run(container: Container, config: object = None, resume: object = None) -> None:
    """Refuse a run whose template is missing or invalid before it is queued."""
    if resume is not None and (not isinstance(resume, str) or not resume or "/" in resume):
        raise InvalidInput("resume must be a run ID (luna finetune status lists them)")
    if config is not None and not isinstance(config, str):
        raise InvalidInput("config must be the path of a LoRA template")
    if resume is None:
        container.finetune.service.config(None if config is None else Path(config))


@register("finetune.run", check=check_run)
def run(
    container: Container, ctx: JobContext, config: str | None = None, resume: str | None = None
) -> dict[str, Any]:
    def progress(fraction: float, message: str) -> None:
        ctx.progress(fraction, message)

    return container.finetune.service.run(
        f"job:{ctx.job_id}",
        progress,
        ctx.cancelled,
        config_file=None if config is None else Path(config),
        resume=resume,
    )
