"""Layer 5, voltage around 230 V: feeder level, feeder sag with the population's load, slow noise
and the meter's own sag (or rise when exporting)."""

from __future__ import annotations

import numpy as np

from luna.domain.sim.meters.envelope import envelope_at
from luna.domain.sim.meters.spec import (
    MINUTE_S,
    S_METER,
    S_VOLT_FAST,
    S_VOLT_SLOW,
    Floats,
    Ints,
    MeterSpec,
)
from luna.domain.sim.weather import (
    smooth_noise,
    standard_normal,
    uniform,
)


def meter_voltage(spec: MeterSpec, seconds: Ints, net_kw: Floats) -> Floats:
    """Voltage (V, 0.1 V resolution): feeder level, feeder sag with the population's load, slow
    noise and the meter's own sag (rise when exporting, at most 8 V). Bounded by construction to
    215–248 V, inside EN 50160's 207–253 V (the population term spans −2.5…+1.3 V)."""
    constants = uniform(spec.seed, S_METER + 1, np.arange(2, dtype=np.int64))
    level = 228.0 + 8.0 * float(constants[0])
    size = max(1.0, spec.annual_kwh / 10_000.0, spec.pv_kwp / 12.0)
    volts_per_kw = (0.3 + 0.3 * float(constants[1])) / size
    population = envelope_at("household", seconds) * 8766.0  # load relative to the annual mean
    slow = smooth_noise(seconds, spec.seed, S_VOLT_SLOW, 1800, 2.0)
    fast = standard_normal(spec.seed, S_VOLT_FAST, seconds // MINUTE_S)
    own = np.clip(volts_per_kw * np.nan_to_num(net_kw), -8.0, 8.0)
    volts = level - 2.5 * (population - 1.0) + 1.5 * np.tanh(slow) + 0.3 * np.tanh(fast) - own
    return np.round(volts, 1)
