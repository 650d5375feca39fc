"""The customer's home view: how am I doing today and this month, what does power cost now, when is
it cheapest next, and the one thing worth doing.

Everything here is the customer's own: their first linked meter (the one the view names), the
default market's day-ahead prices as their dynamic-tariff price in ct/kWh (with the surcharges and
VAT of the ``energy`` settings), and their best piece of energy advice. Days and months are
Europe/Berlin days and months, the customer's clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from luna.domain.energy import MeterInfo
from luna.domain.insights import Insights
from luna.domain.load_shift import FlexibleLoad
from luna.domain.price_window import PriceWindow, cheapest_window, customer_ct_kwh
from luna.services.energy.energy_advice import EnergyAdvice, EnergyAdviceService
from luna.services.energy.insights import InsightsService
from luna.services.energy.user_meters import MeterAccess

BERLIN: Final = ZoneInfo("Europe/Berlin")
#: How far ahead the cheapest window is looked for (today's and, after the auction, tomorrow's prices).
LOOK_AHEAD: Final = timedelta(hours=36)
#: The flexible load the home view plans for: a dishwasher or washing-machine run.
WINDOW_HOURS: Final = 2.0
_LOAD: Final = FlexibleLoad(kwh=2.0, hours=WINDOW_HOURS)
_MIN_SPAN: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class HomeSummary:
    meter: MeterInfo | None
    #: Another of the customer's meters exists besides ``meter`` (the view says which one it shows).
    more_meters: int
    today: Insights | None
    month: Insights | None
    price_now_ct_kwh: float | None
    cheapest: PriceWindow | None
    advice: EnergyAdvice | None


class HomeService:
    def __init__(
        self,
        meters: MeterAccess,
        insights: InsightsService,
        advice: EnergyAdviceService,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._meters = meters
        self._insights = insights
        self._advice = advice
        self._clock = clock

    def summary(self, user_id: str) -> HomeSummary:
        now = self._clock()
        meters = self._meters.linked_meters(user_id)
        meter = meters[0] if meters else None
        local = now.astimezone(BERLIN)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        month_start = midnight.replace(day=1)
        price_now, cheapest = self._prices(now)
        advice = self._advice.for_user(user_id, 1) if meter is not None else []
        return HomeSummary(
            meter=meter,
            more_meters=max(0, len(meters) - 1),
            today=self._period(meter, midnight, now),
            month=self._period(meter, month_start, now),
            price_now_ct_kwh=price_now,
            cheapest=cheapest,
            advice=advice[0] if advice else None,
        )

    def _period(self, meter: MeterInfo | None, start: datetime, end: datetime) -> Insights | None:
        if meter is None:
            return None
        end = max(end, start + _MIN_SPAN)  # the first minutes of a day are still a (short) day
        result = self._insights.insights(meter.meter_id, start.astimezone(UTC), end, market=None, load=_LOAD)
        return result.insights

    def _prices(self, now: datetime) -> tuple[float | None, PriceWindow | None]:
        start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        market, prices = self._insights.quarter_hour_prices(start, start + LOOK_AHEAD)
        if market is None or not prices:
            return None, None
        price = self._insights.end_customer_price
        price_now = None if math.isnan(prices[0]) else customer_ct_kwh(prices[0], price)
        return price_now, cheapest_window(start, prices, WINDOW_HOURS, price)
