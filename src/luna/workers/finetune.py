"""The fine-tuning job: ``finetune.run`` trains, evaluates, registers and (when its gates pass) promotes.

Started by ``POST /api/v1/admin/jobs`` (``{"name": "finetune.run", "params": {"resume": "<run_id>"}}``),
by an approved flywheel ticket of kind ``finetune_run``, or in-process by ``luna finetune run``. The
template is the configured one (``finetune.config_file``) or ``config``: the name or path of a template
Luna ships (``config/finetune/``) or of one under ``<data_dir>/finetune/templates/``, never any other
file on the worker's machine (``services/finetune/run_params.py`` says why). ``resume`` is a plain run ID
with a run folder; ``config`` and ``resume`` together are refused, as a resumed run keeps its template.
Cancelling the job stops training after a checkpoint and ends the job cancelled, its message naming the
``luna finetune run --resume <run_id>`` that continues it; a run stopped by its time budget ends
succeeded with a result that says so (``stopped``, ``resume``).
"""

from __future__ import annotations

from typing import Any

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.services.finetune.run_params import TEMPLATE_RULE, is_run_id
from luna.workers.registry import register
from luna.workers.runner import JobContext


def check_run(container: Container, config: object = None, resume: object = None) -> None:
    """Refuse a run whose template is not allowed, missing or invalid, or whose run ID is no run ID
    (400; a well-formed ID without a run folder, or a dataset without the version the template names,
    is 404), before it is queued."""
    service = container.finetune.service
    if resume is not None:
        if not is_run_id(resume):
            raise InvalidInput("resume must be a run ID (luna finetune status lists them)")
        if config is not None:
            raise InvalidInput("give config or resume, not both: a resumed run keeps its own template")
        service.check_resume(str(resume))
        return
    if config is not None and not isinstance(config, str):
        raise InvalidInput(TEMPLATE_RULE)
    service.check_startable(service.config(None if config is None else service.template(config)))


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
        config_file=None if config is None else container.finetune.service.template(config),
        resume=resume,
        run_name=f"job-{ctx.job_id}",
    )
    if result.get("stopped") and ctx.cancelled():
        # A cancelled job ends cancelled, its last message saying how to go on from the checkpoint.
        ctx.progress(0.7, f"{result['alert']}; fortsetzen: {result['resume']}")
        ctx.beat()
        ctx.raise_if_cancelled()
    return result
