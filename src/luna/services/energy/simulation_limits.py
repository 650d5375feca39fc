"""How much simulation one request may ask for: refused before anything is drawn, queued or stored.

The fleet may have up to 100,000 meters, but not every use of it scales alike. The live simulation keeps
each meter's simulated day in memory (about 110 kB at a 1-minute step) and simulates it in one go (about
11 ms per meter): 100,000 live meters would hold 11 GB per day and need 18 minutes for one tick, during
which a stop request went unanswered. A backfill is bounded by the readings it writes: 100,000 meters
over 25 years are 1.3 trillion rows, weeks of writing. Both limits are settings
(``sim.max_live_meters``, ``sim.max_backfill_rows``), so a larger machine may raise them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from luna.domain.errors import InvalidInput


def check_live_size(count: int, limit: int) -> None:
    """Refuse a live fleet of more than ``limit`` meters, saying why and what to do instead."""
    if count > limit:
        raise InvalidInput(
            f"the live simulation runs at most {limit:,} meters (sim.max_live_meters), not {count:,}: "
            "each keeps its simulated day in memory (about 110 kB at a 1-minute step). Backfill history "
            "for a larger fleet, or raise sim.max_live_meters on a machine with the memory for it",
            details={"meters": count, "max_live_meters": limit},
        )


def check_backfill_size(start: datetime, end: datetime, count: int, step: timedelta, limit: int) -> None:
    """Refuse a backfill of more than ``limit`` readings (``count`` meters × the period's intervals)."""
    intervals = max(int((end - start) / step), 0)
    rows = count * intervals
    if rows > limit:
        minutes = int(step.total_seconds()) // 60
        raise InvalidInput(
            f"this backfill would write {rows:,} readings ({count:,} meters × {intervals:,} "
            f"{minutes}-minute intervals); one run writes at most {limit:,} (sim.max_backfill_rows). "
            "Choose a shorter period or fewer meters, run it in parts, or raise the setting",
            details={"readings": rows, "max_backfill_rows": limit},
        )
