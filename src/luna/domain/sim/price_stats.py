"""Statistics of a day-ahead price series, defined exactly as in ``shared/data/SOURCES.md``.

The same function runs on the SMARD reference file and on simulated prices, so a realism report
compares like with like. The definitions SOURCES.md used:

- hours are local delivery hours (Europe/Berlin); hour ``h`` is delivery ``h:00``–``h+1:00``;
- BASE is all hours, PEAK is Monday–Friday with delivery starting 08:00…19:00 local (the 08–20 h band;
  public holidays are not removed), OFF-PEAK is every other hour;
- ``std`` is the sample standard deviation (ddof=1); percentiles interpolate linearly (numpy's and
  pandas' default).

Sub-hourly series (15-minute periods since 2025-10-01) are first averaged to delivery hours, so every
statistic stays "per hour" as in SOURCES.md: an hour's price is the mean of its quarter-hour prices.

The Berlin wall clock is computed with the EU summer-time rule (last Sunday of March to last Sunday of
October, switching at 01:00 UTC; in force since 1996) instead of a tz database, so it is vectorised and
needs no tzdata on the host.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput

Timestamps = npt.NDArray[np.datetime64]
Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

_HOUR_S = 3600


class PriceStatistics(TypedDict):
    """The SOURCES.md price statistics; prices in €/MWh, counts in delivery hours."""

    hours: int
    mean: float
    median: float
    std: float
    min: float
    max: float
    p01: float
    p99: float
    negative_hours: int
    nonpositive_hours: int
    peak_mean: float
    offpeak_mean: float
    peak_base_ratio: float
    mean_by_hour: list[float]


def utc_seconds(ts: Timestamps) -> npt.NDArray[np.int64]:
    """Seconds since 1970-01-01T00:00Z of UTC ``datetime64`` timestamps (any unit)."""
    return ts.astype("datetime64[s]").astype(np.int64)


def berlin_offset_seconds(ts: Timestamps) -> npt.NDArray[np.int64]:
    """UTC offset of Europe/Berlin at each UTC instant: 3600 (CET) or 7200 (CEST)."""
    seconds = utc_seconds(ts)
    years = ts.astype("datetime64[Y]").astype(np.int64) + 1970
    summer_start = _last_sunday_01_utc(years, month=3)
    summer_end = _last_sunday_01_utc(years, month=10)
    in_summer = (seconds >= summer_start) & (seconds < summer_end)
    return np.where(in_summer, 2 * _HOUR_S, _HOUR_S).astype(np.int64)


def berlin_wall_clock(ts: Timestamps) -> Timestamps:
    """Europe/Berlin wall-clock time (naive ``datetime64[s]``) of UTC timestamps."""
    seconds = utc_seconds(ts) + berlin_offset_seconds(ts)
    return seconds.astype("datetime64[s]")


def peak_mask(ts: Timestamps) -> Mask:
    """True for periods in the PEAK band: Monday–Friday, local start 08:00 ≤ t < 20:00."""
    local = berlin_wall_clock(ts)
    hour = (local - local.astype("datetime64[D]")).astype("timedelta64[h]").astype(np.int64)
    mask: Mask = (weekday(local) < 5) & (hour >= 8) & (hour < 20)
    return mask


def weekday(local: Timestamps) -> npt.NDArray[np.int64]:
    """Day of the week of wall-clock timestamps, Monday = 0 … Sunday = 6."""
    days = local.astype("datetime64[D]").astype(np.int64)
    return (days + 3) % 7  # 1970-01-01 was a Thursday


def price_statistics(ts: Timestamps, price: Floats) -> PriceStatistics:
    """The SOURCES.md statistics of prices ``price`` for delivery periods starting at UTC ``ts``.

    ``ts`` must be strictly increasing; periods shorter than an hour are averaged per delivery hour.
    """
    if ts.shape != price.shape or ts.ndim != 1:
        raise InvalidInput("ts and price must be one-dimensional arrays of the same length")
    if ts.size < 2:
        raise InvalidInput("price statistics need at least two delivery periods")
    seconds = utc_seconds(ts)
    if np.any(np.diff(seconds) <= 0):
        raise InvalidInput("ts must be strictly increasing")
    hour_start, hourly = _hourly_means(seconds, np.asarray(price, dtype=np.float64))
    hour_ts = hour_start.astype("datetime64[s]")
    local = berlin_wall_clock(hour_ts)
    local_hour = (local - local.astype("datetime64[D]")).astype("timedelta64[h]").astype(np.int64)
    peak = peak_mask(hour_ts)
    base_mean = float(hourly.mean())
    peak_mean = float(hourly[peak].mean()) if peak.any() else float("nan")
    return PriceStatistics(
        hours=int(hourly.size),
        mean=base_mean,
        median=float(np.median(hourly)),
        std=float(hourly.std(ddof=1)),
        min=float(hourly.min()),
        max=float(hourly.max()),
        p01=float(np.percentile(hourly, 1)),
        p99=float(np.percentile(hourly, 99)),
        negative_hours=int(np.count_nonzero(hourly < 0)),
        nonpositive_hours=int(np.count_nonzero(hourly <= 0)),
        peak_mean=peak_mean,
        offpeak_mean=float(hourly[~peak].mean()) if (~peak).any() else float("nan"),
        peak_base_ratio=peak_mean / base_mean,
        mean_by_hour=[
            float(hourly[local_hour == h].mean()) if np.any(local_hour == h) else float("nan")
            for h in range(24)
        ],
    )


def _hourly_means(seconds: npt.NDArray[np.int64], price: Floats) -> tuple[npt.NDArray[np.int64], Floats]:
    """Delivery-hour starts and the mean price of the periods in each hour."""
    hour = seconds - seconds % _HOUR_S
    starts, index = np.unique(hour, return_inverse=True)
    if starts.size == hour.size:
        return starts, price
    sums = np.bincount(index, weights=price, minlength=starts.size)
    counts = np.bincount(index, minlength=starts.size)
    return starts, sums / counts


def _last_sunday_01_utc(years: npt.NDArray[np.int64], month: int) -> npt.NDArray[np.int64]:
    """01:00 UTC of the last Sunday of ``month`` (March or October: 31 days) per year, in seconds."""
    last_day = (
        (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(month, "M")
    ).astype("datetime64[D]") - np.timedelta64(1, "D")
    days = last_day.astype(np.int64)
    sunday = days - (days + 3 + 1) % 7  # weekday() is (days + 3) % 7; Sunday is 6
    return sunday * 86_400 + _HOUR_S
