"""The simulator's vocabulary: a meter's spec, its fault rates, its series, the time grid and the
hash streams every layer draws from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Timestamps = npt.NDArray[np.datetime64]
Labels = npt.NDArray[np.str_]

MeterType = Literal["household", "commercial", "agriculture"]
METER_TYPES: tuple[MeterType, ...] = get_args(MeterType)
QUALITY_OK, QUALITY_ESTIMATED, QUALITY_MISSING = "ok", "estimated", "missing"

MINUTE_S = 60
QUARTER_S = 900
HOUR_S = 3600
DAY_S = 86_400
BLOCK_MIN = 1440
BLOCK_OFFSET_S = 2 * HOUR_S  # a simulation day starts at 02:00 UTC
WEEK_BLOCKS = 7
ORIGIN_YEAR = 2000  # registers count from 2000-01-01; the simulator starts there
ORIGIN_BLOCK = (946_684_800 - BLOCK_OFFSET_S) // DAY_S + 1  # the block starting 2000-01-01 02:00Z
LAST_YEAR = 2199
MAX_MINUTES = 20 * 366 * BLOCK_MIN
WT, SA, FT = 0, 1, 2  # BDEW day types

# Hash streams (with the meter's seed); numbers are fixed forever so adding a stream shifts nothing.
S_DAY_FACTOR = 101
S_EVENT = 110  # 110 … 119: the event slot's fields
S_FRIDGE = 121
S_BASE_SLOW, S_BASE_JITTER, S_ACTIVITY = 131, 132, 133
S_FAULT = 140  # 140 … 146
S_RESET = 150
S_METER = 160  # 160 … 169: per-meter constants
S_PV_FLICKER = 171
S_VOLT_SLOW, S_VOLT_FAST = 181, 182


@dataclass(frozen=True)
class MeterSpec:
    """One simulated connection. ``seed`` makes it reproducible; everything else is what it is.

    ``morning_shift_h``/``evening_shift_h`` move the morning (07:00) and evening (18:00) activity of
    the envelope (−2…+2 h; 03:00 and 23:00 stay put); ``daytime_presence`` (0.3…1) scales working-day
    use between about 09:00 and 17:00 when the occupants are out. The defaults reproduce the BDEW
    shape; ``draw_meters`` draws individual values.
    """

    meter_id: str
    type: MeterType
    annual_kwh: float
    has_pv: bool = False
    pv_kwp: float = 0.0
    seed: int = 0
    morning_shift_h: float = 0.0
    evening_shift_h: float = 0.0
    daytime_presence: float = 1.0

    def __post_init__(self) -> None:
        if self.type not in METER_TYPES:
            raise InvalidInput(f"meter type must be one of {', '.join(METER_TYPES)}")
        if not (0 < self.annual_kwh <= 10_000_000):
            raise InvalidInput("annual_kwh must be positive (at most 10 GWh)")
        if self.has_pv != (self.pv_kwp > 0) or self.pv_kwp < 0:
            raise InvalidInput("a meter has PV exactly when pv_kwp is positive")
        if not (-2.0 <= self.morning_shift_h <= 2.0 and -2.0 <= self.evening_shift_h <= 2.0):
            raise InvalidInput("routine shifts must lie within ±2 hours")
        if not (0.3 <= self.daytime_presence <= 1.0):
            raise InvalidInput("daytime_presence must lie between 0.3 and 1")
        if not (0 <= self.seed < 2**63):
            raise InvalidInput("seed must be a non-negative 63-bit integer")


@dataclass(frozen=True)
class FaultRates:
    """How often the meter's data goes wrong: expected runs per simulation day, resets per year."""

    missing_per_day: float = 0.03
    estimated_per_day: float = 0.02
    resets_per_year: float = 0.02


NO_FAULTS = FaultRates(0.0, 0.0, 0.0)
TYPICAL_FAULTS = FaultRates()


@dataclass(frozen=True)
class MeterSeries:
    """Readings per interval ``[ts[i], ts[i] + step_s)``; all arrays have the length of ``ts``.

    ``consumption_kw``, ``production_kw`` and ``voltage`` (V) are interval means, the columns of
    ``smart_meter_readings``; they are NaN where ``quality`` is ``missing`` (voltage also where it is
    ``estimated``). ``register_kwh`` is the cumulative consumption register at the end of the
    interval (NaN when missing); it never decreases except where ``register_reset`` marks the
    interval in which the counter restarted from zero.
    """

    meter_id: str
    ts: Timestamps
    step_s: int
    consumption_kw: Floats
    production_kw: Floats
    voltage: Floats
    quality: Labels
    register_kwh: Floats
    register_reset: Mask

    @property
    def power_kw(self) -> Floats:
        """Net grid power: import positive, export negative."""
        return self.consumption_kw - self.production_kw

    @property
    def kwh(self) -> Floats:
        """Energy consumed in each interval."""
        return self.consumption_kw * (self.step_s / HOUR_S)

    @property
    def pv_kwh(self) -> Floats:
        """PV energy produced in each interval."""
        return self.production_kw * (self.step_s / HOUR_S)
