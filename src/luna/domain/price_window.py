"""The cheapest stretch of the coming hours and what a kilowatt-hour costs a customer in it.

A customer deciding when to run the dishwasher wants two figures: what power costs *now*, and when in
the hours ahead it is cheapest, both as their own price in ct/kWh, not as the exchange's €/MWh.

Their own price is the end-customer price of a dynamic tariff, made up as a German bill makes it up:
``(exchange price + surcharges) × (1 + VAT)``. The surcharges (grid fee, levies, electricity tax,
the supplier's margin) are net amounts per kWh; VAT is charged on all of it, the exchange price
included (:class:`EndCustomerPrice`).
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
    #: What the customer pays on the dynamic tariff (:class:`EndCustomerPrice`), in ct/kWh.
    customer_ct_kwh: float


@dataclass(frozen=True)
class Surcharge:
    """One named part of the price per kWh besides the exchange price, net of VAT."""

    #: German name, as a bill names it ("Netzentgelt", "Stromsteuer" …).
    name: str
    ct_kwh: float


@dataclass(frozen=True)
class EndCustomerPrice:
    """How the end-customer price follows from the exchange price: ``(exchange + surcharges) × (1 + VAT)``."""

    surcharges: tuple[Surcharge, ...] = ()
    vat_percent: float = 0.0

    @property
    def surcharge_ct_kwh(self) -> float:
        """The surcharges together, net of VAT."""
        return sum(part.ct_kwh for part in self.surcharges)

    def ct_kwh(self, exchange_eur_mwh: float) -> float:
        """The end-customer price in ct/kWh of an exchange price in €/MWh (1 €/MWh = 0.1 ct/kWh)."""
        return (exchange_eur_mwh / 10 + self.surcharge_ct_kwh) * (1 + self.vat_percent / 100)

    def explanation(self) -> str:
        """One German line saying how the price is made up, for the people who pay it."""
        vat = f"zzgl. {_de(self.vat_percent)} % MwSt." if self.vat_percent else "ohne MwSt."
        if not self.surcharge_ct_kwh:
            return f"Endkundenpreis = Börsenpreis {vat}"
        return f"Endkundenpreis = (Börsenpreis + {_de(self.surcharge_ct_kwh)} ct/kWh Aufschläge) {vat}"

    def breakdown(self) -> str:
        """The surcharges one by one, e.g. ``Aufschläge je kWh (netto): Netzentgelt 10 ct · …``."""
        parts = " · ".join(f"{part.name} {_de(part.ct_kwh)} ct" for part in self.surcharges if part.ct_kwh)
        return f"Aufschläge je kWh (netto): {parts}" if parts else ""


def customer_ct_kwh(exchange_eur_mwh: float, price: EndCustomerPrice) -> float:
    """The dynamic tariff's end-customer price in ct/kWh of an exchange price in €/MWh."""
    return price.ct_kwh(exchange_eur_mwh)


def _de(value: float) -> str:
    """``19``, ``2,05``, ``18,59``: at most two decimals, a decimal comma, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def cheapest_window(
    start: datetime, quarter_prices: Sequence[float], hours: float, price: EndCustomerPrice
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
        if any(math.isnan(value) for value in window):
            continue
        mean = sum(window) / width
        if best is None or mean < best[0]:
            best = (mean, first)
    if best is None:
        return None
    mean, first = best
    begins = start + first * QUARTER
    return PriceWindow(begins, begins + width * QUARTER, mean, price.ct_kwh(mean))


def cheapest_per_day(
    start: datetime,
    quarter_prices: Sequence[float],
    hours: float,
    price: EndCustomerPrice,
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
            window = cheapest_window(first, quarter_prices[lo:hi], hours, price)
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
