"""Housekeeping jobs that keep derived data fresh."""

from __future__ import annotations

from luna.container import Container
from luna.workers.registry import register
from luna.workers.runner import JobContext


@register("maintenance.refresh_events_daily")
def refresh_events_daily(container: Container, ctx: JobContext) -> dict[str, bool]:
    """Recompute the daily event rollup (``mv_events_daily``) that the dashboards read."""
    ctx.progress(0.0, "Tagesstatistik der Ereignisse wird neu berechnet")
    container.database.refresh_events_daily()
    ctx.progress(1.0, "Tagesstatistik der Ereignisse ist aktuell")
    return {"refreshed": True}
