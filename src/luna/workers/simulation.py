"""Simulation jobs: the live loops (``sim.live``) and a history backfill (``sim.backfill``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from luna.container import Container
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.jobs import Job
from luna.services.energy.simulation import parse_instant
from luna.workers.registry import JobResult, register
from luna.workers.runner import JobCancelledError, JobContext


def check_live(container: Container, meters: object = None, seed: object = None) -> None:
    """Refuse a second live simulation, or one whose fleet is invalid or clashes with stored meters (at
    submission through ``POST /admin/jobs``, as ``POST /sim/run`` does)."""
    container.services.simulation_control.refuse_if_live()
    container.services.simulation.prepared_live_fleet(
        _whole_or_none(meters, "meters"), _whole_or_none(seed, "seed")
    )


def check_backfill(
    container: Container, start: object, end: object, meters: object = None, seed: object = None
) -> None:
    """Refuse a backfill the worker would refuse (period, products, fleet) before it is queued."""
    container.services.simulation.check_backfill(
        _instant(start, "start"),
        _instant(end, "end"),
        _whole_or_none(meters, "meters"),
        _whole_or_none(seed, "seed"),
    )


@register("sim.live", check=check_live)
def live(
    container: Container, ctx: JobContext, meters: int | None = None, seed: int | None = None
) -> JobResult:
    """Write the fleet's readings and the day-ahead prices as time passes, until stopped.

    The job only ends on a stop request (or a failure), so a stopped live simulation is ``cancelled``;
    its last progress message keeps the tally.
    """
    simulation = container.services.simulation.live(meters, seed)
    ctx.progress(0.0, f"Live-Simulation mit {len(simulation.meters)} Zählern startet")
    simulation.run(ctx.cancelled, lambda totals: ctx.progress(0.0, totals.message()))
    ctx.progress(0.0, simulation.totals.message())
    raise JobCancelledError(ctx.job_id)


@register("sim.backfill", check=check_backfill)
def backfill(
    container: Container,
    ctx: JobContext,
    start: str,
    end: str,
    meters: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Simulate and store ``[start, end)`` (ISO-8601 with a time zone, or a date: 00:00 Europe/Berlin)."""
    summary = container.services.simulation.backfill(
        _instant(start, "start"),
        _instant(end, "end"),
        meters,
        seed,
        progress=ctx.progress,
        should_stop=ctx.cancelled,
    )
    ctx.raise_if_cancelled()
    return summary.as_dict()


def _whole_or_none(value: object, name: str) -> int | None:
    """A JSON param that must be a whole number (``true`` is not 1) or absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number, not {value!r}")
    return value


def _instant(value: object, name: str) -> datetime:
    """A param of ``POST /admin/jobs`` as an instant: JSON may carry any type, not only text."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text: a date (2024-03-01) or an ISO-8601 datetime, not {value!r}")
    return parse_instant(value, name)


def queue_demo_backfill(container: Container) -> Job | None:
    """On a start with no readings, queue ``sim.demo_backfill_days`` of history (``luna serve``)."""
    settings = container.settings.sim
    return container.services.simulation_control.queue_demo_backfill(
        settings.demo_backfill_days, settings.meters, settings.seed, "luna-serve"
    )


def start_demo_live(container: Container) -> Job | None:
    """With the demo's history, the live simulation too (``luna serve``'s first start): without it the
    readings and prices end at the moment Luna first started, so the dashboards go stale within minutes
    and the cheapest windows of today and tomorrow never show. None while one is queued or running, and
    with a single job worker (``jobs.workers: 1``), which the endless loop would hold.
    It runs until an operator stops it (dashboard or ``POST /sim/run``); a restart re-queues it like
    any job a stopped worker left running."""
    if container.settings.jobs.workers < 2:
        return None  # the loop would hold the only worker, and every later job would wait behind it
    settings = container.settings.sim
    try:
        return container.services.simulation_control.start(settings.meters, settings.seed, "luna-serve")
    except Conflict:
        return None
