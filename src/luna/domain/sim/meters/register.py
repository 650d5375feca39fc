"""Layer 6, data quality and the register: missing and estimated runs, the cumulative register
in closed form, counter resets."""

from __future__ import annotations

import numpy as np

from luna.domain.sim.meters.envelope import (
    block_energy,
    year_of,
    year_start,
)
from luna.domain.sim.meters.spec import (
    BLOCK_MIN,
    BLOCK_OFFSET_S,
    DAY_S,
    HOUR_S,
    MINUTE_S,
    ORIGIN_BLOCK,
    ORIGIN_YEAR,
    QUALITY_ESTIMATED,
    QUALITY_MISSING,
    QUALITY_OK,
    S_FAULT,
    S_METER,
    S_RESET,
    FaultRates,
    Floats,
    Ints,
    Labels,
    Mask,
    MeterSpec,
)
from luna.domain.sim.weather import uniform


def quality_runs(seed: int, blocks: Ints, per_block: int, step_s: int, faults: FaultRates) -> Labels:
    """Quality per interval of whole blocks: at most one missing and one estimated run per block."""
    minute = (np.arange(per_block, dtype=np.float64) * (step_s // MINUTE_S))[None, :]

    def runs(stream: int, rate: float, shortest: float, longest: float) -> Mask:
        happens = uniform(seed, stream, blocks) < rate
        length = np.exp(np.log(shortest) + np.log(longest / shortest) * uniform(seed, stream + 1, blocks))
        begin = (BLOCK_MIN - length) * uniform(seed, stream + 2, blocks)
        inside = (minute >= begin[:, None]) & (minute < (begin + length)[:, None])
        flagged: Mask = inside & happens[:, None]
        return flagged

    missing = runs(S_FAULT, faults.missing_per_day, 1.0, 360.0)
    estimated = runs(S_FAULT + 3, faults.estimated_per_day, 5.0, 180.0)
    quality = np.where(missing, QUALITY_MISSING, np.where(estimated, QUALITY_ESTIMATED, QUALITY_OK))
    return quality.astype("<U9").ravel()


def estimate_runs(consumption: Floats, estimated: Mask, blocks: int) -> Floats:
    """Replace each block's estimated run by its mean: a substitute that keeps the run's energy."""
    if not estimated.any():
        return consumption
    values = consumption.reshape(blocks, -1)
    mask = estimated.reshape(blocks, -1)
    count = mask.sum(axis=1, keepdims=True)
    mean = np.where(mask, values, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
    return np.where(mask, mean, values).ravel()


def cumulative_register(
    spec: MeterSpec, blocks: Ints, consumption: Floats, step_s: int, before: Floats, faults: FaultRates
) -> tuple[Floats, Mask]:
    """Cumulative consumption register at the end of each interval of whole blocks, and resets.

    The meter starts 2000-01-01 with a reading of 0–20,000 kWh. A reset (at most one per year, with
    probability ``resets_per_year``, at the start of a block) restarts the counter from zero; the
    register after it is the energy since the reset, in closed form like everything else.
    """
    energy = (consumption * (step_s / HOUR_S)).reshape(blocks.size, -1)
    cumulative = before[:, None] + np.cumsum(energy, axis=1)
    initial = 20_000.0 * float(uniform(spec.seed, S_METER, np.zeros(1, dtype=np.int64))[0])
    last_year = int(year_of(blocks[-1:] * DAY_S + BLOCK_OFFSET_S)[0])
    years = np.arange(ORIGIN_YEAR, last_year + 1, dtype=np.int64)
    happens = uniform(spec.seed, S_RESET, years) < faults.resets_per_year
    first_blocks = np.array([year_start(int(y)) // DAY_S for y in years], dtype=np.int64)
    days = np.array([(year_start(int(y) + 1) - year_start(int(y))) // DAY_S for y in years])
    reset_blocks = (first_blocks + np.floor(uniform(spec.seed, S_RESET + 1, years) * days)).astype(np.int64)
    reset_blocks = np.maximum(reset_blocks[happens], ORIGIN_BLOCK + 1)
    reset = np.zeros(energy.shape, dtype=np.bool_)
    reset[:, 0] = np.isin(blocks, reset_blocks)
    which = np.searchsorted(reset_blocks, blocks, side="right") - 1
    offset = np.full(blocks.size, -initial)
    if reset_blocks.size:
        _, at_reset = block_energy(spec, reset_blocks)
        offset = np.where(which >= 0, at_reset[np.maximum(which, 0)], offset)
    return (cumulative - offset[:, None]).ravel(), reset.ravel()
