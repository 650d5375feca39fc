"""A meter's readings on a time grid: the layers put together, then sliced to the asked range."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from luna.domain.errors import InvalidInput
from luna.domain.sim.meters.appliances import consumption_minutes
from luna.domain.sim.meters.envelope import year_start
from luna.domain.sim.meters.pv import pv_kw
from luna.domain.sim.meters.register import (
    cumulative_register,
    estimate_runs,
    quality_runs,
)
from luna.domain.sim.meters.spec import (
    BLOCK_MIN,
    BLOCK_OFFSET_S,
    DAY_S,
    HOUR_S,
    LAST_YEAR,
    MAX_MINUTES,
    MINUTE_S,
    ORIGIN_BLOCK,
    QUALITY_ESTIMATED,
    QUALITY_MISSING,
    TYPICAL_FAULTS,
    FaultRates,
    Floats,
    MeterSeries,
    MeterSpec,
)
from luna.domain.sim.meters.voltage import meter_voltage


def simulate_meter(
    spec: MeterSpec,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=1),
    cloud_cover: Floats | None = None,
    *,
    faults: FaultRates = TYPICAL_FAULTS,
) -> MeterSeries:
    """Readings of ``spec`` on the grid ``start, start + step, …`` up to (excluding) ``end``.

    ``start``/``end`` carry a time zone and lie on the step grid (whole multiples of ``step`` since
    1970, from 2000 on); ``step`` is a whole number of minutes that divides two hours. ``cloud_cover``
    (0…1, one value per interval, e.g. ``weather.simulate_weather(...).cloud_cover`` on the same grid)
    shades the PV; without it the meter uses its own seeded weather.
    """
    step_s = _step_seconds(step)
    first, stop = _grid_seconds(start, step_s), _grid_seconds(end, step_s)
    if stop <= first:
        raise InvalidInput("end must be after start")
    if (stop - first) // MINUTE_S > MAX_MINUTES:
        raise InvalidInput("simulate at most 20 years per call")
    if first < ORIGIN_BLOCK * DAY_S + BLOCK_OFFSET_S or stop > year_start(LAST_YEAR + 1):
        raise InvalidInput(f"the simulator covers 2000-01-01T02:00Z to the end of {LAST_YEAR}")
    n = (stop - first) // step_s
    if cloud_cover is not None and cloud_cover.shape != (n,):
        raise InvalidInput(f"cloud_cover must have one value per interval ({n})")
    first_block = (first - BLOCK_OFFSET_S) // DAY_S
    last_block = (stop - 1 - BLOCK_OFFSET_S) // DAY_S
    blocks = np.arange(first_block, last_block + 1, dtype=np.int64)
    minute_kw, block_start_kwh = consumption_minutes(spec, blocks)
    per_block = BLOCK_MIN * MINUTE_S // step_s
    consumption = minute_kw.reshape(-1, step_s // MINUTE_S).mean(axis=1)
    quality = quality_runs(spec.seed, blocks, per_block, step_s, faults)
    consumption = estimate_runs(consumption, quality == QUALITY_ESTIMATED, blocks.size)
    register, reset = cumulative_register(spec, blocks, consumption, step_s, block_start_kwh, faults)
    offset = (first - (first_block * DAY_S + BLOCK_OFFSET_S)) // step_s
    window = slice(offset, offset + n)
    consumption, quality = consumption[window], quality[window]
    register, reset = register[window], reset[window]
    seconds = first + step_s * np.arange(n, dtype=np.int64)
    production = pv_kw(spec, seconds, step_s, cloud_cover) if spec.has_pv else np.zeros(n, dtype=np.float64)
    voltage = meter_voltage(spec, seconds, consumption - production)
    missing = quality == QUALITY_MISSING
    voltage[missing | (quality == QUALITY_ESTIMATED)] = np.nan
    consumption[missing] = np.nan
    production[missing] = np.nan
    register[missing] = np.nan
    return MeterSeries(
        meter_id=spec.meter_id,
        ts=seconds.astype("datetime64[s]"),
        step_s=step_s,
        consumption_kw=consumption,
        production_kw=production,
        voltage=voltage,
        quality=quality,
        register_kwh=register,
        register_reset=reset,
    )


# --- grid helpers -------------------------------------------------------------------------------


def _step_seconds(step: timedelta) -> int:
    seconds = step.total_seconds()
    if seconds <= 0 or seconds % MINUTE_S or (2 * HOUR_S) % seconds:
        raise InvalidInput("step must be a whole number of minutes that divides two hours")
    return int(seconds)


def _grid_seconds(moment: datetime, step_s: int) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("datetimes must carry a time zone (UTC or an offset)")
    seconds = moment.timestamp()
    if seconds % step_s:
        raise InvalidInput(f"{moment.isoformat()} is not on the {step_s // 60}-minute grid")
    return int(seconds)
