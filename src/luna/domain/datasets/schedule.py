"""When a pipeline's schedule (``hourly`` or ``daily HH:MM``, UTC) makes a run due.

A run is due once per slot: the slot is the current clock hour, or the day's slot from ``HH:MM`` on.
Checking whether a run was queued since the slot began (not whether it is exactly HH:MM) lets a worker
that was down at 02:30 catch up when it starts, and never queues the same slot twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def slot_start(schedule: str, now: datetime) -> datetime:
    """The start of the slot ``now`` falls in (for ``daily``: yesterday's time before today's)."""
    if schedule == "hourly":
        return now.replace(minute=0, second=0, microsecond=0)
    hour, minute = (int(part) for part in schedule.removeprefix("daily ").split(":"))
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if now >= today else today - timedelta(days=1)


def run_due(schedule: str | None, now: datetime, last_queued: datetime | None, active: bool) -> bool:
    """Due when the pipeline has a schedule, no run of it is queued or running, and none was queued
    since the current slot began."""
    if schedule is None or active:
        return False
    return last_queued is None or last_queued < slot_start(schedule, now)
