"""Smart-meter simulator: one household, business or farm connection at 1-minute (or coarser) steps.

A meter is not a standard load profile (DESIGN.md §5). Its series is built in layers:

1. **Envelope.** The BDEW 2025 standard load profile of its type (H25 household with the BDEW
   dynamisation polynomial, G25 commercial, L25 agriculture; the successors of H0/G0/L0), read from
   the ``demandlib`` package: quarter-hour values per month and day type (working day, Saturday,
   Sunday/holiday; German national holidays, 24 and 31 December count as Saturdays) on the
   Europe/Berlin clock, normalised so that every UTC calendar year integrates to ``annual_kwh``.
2. **Routine.** A single home keeps its own hours: the envelope is read through a time warp (morning
   and evening activity earlier or later by ``morning_shift_h`` / ``evening_shift_h``) and, on working
   days, daytime use is lowered to ``daytime_presence`` when nobody is home. Both only move energy
   within a day.
3. **Appliances.** Each day's energy is split into switched appliances (kettle, microwave, hob, oven,
   washing machine, dishwasher, dryer, hot-water boiler, fan heater in winter …: rectangular pulses
   with thermostat cycling, started at fractional minutes, more often when the envelope is high and
   clustered by a smooth "someone is home and busy" activity field), fridge compressor cycles and a
   smooth base load (standby, lighting, TV/PC) that rises with the same activity. Events are drawn
   until the day's appliance budget (45 % of a 3,500 kWh/a home's energy, less for bigger homes whose
   extra is continuous load) is used; the base load takes exactly the rest, so the layer
   redistributes energy and never adds any: each simulation day's energy is the envelope's times a
   random day factor whose mean over every 7-day group is one. Businesses and farms use generic
   machines sized to their mean power.
4. **PV** (optional): solar geometry for the module's own tilt and azimuth at 51° N 10° E, Haurwitz
   clear-sky global and Meinel beam irradiance as in ``weather.py``, clouds from ``cloud_cover``
   (Kasten–Czeplak) or, without it, from ``weather.py``'s process under the meter's own seed, a fast
   beam flicker for broken clouds, performance ratio 0.82: about 970 kWh/kWp/a on average, ±10 % with
   the weather year.
5. **Voltage** around 230 V: a per-meter feeder level (228–236 V), the feeder sagging with the
   population's load (H25 shape), slow noise and the meter's own sag (or rise when exporting)
   proportional to its net power (at most 8 V). It stays within EN 50160's ±10 % by construction.
6. **Quality and register.** Rare missing runs (values and register NaN, the register jumps by the
   gap's energy afterwards), rare estimated runs (consumption replaced by the run's mean, as a meter
   data system substitutes register differences; the register stays exact) and very rare counter
   resets (the register restarts at zero; flagged in ``register_reset``).

Determinism without history: randomness comes from a counter-based hash of ``(seed, stream, index)``
(``weather.uniform``) where the index is the absolute simulation day, event slot or minute. A
simulation day (a "block") runs from 02:00 to 02:00 UTC (03:00/04:00 local, the quietest time, so
appliance cycles are kept inside their block). The cumulative register has a closed form: the
envelope's cumulative energy since 2000-01-01 plus the day factors of the current 7-day group. So a
sub-range computed alone equals the slice of a longer run, and a live loop can produce one interval.

Sign convention: ``consumption_kw`` (the household's load) and ``production_kw`` (PV) are both ≥ 0, as in
the ``smart_meter_readings`` table; ``power_kw`` is the net grid power, import positive, export negative.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.sim.price_stats import berlin_offset_seconds
from luna.domain.sim.weather import (
    LATITUDE_DEG,
    LONGITUDE_DEG,
    seasonal_phase,
    smooth_noise,
    standard_normal,
    uniform,
    weather_for_periods,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Timestamps = npt.NDArray[np.datetime64]
Labels = npt.NDArray[np.str_]

MeterType = Literal["household", "commercial", "agriculture"]
METER_TYPES: tuple[MeterType, ...] = get_args(MeterType)
QUALITY_OK, QUALITY_ESTIMATED, QUALITY_MISSING = "ok", "estimated", "missing"

_MINUTE_S = 60
_QUARTER_S = 900
_HOUR_S = 3600
_DAY_S = 86_400
_BLOCK_MIN = 1440
_BLOCK_OFFSET_S = 2 * _HOUR_S  # a simulation day starts at 02:00 UTC
_WEEK_BLOCKS = 7
_ORIGIN_YEAR = 2000  # registers count from 2000-01-01; the simulator starts there
_ORIGIN_BLOCK = (946_684_800 - _BLOCK_OFFSET_S) // _DAY_S + 1  # the block starting 2000-01-01 02:00Z
_LAST_YEAR = 2199
_MAX_MINUTES = 20 * 366 * _BLOCK_MIN
_WT, _SA, _FT = 0, 1, 2  # BDEW day types

# Hash streams (with the meter's seed); numbers are fixed forever so adding a stream shifts nothing.
_S_DAY_FACTOR = 101
_S_EVENT = 110  # 110 … 119: the event slot's fields
_S_FRIDGE = 121
_S_BASE_SLOW, _S_BASE_JITTER, _S_ACTIVITY = 131, 132, 133
_S_FAULT = 140  # 140 … 146
_S_RESET = 150
_S_METER = 160  # 160 … 169: per-meter constants
_S_PV_FLICKER = 171
_S_VOLT_SLOW, _S_VOLT_FAST = 181, 182


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
        return self.consumption_kw * (self.step_s / _HOUR_S)

    @property
    def pv_kwh(self) -> Floats:
        """PV energy produced in each interval."""
        return self.production_kw * (self.step_s / _HOUR_S)


def simulate_meter(
    spec: MeterSpec,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=1),
    cloud_cover: Floats | None = None,
    *,
    faults: FaultRates = FaultRates(),
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
    if (stop - first) // _MINUTE_S > _MAX_MINUTES:
        raise InvalidInput("simulate at most 20 years per call")
    if first < _ORIGIN_BLOCK * _DAY_S + _BLOCK_OFFSET_S or stop > _year_start(_LAST_YEAR + 1):
        raise InvalidInput(f"the simulator covers 2000-01-01T02:00Z to the end of {_LAST_YEAR}")
    n = (stop - first) // step_s
    if cloud_cover is not None and cloud_cover.shape != (n,):
        raise InvalidInput(f"cloud_cover must have one value per interval ({n})")
    first_block = (first - _BLOCK_OFFSET_S) // _DAY_S
    last_block = (stop - 1 - _BLOCK_OFFSET_S) // _DAY_S
    blocks = np.arange(first_block, last_block + 1, dtype=np.int64)
    minute_kw, block_start_kwh = _consumption_minutes(spec, blocks)
    per_block = _BLOCK_MIN * _MINUTE_S // step_s
    consumption = minute_kw.reshape(-1, step_s // _MINUTE_S).mean(axis=1)
    quality = _quality(spec.seed, blocks, per_block, step_s, faults)
    consumption = _estimate_runs(consumption, quality == QUALITY_ESTIMATED, blocks.size)
    register, reset = _register(spec, blocks, consumption, step_s, block_start_kwh, faults)
    offset = (first - (first_block * _DAY_S + _BLOCK_OFFSET_S)) // step_s
    window = slice(offset, offset + n)
    consumption, quality = consumption[window], quality[window]
    register, reset = register[window], reset[window]
    seconds = first + step_s * np.arange(n, dtype=np.int64)
    production = _pv_kw(spec, seconds, step_s, cloud_cover) if spec.has_pv else np.zeros(n, dtype=np.float64)
    voltage = _voltage(spec, seconds, consumption - production)
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
    specs = []
    for i in range(n):
        rng = np.random.default_rng((seed, i))
        kind = METER_TYPES[int(rng.choice(len(METER_TYPES), p=weights / weights.sum()))]
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


def envelope_kw(meter_type: MeterType, ts: Timestamps, annual_kwh: float = 1.0) -> Floats:
    """The BDEW envelope (mean kW of each instant's quarter hour) for ``annual_kwh`` per UTC year.

    ``ts`` are UTC instants. Useful to scale a spec so that a period has a given energy.
    """
    if meter_type not in METER_TYPES:
        raise InvalidInput(f"meter type must be one of {', '.join(METER_TYPES)}")
    return _envelope_at(meter_type, ts.astype("datetime64[s]").astype(np.int64)) * annual_kwh


# --- population ---------------------------------------------------------------------------------

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
    return round(float(np.clip(rng.normal(0.0, sigma), -bound, bound)), 2)


# --- envelope: BDEW 2025 profiles on the Berlin clock -------------------------------------------


@functools.cache
def _bdew_table(meter_type: MeterType) -> Floats:
    """Quarter-hour values of the BDEW 2025 profile per (month, day type, quarter hour), undynamised.

    Read once through demandlib's public profile classes for a reference year without holidays
    (every month has all three day types); the household profile is divided by the dynamisation
    factor demandlib applied, because this module applies it per day itself.
    """
    import pandas as pd  # type: ignore[import-untyped]
    from demandlib import bdew  # type: ignore[import-untyped]

    profile = {"household": bdew.H25, "commercial": bdew.G25, "agriculture": bdew.L25}[meter_type]
    index = pd.date_range("2019-01-01", periods=365 * 96, freq="15min")
    with warnings.catch_warnings():  # demandlib 0.2.2 uses pandas' deprecated ``inplace=`` (fine < 4)
        warnings.simplefilter("ignore", DeprecationWarning)
        values = np.asarray(profile(index), dtype=np.float64)
    if meter_type == "household":
        values = values / _dynamisation(np.asarray(index.day_of_year, dtype=np.int64))
    weekday = np.asarray(index.day_of_week, dtype=np.int64)
    day_type = np.where(weekday == 6, _FT, np.where(weekday == 5, _SA, _WT))
    quarter = np.asarray(index.hour, dtype=np.int64) * 4 + np.asarray(index.minute, dtype=np.int64) // 15
    table = np.full((12, 3, 96), np.nan)
    table[np.asarray(index.month, dtype=np.int64) - 1, day_type, quarter] = values
    return table


def _dynamisation(day_of_year: Ints) -> Floats:
    """BDEW's 4th-order polynomial for H0/H25: about +24 % in winter, −20 % in summer."""
    d = day_of_year.astype(np.float64)
    return -3.92e-10 * d**4 + 3.2e-7 * d**3 - 7.02e-5 * d**2 + 0.0021 * d + 1.24


@functools.lru_cache(maxsize=256)
def _year_profile(meter_type: MeterType, year: int) -> tuple[Floats, Floats]:
    """Envelope per UTC quarter hour of ``year`` in kW per (kWh/a), and its cumulative kWh per (kWh/a).

    Normalised so the UTC year integrates to exactly one: the register's closed form relies on it.
    """
    start = _year_start(year)
    quarters = (_year_start(year + 1) - start) // _QUARTER_S
    utc = start + _QUARTER_S * np.arange(quarters, dtype=np.int64)
    local = utc + berlin_offset_seconds(utc.astype("datetime64[s]"))
    local_day = local // _DAY_S
    dates = local_day.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    quarter = (local % _DAY_S) // _QUARTER_S
    values = _bdew_table(meter_type)[month, _day_types(local_day), quarter]
    if meter_type == "household":
        day_of_year = (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1
        values = values * _dynamisation(day_of_year)
    values = values / (values.sum() * 0.25)
    cumulative = np.concatenate(([0.0], np.cumsum(values) * 0.25))
    return values, cumulative


def _envelope_at(meter_type: MeterType, seconds: Ints) -> Floats:
    """Envelope in kW per (kWh/a) at UTC instants (each instant's quarter hour)."""
    years = _year_of(seconds)
    out = np.empty(seconds.shape, dtype=np.float64)
    for year in range(int(years.min()), int(years.max()) + 1):
        values, _ = _year_profile(meter_type, year)
        selected = years == year
        out[selected] = values[(seconds[selected] - _year_start(year)) // _QUARTER_S]
    return out


def _cumulative_envelope(meter_type: MeterType, seconds: Ints) -> Floats:
    """Envelope energy in kWh per (kWh/a) from 2000-01-01 to quarter-hour instants ``seconds``."""
    years = _year_of(seconds)
    out = np.empty(seconds.shape, dtype=np.float64)
    for year in range(int(years.min()), int(years.max()) + 1):
        _, cumulative = _year_profile(meter_type, year)
        selected = years == year
        index = (seconds[selected] - _year_start(year)) // _QUARTER_S
        out[selected] = (year - _ORIGIN_YEAR) + cumulative[index]
    return out


def _day_types(local_day: Ints) -> Ints:
    """BDEW day type per local day number: Sundays and national holidays FT, Saturdays and
    24/31 December SA, other days WT."""
    first = int(local_day.min())
    days = np.arange(first, int(local_day.max()) + 1, dtype=np.int64)
    return _distinct_day_types(days)[local_day - first]


def _distinct_day_types(local_day: Ints) -> Ints:
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    dates = local_day.astype("datetime64[D]")
    day_in_year = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    december = dates.astype("datetime64[M]").astype(np.int64) % 12 == 11
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    holidays = np.concatenate(
        [_holidays(int(year)) for year in range(int(years.min()), int(years.max()) + 1)]
    )
    day_type = np.where(weekday == 5, _SA, _WT)
    day_type = np.where(december & ((day_in_year == 24) | (day_in_year == 31)), _SA, day_type)
    return np.where((weekday == 6) | np.isin(local_day, holidays), _FT, day_type).astype(np.int64)


@functools.lru_cache(maxsize=512)
def _holidays(year: int) -> Ints:
    """Day numbers of Germany's nationwide public holidays in ``year``."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    easter = _day_number(year, month, day + 1)
    fixed = [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)]
    days = [_day_number(year, mm, dd) for mm, dd in fixed] + [easter + o for o in (-2, 1, 39, 50)]
    return np.array(sorted(days), dtype=np.int64)


def _day_number(year: int, month: int, day: int) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def _year_of(seconds: Ints) -> Ints:
    low, high = _scalar_year(int(seconds.min())), _scalar_year(int(seconds.max()))
    if low == high:
        return np.full(seconds.shape, low, dtype=np.int64)
    starts = np.array([_year_start(year) for year in range(low + 1, high + 1)], dtype=np.int64)
    return low + np.searchsorted(starts, seconds, side="right").astype(np.int64)


def _scalar_year(seconds: int) -> int:
    return int(np.datetime64(seconds, "s").astype("datetime64[Y]").astype(np.int64)) + 1970


def _year_start(year: int) -> int:
    return int(np.datetime64(f"{year:04d}-01-01T00:00:00", "s").astype(np.int64))


# --- energy per simulation day ------------------------------------------------------------------

_DAY_FACTOR_SIGMA = {"household": 0.18, "commercial": 0.08, "agriculture": 0.1}


def _block_energy(spec: MeterSpec, blocks: Ints) -> tuple[Floats, Floats]:
    """Energy of each block (kWh) and the cumulative energy since 2000 at its start (kWh).

    A block's energy is the envelope's times a day factor; the factors of each 7-block group are
    normalised so the group keeps the envelope's energy, which gives the closed form.
    """
    week_first = (blocks // _WEEK_BLOCKS) * _WEEK_BLOCKS
    groups = np.unique(week_first)
    members = (groups[:, None] + np.arange(_WEEK_BLOCKS, dtype=np.int64)).ravel()
    starts = members * _DAY_S + _BLOCK_OFFSET_S
    quarters = (starts[:, None] + _QUARTER_S * np.arange(96, dtype=np.int64)).ravel()
    envelope = _envelope_at(spec.type, quarters).reshape(-1, 96).sum(axis=1) * 0.25
    envelope = envelope.reshape(-1, _WEEK_BLOCKS)
    sigma = _DAY_FACTOR_SIGMA[spec.type]
    factor = np.exp(sigma * standard_normal(spec.seed, _S_DAY_FACTOR, members)).reshape(-1, _WEEK_BLOCKS)
    factor *= envelope.sum(axis=1, keepdims=True) / (envelope * factor).sum(axis=1, keepdims=True)
    energy = spec.annual_kwh * envelope * factor
    before = np.cumsum(energy, axis=1) - energy
    group_start = spec.annual_kwh * _cumulative_envelope(spec.type, groups * _DAY_S + _BLOCK_OFFSET_S)
    cumulative = group_start[:, None] + before
    row = np.searchsorted(groups, week_first)
    column = blocks - week_first
    return energy[row, column], cumulative[row, column]


# --- appliances ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Appliance:
    """An event type. Power in kW (in units of the meter's mean power for businesses), times in
    minutes. Shape: a background draw for the whole duration, a main pulse of ``first`` minutes
    after ``offset``, then thermostat cycles (period ``cycle``, on-fraction ``duty``) to the end."""

    share: float
    power: tuple[float, float]
    duration: tuple[float, float]
    background: tuple[float, float] = (0.0, 0.0)
    offset: tuple[float, float] = (0.0, 0.0)
    first: tuple[float, float] = (1e9, 1e9)
    cycle: tuple[float, float] = (0.0, 0.0)
    duty: tuple[float, float] = (0.0, 0.0)
    winter_only: bool = False


_HOUSEHOLD = (
    _Appliance(0.07, (1.8, 2.4), (2, 5)),  # kettle
    _Appliance(0.05, (0.8, 1.3), (1, 8)),  # microwave, toaster, coffee machine
    _Appliance(0.15, (0.6, 1.8), (10, 45), (0.4, 1.2), first=(3, 8)),  # hob: boil, then simmer
    _Appliance(
        0.10, (2.0, 3.0), (30, 90), (0.02, 0.05), first=(8, 15), cycle=(6, 12), duty=(0.3, 0.5)
    ),  # oven
    _Appliance(0.11, (1.8, 2.3), (60, 120), (0.1, 0.3), (3, 6), (10, 20)),  # washing machine
    _Appliance(0.10, (1.8, 2.2), (90, 150), (0.05, 0.1), (5, 10), (15, 25)),  # dishwasher
    _Appliance(0.08, (2.0, 2.6), (60, 120), (0.2, 0.3), (1, 3), (10, 20), (8, 15), (0.6, 0.85)),  # dryer
    _Appliance(0.06, (1.0, 2.0), (5, 25)),  # hair dryer, vacuum cleaner, iron
    _Appliance(0.12, (2.0, 3.0), (15, 60)),  # hot-water boiler reheating
    _Appliance(
        0.16, (1.0, 2.0), (60, 180), first=(10, 30), cycle=(15, 30), duty=(0.4, 0.8), winter_only=True
    ),  # fan heater
)
_BUSINESS = (
    _Appliance(0.6, (0.5, 2.0), (20, 240), (0.05, 0.2), first=(5, 30), cycle=(6, 15), duty=(0.3, 0.8)),
    _Appliance(0.4, (0.3, 1.0), (2, 30)),
)


@dataclass(frozen=True)
class _Layer:
    appliances: tuple[_Appliance, ...]
    share: float  # of each day's energy drawn as appliance events
    relative_power: bool  # appliance power in units of the meter's mean power
    slots: int  # event slots per day (upper bound on events)
    fridge_share: float  # cap of the fridge/compressor cycles' share of the mean power


_LAYERS: dict[MeterType, _Layer] = {
    "household": _Layer(_HOUSEHOLD, 0.45, False, 160, 0.12),
    "commercial": _Layer(_BUSINESS, 0.35, True, 64, 0.15),
    "agriculture": _Layer(_BUSINESS, 0.35, True, 64, 0.15),
}
_START_SHARPNESS = 1.5  # events start with density ∝ envelope^1.5: fewer at night than the mean
_MAX_CYCLES = 48
# Occupants' activity: a smooth field (about an hour's correlation) that clusters appliance starts and
# lifts the base load together, as when someone is home and busy; plus 20-minute base-load noise.
_ACTIVITY_KNOT_S, _ACTIVITY_WIDTH = 1800, 2.0
_ACTIVITY_EVENTS, _ACTIVITY_BASE, _SLOW_BASE = 0.3, 0.3, 0.2
_FIELDS = ("kind", "power", "duration", "background", "offset", "first", "cycle", "duty", "start")


def _consumption_minutes(spec: MeterSpec, blocks: Ints) -> tuple[Floats, Floats]:
    """Minute-mean consumption (kW) over whole blocks, and the cumulative kWh before each block."""
    energy, cumulative = _block_energy(spec, blocks)
    seconds = (blocks * _DAY_S + _BLOCK_OFFSET_S)[:, None] + _MINUTE_S * np.arange(_BLOCK_MIN, dtype=np.int64)
    shape = _routine_shape(spec, seconds)
    target = energy * 60.0  # kW·min per block
    mean_kw = shape * (target / shape.sum(axis=1))[:, None]
    layer = _LAYERS[spec.type]
    flat = seconds.ravel()
    activity = smooth_noise(flat, spec.seed, _S_ACTIVITY, _ACTIVITY_KNOT_S, _ACTIVITY_WIDTH).reshape(
        seconds.shape
    )
    expected = mean_kw**_START_SHARPNESS
    expected /= expected.sum(axis=1, keepdims=True)
    density = expected * np.exp(_ACTIVITY_EVENTS * activity)
    density /= density.sum(axis=1, keepdims=True)
    budget = _event_share(spec, layer) * target
    events = _render(*_events(spec, layer, blocks, density, budget), blocks.size)
    fridge = _render(*_fridge(spec, layer, blocks), blocks.size)
    fridge_mean = fridge.mean(axis=1, keepdims=True)
    base_shape = np.maximum(mean_kw - budget[:, None] * expected - fridge_mean, 0.15 * mean_kw)
    slow = smooth_noise(flat, spec.seed, _S_BASE_SLOW, 600, 2.0).reshape(seconds.shape)
    jitter = standard_normal(spec.seed, _S_BASE_JITTER, flat // _MINUTE_S).reshape(seconds.shape)
    base_shape = (
        base_shape
        * np.exp(_ACTIVITY_BASE * activity + _SLOW_BASE * slow)
        * np.clip(1.0 + 0.03 * jitter, 0.9, 1.1)
    )
    base_energy = np.maximum(target - events.sum(axis=1) - fridge.sum(axis=1), 0.0)
    base = base_shape * (base_energy / base_shape.sum(axis=1))[:, None]
    return (base + events + fridge).ravel(), cumulative


def _event_share(spec: MeterSpec, layer: _Layer) -> float:
    """Share of the energy in switched appliances. Homes far above the typical 3,500 kWh/a owe the
    extra mostly to continuous loads (heating, hot water, pumps), so their share shrinks."""
    if layer.relative_power:
        return layer.share
    return layer.share * min(1.0, float((3_500.0 / spec.annual_kwh) ** 0.35))


# Envelope hours onto which the routine maps the home's 03:00, 07:00 + morning shift, 18:00 + evening
# shift, 23:00 and the next 03:00 (piecewise linear in between).
_ANCHORS = [3.0, 7.0, 18.0, 23.0, 27.0]


def _routine_shape(spec: MeterSpec, seconds: Ints) -> Floats:
    """The envelope read through the meter's routine: warped clock and daytime absence."""
    local = seconds + berlin_offset_seconds(seconds.astype("datetime64[s]"))
    hour = (local % _DAY_S) / _HOUR_S
    clock = np.where(hour < 3.0, hour + 24.0, hour)
    warped = np.interp(
        clock, [3.0, 7.0 + spec.morning_shift_h, 18.0 + spec.evening_shift_h, 23.0, 27.0], _ANCHORS
    )
    shifted = seconds + np.rint((warped - clock) * _HOUR_S).astype(np.int64)
    shape = _envelope_at(spec.type, shifted.ravel()).reshape(seconds.shape)
    if spec.daytime_presence < 1.0:
        away = np.interp(hour, [8.5, 9.5, 17.0, 18.0], [0.0, 1.0, 1.0, 0.0])
        working_day = _day_types(local // _DAY_S) == _WT
        shape = shape * (1.0 - (1.0 - spec.daytime_presence) * away * working_day)
    return shape


def _events(
    spec: MeterSpec, layer: _Layer, blocks: Ints, density: Floats, budget: Floats
) -> tuple[Ints, Floats, Floats, Floats]:
    """Pulses (block row, start minute, end minute, kW) of the appliance events of each block.

    Slot ``j`` of block ``b`` draws its fields from the hash at ``b · slots + j``; events are kept
    while the block's cumulative event energy stays within ``budget`` (kW·min).
    """
    apps = layer.appliances
    slots = layer.slots
    counter = (blocks[:, None] * slots + np.arange(slots, dtype=np.int64)).ravel()
    u = {name: uniform(spec.seed, _S_EVENT + i, counter).reshape(-1, slots) for i, name in enumerate(_FIELDS)}
    winter = (1.0 + seasonal_phase(blocks * _DAY_S + _DAY_S // 2)) / 2.0
    shares = np.array([[a.share * (w if a.winter_only else 1.0) for a in apps] for w in winter])
    expected = np.array([_expected_kw_min(a) for a in apps])
    probability = shares / expected
    cdf = np.cumsum(probability / probability.sum(axis=1, keepdims=True), axis=1)
    kind = np.minimum((u["kind"][:, :, None] > cdf[:, None, :]).sum(axis=2), len(apps) - 1)

    def field(name: str) -> Floats:
        low = np.array([getattr(a, name)[0] for a in apps])[kind]
        high = np.array([getattr(a, name)[1] for a in apps])[kind]
        result: Floats = low + (high - low) * u[name]
        return result

    scale = spec.annual_kwh / 8766.0 if layer.relative_power else 1.0
    power, background = field("power") * scale, field("background") * scale
    duration = field("duration")
    offset = np.minimum(field("offset"), duration)
    first = np.minimum(field("first"), duration - offset)
    cycle, duty = field("cycle"), field("duty")
    energy = background * duration + power * (
        first + _cycling_minutes(duration - offset - first, cycle, duty)
    )
    rows = np.broadcast_to(np.arange(blocks.size, dtype=np.int64)[:, None], energy.shape)
    begin = _inverse_cdf(density, rows, u["start"]) - duration / 2.0
    fits = (begin >= 0.0) & (begin + duration <= _BLOCK_MIN)  # the rest would leave the block
    keep = fits & (np.cumsum(np.where(fits, energy, 0.0), axis=1) <= budget[:, None])
    row = rows[keep]
    power, background, duration = power[keep], background[keep], duration[keep]
    offset, first, cycle, duty = offset[keep], first[keep], cycle[keep], duty[keep]
    origin = begin[keep]
    cycle_start = (origin + offset + first)[:, None] + cycle[:, None] * np.arange(_MAX_CYCLES)
    cycle_end = np.minimum(cycle_start + (duty * cycle)[:, None], (origin + duration)[:, None])
    cycling = (cycle > 0)[:, None] & (cycle_start < cycle_end)
    begins = np.concatenate([origin, origin + offset, cycle_start[cycling]])
    ends = np.concatenate([origin + duration, origin + offset + first, cycle_end[cycling]])
    watts = np.concatenate([background, power, np.broadcast_to(power[:, None], cycling.shape)[cycling]])
    rows = np.concatenate([row, row, np.broadcast_to(row[:, None], cycling.shape)[cycling]])
    chosen = (watts > 0) & (ends > begins)
    return rows[chosen], begins[chosen], ends[chosen], watts[chosen]


def _cycling_minutes(region: Floats, cycle: Floats, duty: Floats) -> Floats:
    """On-minutes of thermostat cycles (period ``cycle``, on-fraction ``duty``) filling ``region``."""
    period = np.where(cycle > 0, cycle, 1.0)
    full = np.minimum(np.floor(region / period), _MAX_CYCLES)
    partial = np.where(full < _MAX_CYCLES, np.minimum(region - full * period, duty * period), 0.0)
    return np.where(cycle > 0, full * duty * period + partial, 0.0)


def _expected_kw_min(appliance: _Appliance) -> float:
    """Rough mean energy of one event (kW·min at unit scale): turns energy shares into frequencies."""
    mid = {name: sum(getattr(appliance, name)) / 2 for name in _FIELDS[1:-1]}
    duration = mid["duration"]
    first = min(mid["first"], duration - mid["offset"])
    cycling = (duration - mid["offset"] - first) * mid["duty"] if mid["cycle"] > 0 else 0.0
    return max(float(mid["background"] * duration + mid["power"] * (first + cycling)), 1e-6)


def _inverse_cdf(density: Floats, row: Ints, u: Floats) -> Floats:
    """Fractional minutes drawn from the per-minute ``density`` of block ``row`` (rows sum to one).

    A vectorised binary search within each row (not one search over concatenated rows, whose
    offsets would round differently depending on a block's position in the batch).
    """
    minutes = density.shape[1]
    cdf = np.cumsum(density, axis=1)
    cdf[:, -1] = 1.0
    low = np.zeros(u.shape, dtype=np.int64)
    high = np.full(u.shape, minutes - 1, dtype=np.int64)
    for _ in range(math.ceil(math.log2(minutes))):
        middle = (low + high) // 2
        right = cdf[row, middle] <= u
        low, high = np.where(right, middle + 1, low), np.where(right, high, middle)
    upper = cdf[row, low]
    lower = np.where(low > 0, cdf[row, np.maximum(low - 1, 0)], 0.0)
    fraction = np.clip((u - lower) / np.maximum(upper - lower, 1e-12), 0.0, 1.0)
    return low.astype(np.float64) + fraction


def _fridge(spec: MeterSpec, layer: _Layer, blocks: Ints) -> tuple[Ints, Floats, Floats, Floats]:
    """Compressor cycles (fridge, freezer; cold stores for businesses): per-meter power, period and
    duty, capped at ``fridge_share`` of the mean power; a fresh phase every block."""
    constants = uniform(spec.seed, _S_METER + 3, np.arange(3, dtype=np.int64))
    period = 40.0 + 30.0 * float(constants[1])
    duty = 0.3 + 0.15 * float(constants[2])
    largest = layer.fridge_share * spec.annual_kwh / 8766.0 / duty  # cap on the cycles' mean share
    power = largest if layer.relative_power else min(0.07 + 0.06 * float(constants[0]), largest)
    phase = uniform(spec.seed, _S_FRIDGE, blocks) * period
    cycles = math.ceil(_BLOCK_MIN / period) + 1
    begins = (phase - period)[:, None] + period * np.arange(cycles)
    ends = begins + duty * period
    begins, ends = np.clip(begins, 0.0, _BLOCK_MIN), np.clip(ends, 0.0, _BLOCK_MIN)
    rows = np.broadcast_to(np.arange(blocks.size, dtype=np.int64)[:, None], begins.shape)
    chosen = ends > begins
    return rows[chosen], begins[chosen], ends[chosen], np.full(int(chosen.sum()), power)


def _render(rows: Ints, begins: Floats, ends: Floats, power: Floats, blocks: int) -> Floats:
    """Mean kW per minute of rectangular pulses with fractional edges, as a (blocks, 1440) array.

    Pulses are given per block ``rows`` in minutes from the block start. Each edge changes the slope
    of the cumulative energy; minute ``i`` gets the full change of every edge before it and the
    part ``(i + 1 − x)`` of an edge at ``x`` inside it. Blocks are summed separately, so a block's
    values do not depend on which other blocks are rendered with it.
    """
    width = _BLOCK_MIN + 2
    row = np.concatenate([rows, rows]) * width
    edges = np.concatenate([begins, ends])
    change = np.concatenate([power, -power])
    whole = np.floor(edges).astype(np.int64)
    slope = np.bincount(row + whole + 1, weights=change, minlength=blocks * width)
    after = np.cumsum(slope.reshape(blocks, width), axis=1)
    part = np.bincount(row + whole, weights=change * (whole + 1 - edges), minlength=blocks * width)
    total = after + part.reshape(blocks, width)
    rendered: Floats = np.maximum(total[:, :_BLOCK_MIN], 0.0)
    return rendered


# --- data quality and the register ---------------------------------------------------------------


def _quality(seed: int, blocks: Ints, per_block: int, step_s: int, faults: FaultRates) -> Labels:
    """Quality per interval of whole blocks: at most one missing and one estimated run per block."""
    minute = (np.arange(per_block, dtype=np.float64) * (step_s // _MINUTE_S))[None, :]

    def runs(stream: int, rate: float, shortest: float, longest: float) -> Mask:
        happens = uniform(seed, stream, blocks) < rate
        length = np.exp(np.log(shortest) + np.log(longest / shortest) * uniform(seed, stream + 1, blocks))
        begin = (_BLOCK_MIN - length) * uniform(seed, stream + 2, blocks)
        inside = (minute >= begin[:, None]) & (minute < (begin + length)[:, None])
        flagged: Mask = inside & happens[:, None]
        return flagged

    missing = runs(_S_FAULT, faults.missing_per_day, 1.0, 360.0)
    estimated = runs(_S_FAULT + 3, faults.estimated_per_day, 5.0, 180.0)
    quality = np.where(missing, QUALITY_MISSING, np.where(estimated, QUALITY_ESTIMATED, QUALITY_OK))
    return quality.astype("<U9").ravel()


def _estimate_runs(consumption: Floats, estimated: Mask, blocks: int) -> Floats:
    """Replace each block's estimated run by its mean: a substitute that keeps the run's energy."""
    if not estimated.any():
        return consumption
    values = consumption.reshape(blocks, -1)
    mask = estimated.reshape(blocks, -1)
    count = mask.sum(axis=1, keepdims=True)
    mean = np.where(mask, values, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
    return np.where(mask, mean, values).ravel()


def _register(
    spec: MeterSpec, blocks: Ints, consumption: Floats, step_s: int, before: Floats, faults: FaultRates
) -> tuple[Floats, Mask]:
    """Cumulative consumption register at the end of each interval of whole blocks, and resets.

    The meter starts 2000-01-01 with a reading of 0–20,000 kWh. A reset (at most one per year, with
    probability ``resets_per_year``, at the start of a block) restarts the counter from zero; the
    register after it is the energy since the reset, in closed form like everything else.
    """
    energy = (consumption * (step_s / _HOUR_S)).reshape(blocks.size, -1)
    cumulative = before[:, None] + np.cumsum(energy, axis=1)
    initial = 20_000.0 * float(uniform(spec.seed, _S_METER, np.zeros(1, dtype=np.int64))[0])
    last_year = int(_year_of(blocks[-1:] * _DAY_S + _BLOCK_OFFSET_S)[0])
    years = np.arange(_ORIGIN_YEAR, last_year + 1, dtype=np.int64)
    happens = uniform(spec.seed, _S_RESET, years) < faults.resets_per_year
    first_blocks = np.array([_year_start(int(y)) // _DAY_S for y in years], dtype=np.int64)
    days = np.array([(_year_start(int(y) + 1) - _year_start(int(y))) // _DAY_S for y in years])
    reset_blocks = (first_blocks + np.floor(uniform(spec.seed, _S_RESET + 1, years) * days)).astype(np.int64)
    reset_blocks = np.maximum(reset_blocks[happens], _ORIGIN_BLOCK + 1)
    reset = np.zeros(energy.shape, dtype=np.bool_)
    reset[:, 0] = np.isin(blocks, reset_blocks)
    which = np.searchsorted(reset_blocks, blocks, side="right") - 1
    offset = np.full(blocks.size, -initial)
    if reset_blocks.size:
        _, at_reset = _block_energy(spec, reset_blocks)
        offset = np.where(which >= 0, at_reset[np.maximum(which, 0)], offset)
    return (cumulative - offset[:, None]).ravel(), reset.ravel()


# --- PV -----------------------------------------------------------------------------------------

_PERFORMANCE_RATIO = 0.82  # all losses, temperature included
_YEAR_DAYS = 365.2425
_YEAR_ZERO_DAY = 10_957.0  # 2000-01-01: the fractional year's origin
_ALBEDO = 0.2


def _pv_kw(spec: MeterSpec, seconds: Ints, step_s: int, cloud_cover: Floats | None) -> Floats:
    """Mean PV output of each interval, evaluated at its midpoint."""
    middle = seconds + step_s // 2
    if cloud_cover is None:
        cloud_cover = _own_cloud_cover(spec.seed, middle)
    cloud = np.clip(np.asarray(cloud_cover, dtype=np.float64), 0.0, 1.0)
    constants = uniform(spec.seed, _S_METER + 6, np.arange(2, dtype=np.int64))
    tilt = math.radians(20.0 + 20.0 * float(constants[0]))
    azimuth = math.radians(140.0 + 80.0 * float(constants[1]))
    knots = 300 * np.arange(int(middle.min()) // 300, int(middle.max()) // 300 + 2, dtype=np.int64)
    zenith_knots, incidence_knots = _sun(knots, tilt, azimuth)  # smooth: 5-minute knots suffice
    cos_zenith = np.interp(middle, knots, zenith_knots)
    cos_incidence = np.interp(middle, knots, incidence_knots)
    up = cos_zenith > 0.01
    mu = np.where(up, cos_zenith, 1.0)
    zenith_deg = np.degrees(np.arccos(mu))
    air_mass = 1.0 / (mu + 0.50572 * (96.07995 - zenith_deg) ** -1.6364)
    ghi = np.where(up, 1098.0 * mu * np.exp(-0.057 / mu) * (1.0 - 0.75 * cloud**3.4), 0.0)
    flicker = smooth_noise(middle, spec.seed, _S_PV_FLICKER, 120, 1.0)
    beam_share = (1.0 - cloud) * (1.0 + cloud * np.tanh(1.5 * flicker))  # mean 1 − c, within 0…1
    dni = np.where(up, 1353.0 * 0.7 ** (air_mass**0.678) * beam_share, 0.0)
    beam_horizontal = np.minimum(dni * mu, ghi)
    diffuse = ghi - beam_horizontal
    poa = (
        beam_horizontal / mu * np.maximum(cos_incidence, 0.0)
        + diffuse * (1.0 + math.cos(tilt)) / 2.0
        + ghi * _ALBEDO * (1.0 - math.cos(tilt)) / 2.0
    )
    power: Floats = np.clip(spec.pv_kwp * _PERFORMANCE_RATIO * poa / 1000.0, 0.0, spec.pv_kwp)
    return power


def _own_cloud_cover(seed: int, seconds: Ints) -> Floats:
    """Cloud cover from ``weather.py``'s process under the meter's seed.

    Evaluated at absolute quarter hours and interpolated: the field is smooth on that scale, and a
    1-minute series then costs a fifteenth of the weather model.
    """
    first, last = int(seconds.min()) // _QUARTER_S, int(seconds.max()) // _QUARTER_S + 1
    knots = _QUARTER_S * np.arange(first, last + 1, dtype=np.int64)
    half = np.full(knots.size, _QUARTER_S, dtype=np.int64)
    cloud = weather_for_periods((knots - _QUARTER_S // 2).astype("datetime64[s]"), half, seed).cloud_cover
    return np.interp(seconds, knots, cloud)


def _sun(seconds: Ints, tilt: float, azimuth: float) -> tuple[Floats, Floats]:
    """Cosines of the solar zenith angle and of the incidence on a module (tilt, azimuth from north).

    Declination and equation of time after NOAA's version of Spencer's series, with the fractional
    year taken on the mean Gregorian year (within a day of the calendar's: negligible here).
    """
    days = seconds / _DAY_S
    gamma = 2.0 * np.pi * np.mod(days - _YEAR_ZERO_DAY, _YEAR_DAYS) / _YEAR_DAYS
    cos1, sin1 = np.cos(gamma), np.sin(gamma)
    cos2, sin2 = 2.0 * cos1 * cos1 - 1.0, 2.0 * sin1 * cos1
    cos3, sin3 = cos1 * cos2 - sin1 * sin2, sin1 * cos2 + cos1 * sin2
    equation_of_time = 229.18 * (
        0.000075 + 0.001868 * cos1 - 0.032077 * sin1 - 0.014615 * cos2 - 0.040849 * sin2
    )
    declination = (
        0.006918
        - 0.399912 * cos1
        + 0.070257 * sin1
        - 0.006758 * cos2
        + 0.000907 * sin2
        - 0.002697 * cos3
        + 0.00148 * sin3
    )
    minutes = (seconds % _DAY_S) / _MINUTE_S
    hour_angle = np.radians((minutes + equation_of_time + 4.0 * LONGITUDE_DEG) / 4.0 - 180.0)
    lat = math.radians(LATITUDE_DEG)
    cos_dec, sin_dec, cos_hour = np.cos(declination), np.sin(declination), np.cos(hour_angle)
    east = -cos_dec * np.sin(hour_angle)
    north = math.cos(lat) * sin_dec - math.sin(lat) * cos_dec * cos_hour
    up = math.sin(lat) * sin_dec + math.cos(lat) * cos_dec * cos_hour
    incidence = (
        east * math.sin(tilt) * math.sin(azimuth)
        + north * math.sin(tilt) * math.cos(azimuth)
        + up * math.cos(tilt)
    )
    return up, incidence


# --- voltage ------------------------------------------------------------------------------------


def _voltage(spec: MeterSpec, seconds: Ints, net_kw: Floats) -> Floats:
    """Voltage (V, 0.1 V resolution): feeder level, feeder sag with the population's load, slow
    noise and the meter's own sag (rise when exporting, at most 8 V). Bounded by construction to
    215–248 V, inside EN 50160's 207–253 V (the population term spans −2.5…+1.3 V)."""
    constants = uniform(spec.seed, _S_METER + 1, np.arange(2, dtype=np.int64))
    level = 228.0 + 8.0 * float(constants[0])
    size = max(1.0, spec.annual_kwh / 10_000.0, spec.pv_kwp / 12.0)
    volts_per_kw = (0.3 + 0.3 * float(constants[1])) / size
    population = _envelope_at("household", seconds) * 8766.0  # load relative to the annual mean
    slow = smooth_noise(seconds, spec.seed, _S_VOLT_SLOW, 1800, 2.0)
    fast = standard_normal(spec.seed, _S_VOLT_FAST, seconds // _MINUTE_S)
    own = np.clip(volts_per_kw * np.nan_to_num(net_kw), -8.0, 8.0)
    volts = level - 2.5 * (population - 1.0) + 1.5 * np.tanh(slow) + 0.3 * np.tanh(fast) - own
    return np.round(volts, 1)


# --- grid helpers -------------------------------------------------------------------------------


def _step_seconds(step: timedelta) -> int:
    seconds = step.total_seconds()
    if seconds <= 0 or seconds % _MINUTE_S or (2 * _HOUR_S) % seconds:
        raise InvalidInput("step must be a whole number of minutes that divides two hours")
    return int(seconds)


def _grid_seconds(moment: datetime, step_s: int) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("datetimes must carry a time zone (UTC or an offset)")
    seconds = moment.timestamp()
    if seconds % step_s:
        raise InvalidInput(f"{moment.isoformat()} is not on the {step_s // 60}-minute grid")
    return int(seconds)
