"""The fine-tuning job: ``finetune.run`` trains, evaluates, registers and (when its gates pass) promotes.

Started by ``POST /api/v1/admin/jobs`` (``{"name": "finetune.run", "params": {"resume": "<run_id>"}}``),
by an approved flywheel ticket of kind ``finetune_run``, or in-process by ``luna finetune run``. The
template is the configured one (``finetune.config_file``) or ``config`` (a path on the worker's machine).
Cancelling the job stops training after a checkpoint and ends the job cancelled, its message naming the
``luna finetune run --resume <run_id>`` that continues it; a run stopped by its time budget ends
succeeded with a result that says so (``stopped``, ``resume``).
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

    result = container.finetune.service.run(
        f"job:{ctx.job_id}",
        progress,
        ctx.cancelled,
        config_file=None if config is None else Path(config),
        resume=resume,
        run_name=f"job-{ctx.job_id}",
    )
    if result.get("stopped") and ctx.cancelled():
        # A cancelled job ends cancelled, its last message saying how to go on from the checkpoint.
        ctx.progress(0.7, f"{result['alert']}; fortsetzen: {result['resume']}")
        ctx.beat()
        ctx.raise_if_cancelled()
    return result
