"""A fleet of meters drawn from a types mix: individual consumption, PV and routine."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from luna.domain.errors import InvalidInput
from luna.domain.sim.meters.spec import (
    METER_TYPES,
    MeterSpec,
    MeterType,
)


def draw_meters(
    n: int, types_mix: Mapping[MeterType, float], seed: int, *, id_prefix: str = "sim-"
) -> list[MeterSpec]:
    """``n`` meters with types drawn from the weights ``types_mix`` and individual consumption.

    Annual consumption is lognormal: households around 3,500 kWh (σ 0.45), commercial around
    25,000 kWh, agriculture around 15,000 kWh. A third of households have PV (3–12 kWp), a fifth of
    businesses (10–60 kWp), two fifths of farms (10–100 kWp). Households get their own routine; about
    40 % are out on working days.

    Meter ``i`` depends only on ``(seed, i)`` and the mix, so a larger fleet extends a smaller one of
    the same seed: ``sim-000001`` stays the same household when the fleet grows.
    """
    if n < 0:
        raise InvalidInput("n must not be negative")
    weights = np.array([max(float(types_mix.get(kind, 0.0)), 0.0) for kind in METER_TYPES])
    if weights.sum() <= 0:
        raise InvalidInput(f"types_mix needs a positive weight for one of {', '.join(METER_TYPES)}")
    # Generator.choice(p=…) draws one uniform number against the weights' cumulative sum; done here
    # the same way (same numbers, same meters), as choice's checks cost more than the draw at 100,000.
    cdf = np.cumsum(weights / weights.sum())
    cdf /= cdf[-1]
    specs = []
    for i in range(n):
        rng = np.random.default_rng((seed, i))
        kind = METER_TYPES[int(cdf.searchsorted(rng.random(), side="right"))]
        median, sigma, pv_share, kwp_low, kwp_high = _POPULATION[kind]
        annual = float(median * math.exp(sigma * float(rng.standard_normal())))
        has_pv = bool(rng.random() < pv_share)
        kwp = round(float(rng.uniform(kwp_low, kwp_high)), 1) if has_pv else 0.0
        household = kind == "household"
        specs.append(
            MeterSpec(
                meter_id=f"{id_prefix}{i + 1:06d}",
                type=kind,
                annual_kwh=round(min(max(annual, 500.0), 5_000_000.0)),
                has_pv=has_pv,
                pv_kwp=kwp,
                seed=int(rng.integers(0, 2**63 - 1)),
                morning_shift_h=_clipped_normal(rng, 0.5 if household else 0.3, 1.5),
                evening_shift_h=_clipped_normal(rng, 0.7 if household else 0.3, 2.0),
                daytime_presence=_presence(rng) if household else 1.0,
            )
        )
    return specs


#: median kWh/a, lognormal σ, PV share, kWp range
_POPULATION: dict[MeterType, tuple[float, float, float, float, float]] = {
    "household": (3_500.0, 0.45, 1 / 3, 3.0, 12.0),
    "commercial": (25_000.0, 0.8, 0.2, 10.0, 60.0),
    "agriculture": (15_000.0, 0.7, 0.4, 10.0, 100.0),
}


def _presence(rng: np.random.Generator) -> float:
    """Working-day daytime presence: about 40 % of households are out (commuters)."""
    commuter = bool(rng.random() < 0.4)
    return round(float(rng.uniform(0.5, 0.85) if commuter else rng.uniform(0.85, 1.0)), 2)


def _clipped_normal(rng: np.random.Generator, sigma: float, bound: float) -> float:
    return round(min(max(float(rng.normal(0.0, sigma)), -bound), bound), 2)
