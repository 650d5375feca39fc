"""One shared, seeded weather process for central Germany (about 51° N, 10° E) on a UTC time grid.

The market simulator derives wind and PV feed-in from it, and the smart-meter simulator derives rooftop
PV from the same ``cloud_cover``/``solar_cf``, so prices and meters see the same sunny or windy day.

Every value is a pure function of the seed and the absolute time, never of where a grid starts: the
random parts are smooth noise fields built from independent normal numbers at fixed knots on the UTC
time axis (a counter-based hash of ``(seed, stream, knot index)``), smoothed over neighbouring knots and
interpolated in time. So a sub-range computed alone equals the same slice of a longer run, bit for bit,
and a live loop can produce one interval at a time without replaying history.

Each value describes the interval ``[ts, ts + step)`` and is evaluated at its midpoint (for PV the
hour's midpoint is a good estimate of the hour's mean). Model, per variable:

- ``solar_cf``: solar position from the NOAA/Spencer formulas; clear-sky global irradiance after
  Haurwitz, clear-sky beam after Meinel with the Kasten–Young air mass; clouds scale global irradiance
  by Kasten–Czeplak ``1 − 0.75·c^3.4`` and block the beam in proportion ``c``; the plane of array is
  a south-facing module tilted 30° (isotropic sky); performance ratio 0.85 and −0.4 %/K above 25 °C
  cell temperature. About 950–1,000 kWh/kWp/a, a typical German rooftop system (DESIGN.md §5: 900–1,050).
- ``cloud_cover`` (0..1): logistic transform of a day-scale plus an hour-scale noise field; cloudier in
  winter. Annual global irradiance comes out near the German ~1,100 kWh/m².
- ``wind_cf`` (0..1): capacity factor of the German wind fleet; logistic transform of a noise field
  with multi-day persistence; about 0.30 in winter and 0.14 in summer, 0.22 over the year; a little
  stronger at night in summer (the nocturnal low-level jet at hub height).
- ``temperature_c``: seasonal cycle (coldest around 20 January), a diurnal cycle damped by clouds, and
  a multi-day anomaly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Timestamps = npt.NDArray[np.datetime64]

LATITUDE_DEG = 51.0
LONGITUDE_DEG = 10.0

_DAY_S = 86_400
_YEAR_DAYS = 365.2425
_COLDEST_DAY = 10_976  # 2000-01-20, in days since 1970-01-01: phase of the seasonal cycle
_TILT_DEG = 30.0
_ALBEDO = 0.2
_PERFORMANCE_RATIO = 0.85
_MAX_GRID_POINTS = 50_000_000
_MASK64 = (1 << 64) - 1

# Noise streams: one per independent random field, so adding a field never shifts another.
_CLOUD_SLOW, _CLOUD_FAST, _WIND_SLOW, _WIND_FAST, _TEMP_ANOMALY = 1, 2, 3, 4, 5


@dataclass(frozen=True, eq=False)
class Weather:
    """Weather per interval ``[ts[i], ts[i] + step)``; all arrays have the length of ``ts``.

    ``ts`` is ``datetime64[s]`` in UTC (naive, as numpy has no time zones).
    ``solar_cf`` and ``wind_cf`` are capacity factors (output / rated power, 0..1): multiply by kWp or
    installed GW to get power. ``ghi_w_m2`` is the global horizontal irradiance behind ``solar_cf``.
    """

    ts: Timestamps
    temperature_c: Floats
    cloud_cover: Floats
    wind_cf: Floats
    solar_cf: Floats
    ghi_w_m2: Floats


def simulate_weather(start: datetime, end: datetime, step: timedelta, seed: int) -> Weather:
    """Weather on the grid ``start, start + step, …`` up to (excluding) ``end``.

    ``start`` and ``end`` must carry a time zone; ``step`` must be a positive whole number of seconds.
    """
    step_s = _whole_seconds(step)
    first, stop = epoch_seconds(start), epoch_seconds(end)
    if stop <= first:
        raise InvalidInput("end must be after start")
    if (stop - first) // step_s > _MAX_GRID_POINTS:
        raise InvalidInput(f"the grid would have more than {_MAX_GRID_POINTS:,} points")
    seconds = np.arange(first, stop, step_s, dtype=np.int64)
    return weather_for_periods(seconds.astype("datetime64[s]"), np.full_like(seconds, step_s), seed)


def weather_for_periods(ts: Timestamps, period_s: Ints, seed: int) -> Weather:
    """Weather for arbitrary periods ``[ts[i], ts[i] + period_s[i])``, e.g. a grid whose step changes.

    Values depend only on the seed and each period's own start and length.
    """
    if ts.shape != period_s.shape or ts.ndim != 1:
        raise InvalidInput("ts and period_s must be one-dimensional arrays of the same length")
    if np.any(period_s <= 0):
        raise InvalidInput("period lengths must be positive")
    start_s = ts.astype("datetime64[s]").astype(np.int64)
    mid_s = start_s + period_s // 2
    season = seasonal_phase(mid_s)
    cloud = _cloud_cover(mid_s, season, seed)
    wind = _wind_cf(mid_s, season, seed)
    cos_zenith, cos_incidence = _sun(mid_s)
    ghi, poa = _irradiance(cos_zenith, cos_incidence, cloud)
    temperature = _temperature(mid_s, season, cloud, seed)
    cell_temperature = temperature + 0.03 * poa
    solar = np.clip(
        _PERFORMANCE_RATIO * poa / 1000.0 * (1.0 - 0.004 * np.maximum(cell_temperature - 25.0, 0.0)),
        0.0,
        1.0,
    )
    return Weather(
        ts=start_s.astype("datetime64[s]"),
        temperature_c=temperature,
        cloud_cover=cloud,
        wind_cf=wind,
        solar_cf=solar,
        ghi_w_m2=ghi,
    )


def seasonal_phase(seconds: Ints) -> Floats:
    """``cos`` of the annual cycle: +1 around 20 January (mid-winter), −1 around 21 July."""
    days = seconds / _DAY_S
    return np.cos(2.0 * np.pi * (days - _COLDEST_DAY) / _YEAR_DAYS)


def solar_elevation_deg(
    ts: Timestamps, latitude_deg: float = LATITUDE_DEG, longitude_deg: float = LONGITUDE_DEG
) -> Floats:
    """Solar elevation above the horizon in degrees at UTC instants ``ts`` (NOAA/Spencer formulas)."""
    seconds = ts.astype("datetime64[s]").astype(np.int64)
    declination, hour_angle = _declination_hour_angle(seconds, longitude_deg)
    lat = math.radians(latitude_deg)
    cos_zenith = math.sin(lat) * np.sin(declination) + math.cos(lat) * np.cos(declination) * np.cos(
        hour_angle
    )
    return np.degrees(np.arcsin(np.clip(cos_zenith, -1.0, 1.0)))


def smooth_noise(seconds: Ints, seed: int, stream: int, knot_s: int, width_knots: float) -> Floats:
    """A stationary, unit-variance random field over absolute time, evaluated at ``seconds``.

    Independent standard normals sit at the knots ``k · knot_s`` (seconds since 1970); each knot value is
    replaced by a Gaussian-weighted average of its neighbours (``width_knots`` standard deviations,
    weights normalised to unit variance) and the result is interpolated linearly. The correlation
    time is therefore about ``width_knots · knot_s``. Knot values are summed in a fixed order, so the
    value at an instant does not depend on which other instants are evaluated with it.
    """
    if seconds.size == 0:
        return np.zeros(0, dtype=np.float64)
    half = math.ceil(3.0 * width_knots)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (offsets / width_knots) ** 2)
    weights /= math.sqrt(float(np.sum(weights**2)))
    knot = seconds // knot_s
    first, last = int(knot.min()), int(knot.max()) + 1
    raw = standard_normal(seed, stream, np.arange(first - half, last + half + 1, dtype=np.int64))
    smoothed = np.zeros(last - first + 1, dtype=np.float64)
    for j, weight in enumerate(weights):
        smoothed += weight * raw[j : j + smoothed.size]
    frac = (seconds - knot * knot_s) / knot_s
    index = knot - first
    return smoothed[index] * (1.0 - frac) + smoothed[index + 1] * frac


def standard_normal(seed: int, stream: int, counter: Ints) -> Floats:
    """Independent standard normal numbers, one per ``(seed, stream, counter)``: Box–Muller on a hash."""
    u1 = uniform(seed, stream, 2 * counter)
    u2 = uniform(seed, stream, 2 * counter + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def uniform(seed: int, stream: int, counter: Ints) -> Floats:
    """Uniform numbers in (0, 1), one per ``(seed, stream, counter)``: SplitMix64 as a counter hash."""
    key = _splitmix_scalar((seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) & _MASK64)
    state = counter.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(key)
    state ^= state >> np.uint64(30)
    state *= np.uint64(0xBF58476D1CE4E5B9)
    state ^= state >> np.uint64(27)
    state *= np.uint64(0x94D049BB133111EB)
    state ^= state >> np.uint64(31)
    return ((state >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _splitmix_scalar(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _logistic(x: Floats) -> Floats:
    return 1.0 / (1.0 + np.exp(-x))


def _cloud_cover(seconds: Ints, season: Floats, seed: int) -> Floats:
    slow = smooth_noise(seconds, seed, _CLOUD_SLOW, 6 * 3600, 4.0)
    fast = smooth_noise(seconds, seed, _CLOUD_FAST, 3600, 2.0)
    latent = 0.85 * slow + 0.53 * fast
    return _logistic(1.6 + 0.4 * season + 2.0 * latent)


def _wind_cf(seconds: Ints, season: Floats, seed: int) -> Floats:
    slow = smooth_noise(seconds, seed, _WIND_SLOW, 6 * 3600, 6.0)
    fast = smooth_noise(seconds, seed, _WIND_FAST, 3600, 3.0)
    latent = 0.9 * slow + 0.44 * fast
    solar_hour = (seconds % _DAY_S) / 3600.0 + LONGITUDE_DEG / 15.0
    nightly = (0.15 - 0.1 * season) * np.cos(2.0 * np.pi * (solar_hour - 1.0) / 24.0)
    return _logistic(-1.5 + 0.45 * season + 0.95 * latent + nightly)


def _temperature(seconds: Ints, season: Floats, cloud: Floats, seed: int) -> Floats:
    anomaly = smooth_noise(seconds, seed, _TEMP_ANOMALY, 6 * 3600, 8.0)
    solar_hour = (seconds % _DAY_S) / 3600.0 + LONGITUDE_DEG / 15.0
    diurnal_amplitude = (4.0 - 1.5 * season) * (1.0 - 0.6 * cloud)
    diurnal = diurnal_amplitude * np.cos(2.0 * np.pi * (solar_hour - 15.0) / 24.0)
    return 9.6 - 9.0 * season + diurnal + 3.2 * anomaly


def _declination_hour_angle(seconds: Ints, longitude_deg: float) -> tuple[Floats, Floats]:
    """Solar declination and hour angle (radians), NOAA's version of Spencer's Fourier series."""
    days = seconds.astype("datetime64[s]").astype("datetime64[D]")
    year_start = days.astype("datetime64[Y]")
    day_of_year = (days - year_start.astype("datetime64[D]")).astype(np.int64) + 1
    year_days = ((year_start + np.timedelta64(1, "Y")).astype("datetime64[D]") - year_start).astype(np.int64)
    hours = (seconds % _DAY_S) / 3600.0
    gamma = 2.0 * np.pi / year_days * (day_of_year - 1 + (hours - 12.0) / 24.0)
    equation_of_time_min = 229.18 * (
        0.000075
        + 0.001868 * np.cos(gamma)
        - 0.032077 * np.sin(gamma)
        - 0.014615 * np.cos(2 * gamma)
        - 0.040849 * np.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * np.cos(gamma)
        + 0.070257 * np.sin(gamma)
        - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma)
        - 0.002697 * np.cos(3 * gamma)
        + 0.00148 * np.sin(3 * gamma)
    )
    true_solar_min = hours * 60.0 + equation_of_time_min + 4.0 * longitude_deg
    hour_angle = np.radians(true_solar_min / 4.0 - 180.0)
    return declination, hour_angle


def _sun(seconds: Ints) -> tuple[Floats, Floats]:
    """Cosine of the zenith angle and of the incidence angle on the south-facing tilted module."""
    declination, hour_angle = _declination_hour_angle(seconds, LONGITUDE_DEG)
    lat = math.radians(LATITUDE_DEG)
    tilted_lat = math.radians(LATITUDE_DEG - _TILT_DEG)
    cos_zenith = math.sin(lat) * np.sin(declination) + math.cos(lat) * np.cos(declination) * np.cos(
        hour_angle
    )
    cos_incidence = math.sin(tilted_lat) * np.sin(declination) + math.cos(tilted_lat) * np.cos(
        declination
    ) * np.cos(hour_angle)
    return cos_zenith, cos_incidence


def _irradiance(cos_zenith: Floats, cos_incidence: Floats, cloud: Floats) -> tuple[Floats, Floats]:
    """Global horizontal and plane-of-array irradiance (W/m²); zero while the sun is down."""
    up = cos_zenith > 0.0
    mu = np.where(up, cos_zenith, 1.0)
    zenith_deg = np.degrees(np.arccos(np.clip(mu, -1.0, 1.0)))
    air_mass = 1.0 / (mu + 0.50572 * (96.07995 - zenith_deg) ** -1.6364)
    ghi_clear = 1098.0 * mu * np.exp(-0.057 / mu)
    dni_clear = 1353.0 * 0.7 ** (air_mass**0.678)
    ghi = np.where(up, ghi_clear * (1.0 - 0.75 * cloud**3.4), 0.0)
    dni = np.where(up, dni_clear * (1.0 - cloud), 0.0)
    beam_horizontal = np.minimum(dni * mu, ghi)
    diffuse = ghi - beam_horizontal
    dni = np.where(up, beam_horizontal / mu, 0.0)
    tilt = math.radians(_TILT_DEG)
    poa = (
        dni * np.maximum(cos_incidence, 0.0)
        + diffuse * (1.0 + math.cos(tilt)) / 2.0
        + ghi * _ALBEDO * (1.0 - math.cos(tilt)) / 2.0
    )
    return ghi, poa


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since 1970-01-01T00:00Z of a time-zone-aware datetime (rounded down)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("datetimes must carry a time zone (UTC or an offset)")
    return math.floor(moment.timestamp())


def _whole_seconds(step: timedelta) -> int:
    if step <= timedelta(0) or step % timedelta(seconds=1):
        raise InvalidInput("step must be a positive whole number of seconds")
    return int(step.total_seconds())
