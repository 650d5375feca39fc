"""Energy insights of one meter: its 15-minute rollups and the day-ahead prices, through the pure rules.

Reads never touch raw readings: the 15-minute rollup gives each quarter-hour's kWh and how many
readings it holds, so a quarter-hour with fewer readings (with values) than the meter's interval
promises is a gap, reported and left out (:mod:`luna.domain.insights`). A meter read every 20, 30 or
60 minutes is read from the hourly rollup, each complete hour spread evenly over its quarters.

Prices are the BASE rows of one market label (every delivery period). A price at ``ts`` holds for the
market time unit in force: one hour until 2025-09-30, a quarter-hour since the SDAC switch, so an
hourly price covers its four quarter-hours and a missing quarter-hour price stays missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np

from luna.domain.energy import QUARTER_S, SeriesRows
from luna.domain.errors import InvalidInput, NotFound, Unprocessable
from luna.domain.insights import Floats, Insights, IntervalSeries, Tariffs, compute_insights
from luna.domain.load_shift import FlexibleLoad
from luna.domain.price_window import EndCustomerPrice
from luna.domain.sim.market import QUARTER_HOUR_FROM
from luna.ports.energy import EnergyStore
from luna.services.energy.energy_data import DEFAULT_PRODUCT, check_range
from luna.settings import EnergySettings

MAX_DAYS: Final = 366
_HOUR_S: Final = 3600


@dataclass(frozen=True)
class MeterInsights:
    meter_id: str
    #: The market whose BASE prices priced the period; None when no market is configured.
    market: str | None
    product: str
    tariffs: Tariffs
    insights: Insights


class InsightsService:
    def __init__(self, store: EnergyStore, settings: EnergySettings, markets: Sequence[str]) -> None:
        self._store = store
        self._tariffs = Tariffs(
            flat_eur_kwh=settings.flat_tariff_eur_kwh,
            dynamic=settings.end_customer_price,
            feed_in_eur_kwh=settings.feed_in_eur_kwh,
        )
        self._markets = list(markets)

    def insights(
        self, meter_id: str, start: datetime, end: datetime, *, market: str | None, load: FlexibleLoad
    ) -> MeterInsights:
        """Insights over the quarter-hours covering ``[start, end)`` (widened to whole quarter-hours).

        An explicitly named market must have prices; the configured default may have none yet, and
        then the costs are missing (and reported as gaps) instead of the whole answer.
        """
        check_range(start, end)
        start, end = _floor_quarter(start), _ceil_quarter(end)
        if end - start > timedelta(days=MAX_DAYS):
            raise InvalidInput(f"Insights cover at most {MAX_DAYS} days; choose a shorter range.")
        meter = self._store.get_meter(meter_id)
        if meter is None:
            raise NotFound(f"No meter with id {meter_id!r}; GET /api/v1/data/meters lists them.")
        bucket_s = _bucket(meter_id, meter.interval_s)
        if market is not None:
            self._check_market(market)
        chosen = market or (self._markets[0] if self._markets else None)
        n = int((end - start).total_seconds()) // QUARTER_S
        read_from = _floor_to(start, bucket_s)
        rollups = self._store.readings(
            meter_id, read_from, end, "15m" if bucket_s == QUARTER_S else "1h", limit=n + 1
        )
        consumption, production, kw_max = _quarter_hours(
            rollups, start, n, bucket_s // meter.interval_s, bucket_s
        )
        prices = self._prices(chosen, start, end, n)
        series = IntervalSeries(
            ts=np.datetime64(start.replace(tzinfo=None), "s") + np.arange(n) * np.timedelta64(QUARTER_S, "s"),
            step_s=QUARTER_S,
            consumption_kwh=consumption,
            production_kwh=production,
            price_eur_mwh=prices,
            consumption_kw_max=kw_max,
        )
        return MeterInsights(
            meter_id=meter_id,
            market=chosen,
            product=DEFAULT_PRODUCT,
            tariffs=self._tariffs,
            insights=compute_insights(series, self._tariffs, load),
        )

    def quarter_hour_prices(self, start: datetime, end: datetime) -> tuple[str | None, list[float]]:
        """The default market and its price per quarter-hour of ``[start, end)`` (NaN where none is
        known yet: tomorrow's prices come after the day-ahead auction)."""
        start, end = _floor_quarter(start), _ceil_quarter(end)
        market = self._markets[0] if self._markets else None
        n = int((end - start).total_seconds()) // QUARTER_S
        return market, [float(price) for price in self._prices(market, start, end, n)]

    @property
    def end_customer_price(self) -> EndCustomerPrice:
        """How the dynamic tariff's price follows from the exchange price (surcharges and VAT): the
        same price the insights' cost comparison charges."""
        return self._tariffs.dynamic

    def _check_market(self, market: str) -> None:
        stored = sorted({m for m, p, *_ in self._store.price_series() if p == DEFAULT_PRODUCT})
        if market not in stored:
            available = ", ".join(stored) or "none yet"
            raise NotFound(
                f"No {DEFAULT_PRODUCT} prices for market {market!r}; available: {available}.",
                details={"available": stored},
            )

    def _prices(self, market: str | None, start: datetime, end: datetime, n: int) -> Floats:
        """Price per quarter-hour; an hourly price that began before ``start`` still covers its rest."""
        prices = np.full(n, np.nan)
        if market is None:
            return prices
        read_from = start - timedelta(seconds=_HOUR_S - QUARTER_S)
        rows = self._store.prices(market, DEFAULT_PRODUCT, read_from, end, "raw", limit=n + 8)
        ts_at, price_at = rows.columns.index("ts"), rows.columns.index("price_eur_mwh")
        origin = int(start.timestamp())
        for row in rows.rows:
            ts, price = row[ts_at], row[price_at]
            seconds = int(ts.timestamp())
            if price is None or seconds % QUARTER_S:
                continue
            unit = QUARTER_S if ts >= QUARTER_HOUR_FROM else _HOUR_S
            first = (seconds - origin) // QUARTER_S
            prices[max(first, 0) : max(first + unit // QUARTER_S, 0)] = float(price)
        return prices


def _bucket(meter_id: str, interval_s: int) -> int:
    """The rollup whose buckets a meter's readings fill: quarter-hours for readings that divide one;
    hours for a meter read every 20, 30 or 60 minutes (its hour is spread evenly over the quarters,
    which it cannot tell apart: costs come out as with the hour's mean price)."""
    for bucket_s in (QUARTER_S, _HOUR_S):
        if interval_s <= bucket_s and bucket_s % interval_s == 0:
            return bucket_s
    raise Unprocessable(
        f"Meter {meter_id!r} reads every {interval_s} s; insights need readings that divide an hour."
    )


def _quarter_hours(
    rollups: SeriesRows, start: datetime, n: int, expected: int, bucket_s: int
) -> tuple[Floats, Floats, Floats]:
    """kWh consumed and produced and the highest reading per quarter-hour; NaN where incomplete.
    A bucket longer than a quarter-hour gives each of its quarters an even share of its kWh."""
    consumption, production, kw_max = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    column = {name: i for i, name in enumerate(rollups.columns)}
    origin, span = int(start.timestamp()), bucket_s // QUARTER_S
    for row in rollups.rows:
        first = (int(row[column["ts"]].timestamp()) - origin) // QUARTER_S
        quarters = slice(max(first, 0), min(first + span, n))
        with_values = (row[column["readings"]] or 0) - (row[column["missing"]] or 0)
        if (
            quarters.start >= quarters.stop
            or with_values < expected
            or row[column["consumption_kwh"]] is None
        ):
            continue
        consumption[quarters] = row[column["consumption_kwh"]] / span
        # A meter that reports no production (NULL) produced nothing.
        production[quarters] = (row[column["production_kwh"]] or 0.0) / span
        kw_max[quarters] = (
            np.nan if row[column["consumption_kw_max"]] is None else row[column["consumption_kw_max"]]
        )
    return consumption, production, kw_max


def _floor_to(instant: datetime, bucket_s: int) -> datetime:
    return datetime.fromtimestamp(int(instant.timestamp()) // bucket_s * bucket_s, UTC)


def _floor_quarter(instant: datetime) -> datetime:
    return _floor_to(instant, QUARTER_S)


def _ceil_quarter(instant: datetime) -> datetime:
    seconds = -(-int(np.ceil(instant.timestamp())) // QUARTER_S) * QUARTER_S
    return datetime.fromtimestamp(seconds, UTC)
