"""Synthetic sources: Luna's simulators as data, for seeding a fresh install or testing a pipeline.

The meters come with the simulator's typical faults (gaps, spikes, stuck values; ``TYPICAL_FAULTS``),
so a pipeline over synthetic readings exercises its cleaning the way real drops would. The period is the
last ``days`` whole UTC days, so the same pipeline on the same day makes the same records (and thereby
finds its earlier version).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from luna.domain.energy import PriceBatch, ReadingBatch
from luna.domain.sim.market import simulate_prices
from luna.domain.sim.meters import draw_meters, simulate_meter
from luna.domain.sim.weather import simulate_weather
from luna.services.energy.simulation_batches import price_batch, reading_batch
from luna.settings import SimSettings

#: The simulator's step for synthetic meters (its finest rollup, the seed's quarter hour).
STEP = timedelta(minutes=15)


def synthetic_frame(generator: str, days: int, meters: int, seed: int, now: datetime) -> pl.DataFrame:
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    if generator == "prices":
        return price_frame(price_batch(simulate_prices(start, end, seed), ["SIM"], ["BASE", "PEAK"]))
    specs = draw_meters(meters, SimSettings().types_mix, seed, id_prefix="syn-")
    cloud = simulate_weather(start, end, STEP, seed).cloud_cover
    batches = [reading_batch(simulate_meter(spec, start, end, STEP, cloud)) for spec in specs]
    kinds = np.concatenate(
        [np.full(len(batch), spec.type) for spec, batch in zip(specs, batches, strict=True)]
    )
    return reading_frame(ReadingBatch.concat(batches), kinds)


def reading_frame(batch: ReadingBatch, kinds: npt.NDArray[np.str_]) -> pl.DataFrame:
    """The store's reading columns as a frame of canonical names; absent values (NaN) become null."""
    frame = pl.DataFrame(
        {
            "meter_id": batch.meter_id,
            "ts": batch.ts.astype("datetime64[us]"),
            "consumption_kw": batch.consumption_kw,
            "production_kw": batch.production_kw,
            "voltage": batch.voltage,
            "meter_type": kinds.astype(str),
        }
    )
    return frame.with_columns(pl.col("ts").dt.replace_time_zone("UTC"), pl.col(pl.Float64).fill_nan(None))


def price_frame(batch: PriceBatch) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "market": batch.market,
            "product": batch.product,
            "ts": batch.ts.astype("datetime64[us]"),
            "price_eur_mwh": batch.price_eur_mwh,
            "volume": batch.volume,
        }
    )
    return frame.with_columns(pl.col("ts").dt.replace_time_zone("UTC"), pl.col(pl.Float64).fill_nan(None))
