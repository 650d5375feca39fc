"""How simulator output becomes the store's columns, shared by the backfill and the live loop.

Both write the same rows for the same instants (the simulators depend only on the seed and each
interval), so a live loop continuing a backfill, or a backfill repeating what the live loop wrote,
meets only duplicates the store recognises.

The reading grid: the meter simulator works in whole minutes that divide two hours. The simulated
meters' step is the longest such step that fits into ``sim.smartmeter_interval_sec`` (60 s → 1
minute, 900 s → 15 minutes, anything shorter than a minute → 1 minute). Backfill and live loop use
that one step, so a meter's ``interval_s`` (which turns kW into kWh in the rollups) holds for all its
rows; the live loop still wakes every ``smartmeter_interval_sec`` and writes the intervals completed
by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

from luna.domain.energy import MeterInfo, PriceBatch, ReadingBatch
from luna.domain.errors import InvalidInput
from luna.domain.sim.market import PriceSeries
from luna.domain.sim.meters import MeterSeries, MeterSpec
from luna.domain.sim.price_stats import peak_mask

BERLIN: Final = ZoneInfo("Europe/Berlin")
#: Step lengths the meter simulator accepts: whole minutes that divide two hours.
STEP_MINUTES: Final = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 60, 120)
#: The meter simulator covers its first simulation day of 2000 up to the end of 2199.
SIM_FIRST: Final = datetime(2000, 1, 1, 2, 0, tzinfo=UTC)
SIM_END: Final = datetime(2200, 1, 1, tzinfo=UTC)
#: BASE: every delivery period; PEAK: the periods of the peak band (08–20 h Europe/Berlin, Mon–Fri).
PRODUCTS: Final = ("BASE", "PEAK")


def reading_step(interval_sec: int) -> timedelta:
    """The simulated meters' step for ``sim.smartmeter_interval_sec`` (see the module docstring)."""
    fitting = [minutes for minutes in STEP_MINUTES if minutes * 60 <= interval_sec]
    return timedelta(minutes=fitting[-1] if fitting else 1)


def check_products(products: Sequence[str]) -> None:
    unknown = [product for product in products if product not in PRODUCTS]
    if unknown:
        raise InvalidInput(
            f"sim.products: unknown product(s) {', '.join(unknown)}; "
            f"the simulator knows {', '.join(PRODUCTS)}"
        )


def meter_infos(specs: Sequence[MeterSpec], step: timedelta) -> list[MeterInfo]:
    """What the store records about each simulated meter."""
    return [
        MeterInfo(
            meter_id=spec.meter_id,
            kind=spec.type,
            has_pv=spec.has_pv,
            pv_kwp=spec.pv_kwp,
            annual_kwh=spec.annual_kwh,
            interval_s=int(step.total_seconds()),
            source="sim",
        )
        for spec in specs
    ]


def reading_batch(series: MeterSeries, rows: slice = slice(None)) -> ReadingBatch:
    """The simulator's series (or a slice of it) as the store's reading columns."""
    ts = series.ts[rows]
    return ReadingBatch(
        meter_id=np.full(ts.shape[0], series.meter_id),
        ts=ts,
        consumption_kw=series.consumption_kw[rows],
        production_kw=series.production_kw[rows],
        voltage=series.voltage[rows],
        quality=series.quality[rows],
        register_kwh=series.register_kwh[rows],
    )


def price_batch(prices: PriceSeries, markets: Sequence[str], products: Sequence[str]) -> PriceBatch:
    """One row per market label, product and delivery period.

    The labels are sources of the one DE-LU price, so every label gets the same prices; PEAK rows are
    the BASE rows of the peak band, with the same price and volume.
    """
    in_product = {"BASE": np.ones(prices.ts.shape[0], dtype=np.bool_), "PEAK": peak_mask(prices.ts)}
    rows = {product: np.flatnonzero(in_product[product]) for product in products}
    parts = [(market, product, rows[product]) for market in markets for product in products]
    if not parts:
        return PriceBatch(
            market=np.empty(0, dtype=np.str_),
            product=np.empty(0, dtype=np.str_),
            ts=np.empty(0, dtype="datetime64[s]"),
            price_eur_mwh=np.empty(0, dtype=np.float64),
            volume=np.empty(0, dtype=np.float64),
        )
    return PriceBatch(
        market=np.concatenate([np.full(index.size, market) for market, _, index in parts]),
        product=np.concatenate([np.full(index.size, product) for _, product, index in parts]),
        ts=np.concatenate([prices.ts[index] for _, _, index in parts]),
        price_eur_mwh=np.concatenate([prices.price_eur_mwh[index] for _, _, index in parts]),
        volume=np.concatenate([prices.volume_mwh[index] for _, _, index in parts]),
    )
