"""Layer 1, the envelope: BDEW 2025 profiles on the Berlin clock, and each simulation day's energy
(the envelope's times a day factor whose mean over every 7-day group is one)."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from luna.domain.errors import InvalidInput
from luna.domain.sim.meters.spec import (
    BLOCK_OFFSET_S,
    DAY_S,
    FT,
    METER_TYPES,
    ORIGIN_YEAR,
    QUARTER_S,
    S_DAY_FACTOR,
    SA,
    WEEK_BLOCKS,
    WT,
    Floats,
    Ints,
    MeterSpec,
    MeterType,
    Timestamps,
)
from luna.domain.sim.price_stats import berlin_offset_seconds
from luna.domain.sim.weather import standard_normal


def envelope_kw(meter_type: MeterType, ts: Timestamps, annual_kwh: float = 1.0) -> Floats:
    """The BDEW envelope (mean kW of each instant's quarter hour) for ``annual_kwh`` per UTC year.

    ``ts`` are UTC instants. Useful to scale a spec so that a period has a given energy.
    """
    if meter_type not in METER_TYPES:
        raise InvalidInput(f"meter type must be one of {', '.join(METER_TYPES)}")
    return envelope_at(meter_type, ts.astype("datetime64[s]").astype(np.int64)) * annual_kwh


# --- BDEW 2025 profiles on the Berlin clock ---------------------------------------------------


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
    day_type = np.where(weekday == 6, FT, np.where(weekday == 5, SA, WT))
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
    start = year_start(year)
    quarters = (year_start(year + 1) - start) // QUARTER_S
    utc = start + QUARTER_S * np.arange(quarters, dtype=np.int64)
    local = utc + berlin_offset_seconds(utc.astype("datetime64[s]"))
    local_day = local // DAY_S
    dates = local_day.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    quarter = (local % DAY_S) // QUARTER_S
    values = _bdew_table(meter_type)[month, day_types(local_day), quarter]
    if meter_type == "household":
        day_of_year = (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1
        values = values * _dynamisation(day_of_year)
    values = values / (values.sum() * 0.25)
    cumulative = np.concatenate(([0.0], np.cumsum(values) * 0.25))
    return values, cumulative


def envelope_at(meter_type: MeterType, seconds: Ints) -> Floats:
    """Envelope in kW per (kWh/a) at UTC instants (each instant's quarter hour)."""
    years = year_of(seconds)
    out = np.empty(seconds.shape, dtype=np.float64)
    for year in range(int(years.min()), int(years.max()) + 1):
        values, _ = _year_profile(meter_type, year)
        selected = years == year
        out[selected] = values[(seconds[selected] - year_start(year)) // QUARTER_S]
    return out


def _cumulative_envelope(meter_type: MeterType, seconds: Ints) -> Floats:
    """Envelope energy in kWh per (kWh/a) from 2000-01-01 to quarter-hour instants ``seconds``."""
    years = year_of(seconds)
    out = np.empty(seconds.shape, dtype=np.float64)
    for year in range(int(years.min()), int(years.max()) + 1):
        _, cumulative = _year_profile(meter_type, year)
        selected = years == year
        index = (seconds[selected] - year_start(year)) // QUARTER_S
        out[selected] = (year - ORIGIN_YEAR) + cumulative[index]
    return out


def day_types(local_day: Ints) -> Ints:
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
    day_type = np.where(weekday == 5, SA, WT)
    day_type = np.where(december & ((day_in_year == 24) | (day_in_year == 31)), SA, day_type)
    return np.where((weekday == 6) | np.isin(local_day, holidays), FT, day_type).astype(np.int64)


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


def year_of(seconds: Ints) -> Ints:
    low, high = _scalar_year(int(seconds.min())), _scalar_year(int(seconds.max()))
    if low == high:
        return np.full(seconds.shape, low, dtype=np.int64)
    starts = np.array([year_start(year) for year in range(low + 1, high + 1)], dtype=np.int64)
    return low + np.searchsorted(starts, seconds, side="right").astype(np.int64)


def _scalar_year(seconds: int) -> int:
    return int(np.datetime64(seconds, "s").astype("datetime64[Y]").astype(np.int64)) + 1970


def year_start(year: int) -> int:
    return int(np.datetime64(f"{year:04d}-01-01T00:00:00", "s").astype(np.int64))


# --- energy per simulation day ------------------------------------------------------------------

_DAY_FACTOR_SIGMA = {"household": 0.18, "commercial": 0.08, "agriculture": 0.1}


def block_energy(spec: MeterSpec, blocks: Ints) -> tuple[Floats, Floats]:
    """Energy of each block (kWh) and the cumulative energy since 2000 at its start (kWh).

    A block's energy is the envelope's times a day factor; the factors of each 7-block group are
    normalised so the group keeps the envelope's energy, which gives the closed form.
    """
    week_first = (blocks // WEEK_BLOCKS) * WEEK_BLOCKS
    groups = np.unique(week_first)
    members = (groups[:, None] + np.arange(WEEK_BLOCKS, dtype=np.int64)).ravel()
    starts = members * DAY_S + BLOCK_OFFSET_S
    quarters = (starts[:, None] + QUARTER_S * np.arange(96, dtype=np.int64)).ravel()
    envelope = envelope_at(spec.type, quarters).reshape(-1, 96).sum(axis=1) * 0.25
    envelope = envelope.reshape(-1, WEEK_BLOCKS)
    sigma = _DAY_FACTOR_SIGMA[spec.type]
    factor = np.exp(sigma * standard_normal(spec.seed, S_DAY_FACTOR, members)).reshape(-1, WEEK_BLOCKS)
    factor *= envelope.sum(axis=1, keepdims=True) / (envelope * factor).sum(axis=1, keepdims=True)
    energy = spec.annual_kwh * envelope * factor
    before = np.cumsum(energy, axis=1) - energy
    group_start = spec.annual_kwh * _cumulative_envelope(spec.type, groups * DAY_S + BLOCK_OFFSET_S)
    cumulative = group_start[:, None] + before
    row = np.searchsorted(groups, week_first)
    column = blocks - week_first
    return energy[row, column], cumulative[row, column]
