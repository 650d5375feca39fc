"""The flywheel's cycle as a job: ``flywheel.hourly`` (own sessions in, KPIs, alerts), its dry run
``flywheel.dry_run``, and its normalisation alone: ``flywheel.vector_ingest``
(``luna data --pipeline vector-ingest``).

Queued once per clock hour by the worker's schedule (``flywheel.schedule_enabled``), by operators
(``POST /api/v1/admin/jobs``, the job form, ``luna flywheel run``) or by an external scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.services.flywheel.cycle import (
    FLYWHEEL_DRY_RUN_JOB,
    FLYWHEEL_JOB,
    VECTOR_INGEST_DAYS,
    VECTOR_INGEST_JOB,
)
from luna.workers.registry import register
from luna.workers.runner import JobContext

#: The longest look back a vector-ingest run accepts.
MAX_DAYS: Final = 366


@register(FLYWHEEL_JOB)
def run(container: Container, ctx: JobContext) -> dict[str, Any]:
    """Collect Luna's own sessions, recompute the KPIs and judge the thresholds."""
    return container.services.flywheel.run(_progress(ctx)).as_dict()


@register(FLYWHEEL_DRY_RUN_JOB)
def dry_run(container: Container, ctx: JobContext) -> dict[str, Any]:
    """The cycle without storing an alert change, sending an alert or opening an action
    (``luna flywheel run --dry-run`` while `luna serve` owns the vector folder)."""
    return container.services.flywheel.run(_progress(ctx), dry_run=True).as_dict()


def _progress(ctx: JobContext) -> Callable[[float, str], None]:
    def progress(fraction: float, message: str) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(fraction, message)

    return progress


def _days(days: object) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be a whole number from 1 to {MAX_DAYS}")
    return days


def check_vector_ingest(container: Container, days: object = VECTOR_INGEST_DAYS) -> None:
    """Refuse a wrong ``days`` before the job is queued (a 400, not a failed job)."""
    _days(days)


@register(VECTOR_INGEST_JOB, check=check_vector_ingest)
def vector_ingest(container: Container, ctx: JobContext, days: int = VECTOR_INGEST_DAYS) -> dict[str, Any]:
    """Embed the questions of the last ``days`` into topics, find knowledge gaps, write the report."""

    def progress(fraction: float, message: str) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(fraction, message)

    now = datetime.now(UTC)
    return container.services.normaliser.run(now - timedelta(days=_days(days)), now, progress).as_dict()
