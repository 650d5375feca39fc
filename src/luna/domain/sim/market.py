"""Day-ahead market prices for the DE-LU bidding zone, driven by residual load from the shared weather.

One price per delivery period: hourly until 2025-09-30, 15-minute from 2025-10-01 00:00 Europe/Berlin
(2025-09-30T22:00Z, the SDAC switch to a 15-minute market time unit). ``SIM_MARKETS`` values
(EEX, EPEX, APX …) are source labels the caller attaches; they are not separate price processes.

The model (DESIGN.md §5): prices follow the residual load ``load − wind − PV`` through a merit-order
curve, so the midday dip (PV), the evening peak (PV gone, load still high), weekends and holidays,
the seasons, and negative prices on sunny, windy, low-load middays emerge from the weather instead of
being drawn in:

- load: a workday/Saturday/Sunday shape by local hour, German public holidays as Sundays and bridge
  days as Saturdays, more load in winter and when it is cold;
- wind and PV: installed capacity growing over the years times the weather of the same seed
  (:mod:`luna.domain.sim.weather`): ``wind_cf``, and for the PV fleet the horizontal irradiance
  (a fleet of mixed orientations follows it more closely than a south-facing roof does);
- price: a convex merit-order curve (linear plus exponential) of residual load, scaled by the
  marginal cost of a gas plant (from the gas and CO₂ price parameters); below a knee the surplus is
  compressed logarithmically (exports, storage and curtailment absorb it), so prices turn negative
  but rarely deeply; a slowly wandering fuel/import level and short-term noise; rounded to cents and
  clipped to the harmonised SDAC limits (−500 / +4,000 €/MWh).

Calibrated so that a simulated 2024 matches the SMARD 2024 statistics in ``shared/data/SOURCES.md``
(``bench/realism_prices.py`` prints the comparison). Deterministic for a seed; every value depends only
on the seed and its delivery period, so a sub-range equals the slice of a longer run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.sim.price_stats import berlin_wall_clock, peak_mask, utc_seconds, weekday
from luna.domain.sim.weather import (
    epoch_seconds,
    seasonal_phase,
    smooth_noise,
    standard_normal,
    weather_for_periods,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Timestamps = npt.NDArray[np.datetime64]

ZONE = "DE-LU"
QUARTER_HOUR_FROM = datetime(2025, 9, 30, 22, 0, tzinfo=UTC)
PRICE_FLOOR_EUR_MWH = -500.0
PRICE_CAP_EUR_MWH = 4000.0

_HOUR_S = 3600
_QUARTER_S = 900
_YEAR_S = 365.2425 * 86_400
_CAPACITY_REFERENCE_S = 1_719_835_200  # 2024-07-01T12:00Z: mid-2024, when capacities are given
_MAX_PERIODS = 2_000_000

# Noise streams of the market; the weather uses 1–5 with the same seed.
_LEVEL, _PRICE_NOISE, _PRICE_WHITE, _VOLUME_NOISE = 11, 12, 13, 14

# Shape of the load by local hour per day type (each is normalised to a mean of 1 below).
_WORKDAY = (0.84, 0.81, 0.79, 0.78, 0.79, 0.84, 0.94, 1.05, 1.11, 1.13, 1.14, 1.15,
            1.14, 1.12, 1.10, 1.08, 1.08, 1.09, 1.11, 1.10, 1.06, 1.00, 0.95, 0.89)  # fmt: skip
_SATURDAY = (0.84, 0.80, 0.78, 0.76, 0.76, 0.77, 0.81, 0.86, 0.92, 0.97, 1.00, 1.01,
             1.00, 0.97, 0.94, 0.92, 0.92, 0.94, 0.98, 0.99, 0.97, 0.93, 0.90, 0.87)  # fmt: skip
_SUNDAY = (0.82, 0.78, 0.75, 0.73, 0.72, 0.72, 0.73, 0.76, 0.81, 0.86, 0.89, 0.91,
           0.90, 0.87, 0.84, 0.83, 0.84, 0.87, 0.92, 0.95, 0.94, 0.91, 0.88, 0.85)  # fmt: skip


@dataclass(frozen=True)
class MarketModel:
    """Parameters of the price model; the defaults are calibrated on DE-LU 2024.

    Capacities are the averages of 2024 and grow linearly with time. PV grows by 12 GW a year here,
    less than the real ~16 GW, because storage and curtailment grow alongside and absorb part of it;
    later years still get more and deeper negative prices, as the real market did. Gas and CO₂ are
    2024 averages (TTF ≈ 35 €/MWh, EUA ≈ 65 €/t): set them to simulate another price level.
    """

    load_mean_gw: float = 52.5  # German grid load, 2024 average
    saturday_load: float = 0.87  # day-type load relative to a workday
    sunday_load: float = 0.79
    load_winter_share: float = 0.07  # ± relative load swing over the year
    load_per_cold_kelvin: float = 0.004  # relative extra load per kelvin below 14 °C
    pv_gw_2024: float = 90.0
    pv_growth_gw_per_year: float = 12.0
    pv_fleet_factor: float = 0.8  # fleet output per installed kW at 1 kW/m² horizontal irradiance
    wind_gw_2024: float = 74.0
    wind_growth_gw_per_year: float = 4.0
    gas_eur_mwh: float = 35.0
    co2_eur_t: float = 65.0
    reference_residual_gw: float = 33.7  # residual load at which the price is the gas plant's cost
    slope_per_10gw: float = 0.25  # linear part of the merit order, in gas-plant costs per 10 GW
    convexity: float = 0.2  # weight of the exponential (peakers, scarcity) part
    convexity_scale_gw: float = 14.0
    knee_gw: float = 14.7  # below this residual load the surplus is compressed …
    compression_gw: float = 15.7  # … logarithmically with this scale
    level_sigma: float = 0.03  # slowly wandering fuel/import level (relative, week scale)
    noise_eur_mwh: float = 13.0  # hour-scale price noise
    white_noise_eur_mwh: float = 2.0  # independent per delivery period
    volume_share_of_load: float = 0.55  # day-ahead traded volume as a share of load

    @property
    def gas_plant_cost_eur_mwh(self) -> float:
        """Marginal cost of a combined-cycle gas plant (55 % efficiency, 0.37 t CO₂/MWh)."""
        return self.gas_eur_mwh / 0.55 + 0.37 * self.co2_eur_t


@dataclass(frozen=True, eq=False)
class PriceSeries:
    """Day-ahead prices of one bidding zone, one row per delivery period starting at ``ts`` (UTC).

    ``period_minutes`` is 60 or 15; ``volume_mwh`` is the traded energy of the period (so a quarter-hour
    trades about a quarter of an hour's volume). ``residual_load_mw`` is the simulated driver of each
    price, kept for explaining and charting it.
    """

    zone: str
    ts: Timestamps
    period_minutes: Ints
    price_eur_mwh: Floats
    volume_mwh: Floats
    residual_load_mw: Floats


@dataclass(frozen=True, eq=False)
class DailyProduct:
    """Daily averages of one product (BASE or PEAK) per local delivery day.

    ``hours`` is how many delivery hours of the product the series covered on that day (24 or 12 on a
    complete day; fewer at the edges of a range; 23/25 on BASE days when the clocks change).
    """

    name: str
    day: npt.NDArray[np.datetime64]
    price_eur_mwh: Floats
    hours: Floats


def delivery_periods(start: datetime, end: datetime) -> tuple[Timestamps, Ints]:
    """Starts (UTC ``datetime64[s]``) and lengths (s) of the delivery periods starting in [start, end).

    Periods are hours before :data:`QUARTER_HOUR_FROM` and quarter-hours from then on; a ``start`` that
    is not on a period boundary begins with the next period.
    """
    first, stop = epoch_seconds(start), epoch_seconds(end)
    if stop <= first:
        raise InvalidInput("end must be after start")
    switch = int(QUARTER_HOUR_FROM.timestamp())
    hourly = np.arange(-(-first // _HOUR_S) * _HOUR_S, min(stop, switch), _HOUR_S, dtype=np.int64)
    quarter_first = max(-(-first // _QUARTER_S) * _QUARTER_S, switch)
    quarterly = np.arange(quarter_first, stop, _QUARTER_S, dtype=np.int64)
    if hourly.size + quarterly.size > _MAX_PERIODS:
        raise InvalidInput(f"more than {_MAX_PERIODS:,} delivery periods requested")
    seconds = np.concatenate([hourly, quarterly])
    lengths = np.concatenate(
        [np.full(hourly.size, _HOUR_S, np.int64), np.full(quarterly.size, _QUARTER_S, np.int64)]
    )
    return seconds.astype("datetime64[s]"), lengths


def simulate_prices(
    start: datetime,
    end: datetime,
    seed: int,
    zone: str = ZONE,
    model: MarketModel | None = None,
) -> PriceSeries:
    """Day-ahead prices and volumes for every delivery period starting in ``[start, end)``."""
    if zone != ZONE:
        raise InvalidInput(f"only the {ZONE} bidding zone is simulated, not {zone!r}")
    params = model or MarketModel()
    ts, period_s = delivery_periods(start, end)
    residual_gw, load_gw = _residual_load_gw(ts, period_s, seed, params)
    mid_s = utc_seconds(ts) + period_s // 2
    level = params.gas_plant_cost_eur_mwh * np.exp(
        params.level_sigma * smooth_noise(mid_s, seed, _LEVEL, 86_400, 7.0)
    )
    merit = _merit_order(residual_gw, params)
    noise = params.noise_eur_mwh * smooth_noise(mid_s, seed, _PRICE_NOISE, _HOUR_S, 1.5)
    noise += params.white_noise_eur_mwh * standard_normal(seed, _PRICE_WHITE, utc_seconds(ts))
    price = np.clip(np.round(level * merit + noise, 2), PRICE_FLOOR_EUR_MWH, PRICE_CAP_EUR_MWH)
    volume_noise = 1.0 + 0.03 * smooth_noise(mid_s, seed, _VOLUME_NOISE, _HOUR_S, 2.0)
    volume = np.round(params.volume_share_of_load * load_gw * 1000.0 * period_s / _HOUR_S * volume_noise, 1)
    return PriceSeries(
        zone=zone,
        ts=ts,
        period_minutes=period_s // 60,
        price_eur_mwh=price,
        volume_mwh=volume,
        residual_load_mw=residual_gw * 1000.0,
    )


def products(prices: PriceSeries) -> dict[str, DailyProduct]:
    """BASE (all periods) and PEAK (Mon–Fri, 08–20 h local) daily average prices per delivery day.

    Averages weight each period by its length, so a day mixing hours and quarter-hours is still a
    time average. PEAK has no rows for Saturdays and Sundays.
    """
    local_day = berlin_wall_clock(prices.ts).astype("datetime64[D]")
    hours = prices.period_minutes / 60.0
    peak = peak_mask(prices.ts)
    return {
        "BASE": _daily_average("BASE", local_day, prices.price_eur_mwh, hours),
        "PEAK": _daily_average("PEAK", local_day[peak], prices.price_eur_mwh[peak], hours[peak]),
    }


def german_public_holidays(years: Ints) -> npt.NDArray[np.datetime64]:
    """Nationwide German public holidays of the given years (``datetime64[D]``)."""
    fixed = [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)]
    easter_relative = [-2, 1, 39, 50]  # Good Friday, Easter Monday, Ascension, Whit Monday
    return _calendar_days(years, fixed, easter_relative)


def bridge_days(years: Ints) -> npt.NDArray[np.datetime64]:
    """Days with Saturday-like load: Christmas Eve to New Year's Eve, Corpus Christi, All Saints.

    The last two are holidays in the large southern and western states only.
    """
    fixed = [(12, 24), (12, 27), (12, 28), (12, 29), (12, 30), (12, 31), (11, 1)]
    return _calendar_days(years, fixed, [60])


def _residual_load_gw(
    ts: Timestamps, period_s: Ints, seed: int, params: MarketModel
) -> tuple[Floats, Floats]:
    """Residual load and load (GW) per period, from the shared weather of the same seed."""
    weather = weather_for_periods(ts, period_s, seed)
    mid_s = utc_seconds(ts) + period_s // 2
    local = berlin_wall_clock(mid_s.astype("datetime64[s]"))
    local_day = local.astype("datetime64[D]")
    local_hour = (local - local_day).astype(np.int64) / 3600.0
    day_type = _day_type(local_day)
    week_mean = (5.0 + params.saturday_load + params.sunday_load) / 7.0
    shape = (
        np.select(
            [day_type == 2, day_type == 1],
            [
                params.sunday_load * _periodic_interp(local_hour, _SUNDAY),
                params.saturday_load * _periodic_interp(local_hour, _SATURDAY),
            ],
            _periodic_interp(local_hour, _WORKDAY),
        )
        / week_mean
    )
    season = seasonal_phase(mid_s)
    cold = np.maximum(14.0 - weather.temperature_c, 0.0)
    load = (
        params.load_mean_gw
        * shape
        * (1.0 + params.load_winter_share * season + params.load_per_cold_kelvin * cold)
    )
    years_since = (mid_s - _CAPACITY_REFERENCE_S) / _YEAR_S
    pv_gw = np.maximum(params.pv_gw_2024 + params.pv_growth_gw_per_year * years_since, 0.0)
    wind_gw = np.maximum(params.wind_gw_2024 + params.wind_growth_gw_per_year * years_since, 0.0)
    pv_cf = params.pv_fleet_factor * weather.ghi_w_m2 / 1000.0
    residual = load - wind_gw * weather.wind_cf - pv_gw * pv_cf
    return residual, load


def _day_type(local_day: npt.NDArray[np.datetime64]) -> Ints:
    """0 for workdays, 1 for Saturdays and bridge days, 2 for Sundays and public holidays."""
    years = np.unique(local_day.astype("datetime64[Y]").astype(np.int64) + 1970)
    kind = np.where(weekday(local_day) == 6, 2, np.where(weekday(local_day) == 5, 1, 0))
    kind = np.where(np.isin(local_day, bridge_days(years)), np.maximum(kind, 1), kind)
    return np.where(np.isin(local_day, german_public_holidays(years)), 2, kind).astype(np.int64)


def _periodic_interp(hour: Floats, table: tuple[float, ...]) -> Floats:
    """Linear interpolation of a 24-value hourly table, wrapping around midnight (values at h:30)."""
    nodes = np.arange(-0.5, 25.0, 1.0)
    values = np.array((table[-1], *table, table[0]), dtype=np.float64) / np.mean(table)
    return np.interp(hour, nodes, values)


def _merit_order(residual_gw: Floats, params: MarketModel) -> Floats:
    """Price as a multiple of the gas plant's cost: linear plus exponential in residual load.

    Below the knee the residual load is compressed logarithmically: exports, storage and curtailment
    at negative prices absorb more and more of a surplus, so prices fall ever more slowly.
    """
    below = np.maximum(params.knee_gw - residual_gw, 0.0)
    effective = residual_gw + below - params.compression_gw * np.log1p(below / params.compression_gw)
    x = effective - params.reference_residual_gw
    return (
        1.0
        + params.slope_per_10gw * x / 10.0
        + params.convexity * (np.exp(x / params.convexity_scale_gw) - 1.0)
    )


def _easter_sunday(years: Ints) -> npt.NDArray[np.datetime64]:
    """Gregorian Easter Sunday per year (the anonymous Gregorian algorithm, vectorised)."""
    a = years % 19
    b, c = years // 100, years % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    day = (h + l_ - 7 * m + 33 * month + 19) % 32
    return _dates(years, month, day)


def _calendar_days(
    years: Ints, fixed: list[tuple[int, int]], easter_relative: list[int]
) -> npt.NDArray[np.datetime64]:
    easter = _easter_sunday(years)
    parts = [_dates(years, np.full_like(years, m), np.full_like(years, d)) for m, d in fixed]
    parts += [easter + np.timedelta64(offset, "D") for offset in easter_relative]
    return np.concatenate(parts)


def _dates(years: Ints, month: Ints, day: Ints) -> npt.NDArray[np.datetime64]:
    first_of_month = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    dates: npt.NDArray[np.datetime64] = first_of_month.astype("datetime64[D]") + (day - 1).astype(
        "timedelta64[D]"
    )
    return dates


def _daily_average(
    name: str, local_day: npt.NDArray[np.datetime64], price: Floats, hours: Floats
) -> DailyProduct:
    days, index = np.unique(local_day, return_inverse=True)
    covered = np.bincount(index, weights=hours, minlength=days.size).astype(np.float64)
    weighted = np.bincount(index, weights=price * hours, minlength=days.size).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.round(weighted / covered, 2)
    return DailyProduct(name=name, day=days, price_eur_mwh=average, hours=covered)
