"""The learning job ``learn.run``: scores from events and ratings, then a fresh daily events rollup.

Started by operators (``POST /admin/learn``, ``luna learn run``) and nightly by the worker's schedule
(``luna.workers.runner``). The run is audited under the actor that queued the job.
"""

from __future__ import annotations

from typing import Any

from luna.container import Container
from luna.services.learning.learning import LEARN_JOB, parse_as_of
from luna.workers.registry import register
from luna.workers.runner import JobContext

#: Share of the job's progress bar the scoring takes; the events rollup takes the rest.
_SCORING_SHARE = 0.95


def check_run(container: Container, as_of: object = None) -> None:
    """Refuse an ``as_of`` the run would refuse (not ISO-8601 with a zone, or in the future) at submission."""
    parse_as_of(as_of)


@register(LEARN_JOB, check=check_run)
def run(container: Container, ctx: JobContext, as_of: str | None = None) -> dict[str, Any]:
    """Compute and store the scores as of ``as_of`` (ISO-8601 with a zone; default: the newest input)."""
    actor = container.services.jobs.get(ctx.job_id).created_by or "worker"
    result = container.services.learning.run(
        actor,
        as_of=parse_as_of(as_of),
        job_id=ctx.job_id,
        progress=lambda fraction, message: ctx.progress(_SCORING_SHARE * fraction, message),
    )
    ctx.progress(_SCORING_SHARE, "Tagesstatistik der Ereignisse wird neu berechnet")
    container.database.refresh_events_daily()
    ctx.progress(1.0, f"Version {result.version} {'unverändert' if result.unchanged else 'gespeichert'}")
    return {**result.as_dict(), "events_daily_refreshed": True}
