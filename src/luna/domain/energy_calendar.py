"""Energy per Europe/Berlin hour, day or month: the kWh bars a household reads its consumption in.

The store's day rollups are UTC days (23:00 or 22:00 on a German clock), so a German day is summed
from hourly rollups instead; Berlin's offset from UTC is always whole hours, so every UTC hour lies in
exactly one local hour, day and month. A bar the data covers only in part (the day still running, the
day the meter started) says so, because a half-filled bar read as a whole one looks like a drop in
consumption.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

BERLIN: Final = ZoneInfo("Europe/Berlin")

BarUnit = Literal["hour", "day", "month"]

#: An hourly rollup row: start of the hour, consumption kWh, production kWh (None where unknown).
HourRow = tuple[datetime, float | None, float | None]


@dataclass(frozen=True)
class EnergyBar:
    """kWh of one local hour, day or month (``start``/``end`` in UTC); ``covered_from`` and
    ``covered_until`` are set where the meter's data begins or ends inside the bar (then it is partial)."""

    start: datetime
    end: datetime
    consumption_kwh: float | None
    production_kwh: float | None
    covered_from: datetime | None = None
    covered_until: datetime | None = None

    @property
    def partial(self) -> bool:
        return self.covered_from is not None or self.covered_until is not None


def bar_start(instant: datetime, unit: BarUnit) -> datetime:
    """Start (Europe/Berlin) of the hour, day or month ``instant`` falls in."""
    local = instant.astimezone(BERLIN)
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date().replace(day=1) if unit == "month" else local.date()
    return datetime.combine(day, time(), tzinfo=BERLIN)


def next_bar(start: datetime, unit: BarUnit) -> datetime:
    """Start of the bar after the one starting at ``start`` (a local day has 23, 24 or 25 hours)."""
    if unit == "hour":
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(BERLIN)
    local = start.astimezone(BERLIN).date()
    if unit == "day":
        following = local + timedelta(days=1)
    else:
        following = (local.replace(day=1) + timedelta(days=32)).replace(day=1)
    return datetime.combine(following, time(), tzinfo=BERLIN)


def whole_bars_within(start: datetime, end: datetime, unit: BarUnit) -> datetime:
    """The first bar start at or after ``start``: a period of 7 days ending now shows 7 day bars
    (six whole ones and today), not an eighth that began before the period."""
    first = bar_start(start, unit)
    if first == start:
        return first
    following = next_bar(first, unit)
    return following if following < end else first


def energy_bars(
    rows: Sequence[HourRow],
    unit: BarUnit,
    start: datetime,
    end: datetime,
    data: tuple[datetime, datetime],
) -> list[EnergyBar]:
    """The bars covering ``[start, end)``, each summing the hourly rows inside it.

    ``data`` is the span the meter has readings for; a bar without any row is drawn empty (None),
    so a gap stays a gap instead of closing up the axis.
    """
    sums: dict[datetime, list[float | None]] = {}
    for ts, consumption, production in rows:
        # Keys in UTC: two local 02:00 of the autumn clock change compare equal on the wall clock.
        total = sums.setdefault(bar_start(ts, unit).astimezone(UTC), [None, None])
        total[0] = _add(total[0], consumption)
        total[1] = _add(total[1], production)
    bars = []
    first, last = data
    at = bar_start(start, unit).astimezone(UTC)
    while at < end:
        following = next_bar(at, unit).astimezone(UTC)
        consumption, production = sums.get(at, (None, None))
        bars.append(
            EnergyBar(
                at,
                following,
                consumption,
                production,
                covered_from=first if at < first < following else None,
                covered_until=last if at < last < following else None,
            )
        )
        at = following
    return bars


def _add(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return value if total is None else total + value
