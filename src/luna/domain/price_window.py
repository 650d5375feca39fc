"""The cheapest stretch of the coming hours and what a kilowatt-hour costs a customer in it.

A customer deciding when to run the dishwasher wants two figures: what power costs *now*, and when in
the hours ahead it is cheapest, both as their own price in ct/kWh (the exchange price plus the dynamic
tariff's surcharges), not as the exchange's €/MWh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class PriceWindow:
    start: datetime
    end: datetime
    #: Mean exchange price over the window.
    exchange_eur_mwh: float
    #: What the customer pays on the dynamic tariff: exchange price plus surcharges.
    customer_ct_kwh: float


def customer_ct_kwh(exchange_eur_mwh: float, surcharge_eur_kwh: float) -> float:
    """The dynamic tariff's price in ct/kWh: the exchange price (€/MWh → €/kWh) plus the surcharges."""
    return (exchange_eur_mwh / 1000 + surcharge_eur_kwh) * 100


def cheapest_window(
    start: datetime, quarter_prices: Sequence[float], hours: float, surcharge_eur_kwh: float
) -> PriceWindow | None:
    """The ``hours``-long stretch of whole quarter-hours from ``start`` with the lowest mean price.

    ``quarter_prices[i]`` is the €/MWh price of quarter-hour ``i`` after ``start`` (NaN where no price
    is known yet); a window never spans an unknown quarter-hour. None when no window fits.
    """
    start = start.astimezone(UTC)  # count quarter-hours in real time, not on a clock that may jump
    width = max(1, round(hours * 4))
    best: tuple[float, int] | None = None
    for first in range(len(quarter_prices) - width + 1):
        window = quarter_prices[first : first + width]
        if any(math.isnan(price) for price in window):
            continue
        mean = sum(window) / width
        if best is None or mean < best[0]:
            best = (mean, first)
    if best is None:
        return None
    mean, first = best
    begins = start + first * QUARTER
    return PriceWindow(begins, begins + width * QUARTER, mean, customer_ct_kwh(mean, surcharge_eur_kwh))


def cheapest_per_day(
    start: datetime,
    quarter_prices: Sequence[float],
    hours: float,
    surcharge_eur_kwh: float,
    *,
    not_before: datetime,
    zone: tzinfo,
) -> list[PriceWindow]:
    """Each local day's cheapest window that lies within that day and starts at ``not_before`` or later.

    A past window is no advice, so today's search begins now; a day whose prices are not known yet
    (or whose rest is too short) gets no window.
    """
    start = start.astimezone(UTC)
    end = start + len(quarter_prices) * QUARTER
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    windows: list[PriceWindow] = []
    while day < end:
        following = day + timedelta(days=1)  # wall-clock arithmetic: the next local midnight
        first = max(day, start, _ceil_quarter(not_before, start))
        lo = _index(first, start)
        hi = min(_index(following, start), len(quarter_prices))
        if lo < hi:
            window = cheapest_window(first, quarter_prices[lo:hi], hours, surcharge_eur_kwh)
            if window is not None:
                windows.append(window)
        day = following
    return windows


def _index(instant: datetime, start: datetime) -> int:
    return int((instant - start) / QUARTER)


def _ceil_quarter(instant: datetime, origin: datetime) -> datetime:
    """``instant`` moved forward to the next quarter-hour boundary counted from ``origin``."""
    steps = -(-(instant - origin) // QUARTER)
    return origin + steps * QUARTER
