"""Statistics of a household power series, defined exactly as in ``shared/data/SOURCES.md``.

The same function runs on the reference files (UCI Sceaux at 1 minute, OPSD residential4 at 60 minutes)
and on simulated meters, so a realism report compares like with like. The SOURCES.md definitions:

- ``ts`` is the start of each interval on a regular grid. "Hour of day" and "month" are read on the
  local wall clock: for the reference files ``ts`` already is that clock (UCI's ``ts_local``, OPSD's
  naive ``utc_timestamp``, which is Europe/Berlin time); for a simulated series ``ts`` is UTC and
  ``clock="berlin"`` converts it (``price_stats.berlin_wall_clock``).
- ``power_kw`` is the mean power of each interval; missing intervals are NaN and are ignored.
- The 1-step change is ``abs(P(t) − P(t − step))`` over pairs of consecutive intervals that are both
  valid; the lag-1 autocorrelation is the Pearson correlation over the same pairs (pandas
  ``autocorr(1)`` on the regular grid).
- The 15-minute and hourly views are clock-aligned means of the valid values inside each bucket
  (pandas ``resample().mean()``); their steps are taken between consecutive non-empty buckets that are
  adjacent in time.
- Percentiles interpolate linearly (numpy's and pandas' default).

Energies are ``Σ P · Δt`` over valid intervals, so a series with gaps reports less energy than a
register difference would (SOURCES.md takes OPSD's annual and monthly kWh from register endpoints).
"""

from __future__ import annotations

from typing import Literal, TypedDict

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.sim.price_stats import berlin_wall_clock

Timestamps = npt.NDArray[np.datetime64]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_QUARTER_S = 900
_HOUR_S = 3600
_YEAR_H = 365.25 * 24.0


class ResampledStatistics(TypedDict):
    """Statistics of the clock-aligned means over ``resolution_s`` (15 or 60 minutes)."""

    resolution_s: int
    max_kw: float
    p99_kw: float
    step_p99_kw: float


class HouseholdStatistics(TypedDict):
    """The SOURCES.md household statistics; powers in kW, energies in kWh."""

    step_s: int
    intervals: int
    missing: int
    energy_kwh: float
    mean_kw: float
    min_kw: float
    median_kw: float
    p95_kw: float
    p99_kw: float
    max_kw: float
    step_p95_kw: float
    step_p99_kw: float
    step_max_kw: float
    lag1_autocorr: float
    mean_by_hour: list[float]
    monthly_kwh: dict[str, float]
    quarter_hourly: ResampledStatistics | None
    hourly: ResampledStatistics | None


def household_statistics(
    ts: Timestamps, power_kw: Floats, *, clock: Literal["as_given", "berlin"] = "as_given"
) -> HouseholdStatistics:
    """The SOURCES.md statistics of ``power_kw`` over intervals starting at ``ts``.

    ``ts`` must be a regular, strictly increasing grid (gaps are NaN values, not missing rows). The
    15-minute view is given for series finer than 15 minutes, the hourly view for series finer than or
    equal to an hour; both are ``None`` otherwise.
    """
    seconds, power, step_s = _validated(ts, power_kw)
    valid = ~np.isnan(power)
    if not valid.any():
        raise InvalidInput("the series has no valid values")
    values = power[valid]
    steps = _steps(power)
    local = seconds if clock == "as_given" else _berlin_seconds(seconds)
    hour = (local % 86_400) // _HOUR_S
    return HouseholdStatistics(
        step_s=step_s,
        intervals=int(power.size),
        missing=int(power.size - values.size),
        energy_kwh=float(values.sum() * step_s / _HOUR_S),
        mean_kw=float(values.mean()),
        min_kw=float(values.min()),
        median_kw=float(np.median(values)),
        p95_kw=float(np.percentile(values, 95)),
        p99_kw=float(np.percentile(values, 99)),
        max_kw=float(values.max()),
        step_p95_kw=_percentile(steps, 95),
        step_p99_kw=_percentile(steps, 99),
        step_max_kw=float(steps.max()) if steps.size else float("nan"),
        lag1_autocorr=_lag1_autocorr(power),
        mean_by_hour=[_mean(values[hour[valid] == h]) for h in range(24)],
        monthly_kwh=_monthly_kwh(local[valid], values, step_s),
        quarter_hourly=_resampled(seconds, power, _QUARTER_S) if step_s < _QUARTER_S else None,
        hourly=_resampled(seconds, power, _HOUR_S) if step_s <= _HOUR_S else None,
    )


def pv_yield_kwh_per_kwp(ts: Timestamps, pv_kw: Floats, kwp: float) -> float:
    """Specific PV yield in kWh per kWp and year: the energy of ``pv_kw`` over the series, per kWp,
    scaled from the series' span to a year of 365.25 days.

    Only a whole year gives the annual figure (900–1,050 kWh/kWp in Germany); a shorter span is
    seasonally biased. Missing values count as zero production.
    """
    if kwp <= 0:
        raise InvalidInput("kwp must be positive")
    _, power, step_s = _validated(ts, pv_kw)
    span_h = power.size * step_s / _HOUR_S
    energy_kwh = float(np.nansum(power)) * step_s / _HOUR_S
    return energy_kwh / kwp * _YEAR_H / span_h


def hour_profile_correlation(a: list[float], b: list[float]) -> float:
    """Pearson correlation of two mean-by-hour profiles (24 values each)."""
    if len(a) != 24 or len(b) != 24:
        raise InvalidInput("hour-of-day profiles have 24 values")
    return float(np.corrcoef(np.asarray(a), np.asarray(b))[0, 1])


def _validated(ts: Timestamps, power_kw: Floats) -> tuple[Ints, Floats, int]:
    if ts.ndim != 1 or ts.shape != power_kw.shape:
        raise InvalidInput("ts and power must be one-dimensional arrays of the same length")
    if ts.size < 2:
        raise InvalidInput("the series needs at least two intervals")
    seconds = ts.astype("datetime64[s]").astype(np.int64)
    gaps = np.diff(seconds)
    step_s = int(gaps[0])
    if step_s <= 0 or np.any(gaps != step_s):
        raise InvalidInput("ts must be a regular, strictly increasing grid (mark gaps with NaN)")
    return seconds, np.asarray(power_kw, dtype=np.float64), step_s


def _berlin_seconds(seconds: Ints) -> Ints:
    return berlin_wall_clock(seconds.astype("datetime64[s]")).astype(np.int64)


def _steps(power: Floats) -> Floats:
    """``abs(ΔP)`` over consecutive intervals that are both valid."""
    diff = np.abs(np.diff(power))
    return diff[~np.isnan(diff)]


def _lag1_autocorr(power: Floats) -> float:
    both = ~np.isnan(power[1:]) & ~np.isnan(power[:-1])
    if np.count_nonzero(both) < 3:
        return float("nan")
    return float(np.corrcoef(power[1:][both], power[:-1][both])[0, 1])


def _resampled(seconds: Ints, power: Floats, resolution_s: int) -> ResampledStatistics:
    """Clock-aligned bucket means and their steps between buckets adjacent in time."""
    valid = ~np.isnan(power)
    bucket = seconds[valid] // resolution_s
    first = int(bucket.min())
    index = bucket - first
    sums = np.bincount(index, weights=power[valid])
    counts = np.bincount(index)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    steps = _steps(means)
    kept = means[counts > 0]
    return ResampledStatistics(
        resolution_s=resolution_s,
        max_kw=float(kept.max()),
        p99_kw=float(np.percentile(kept, 99)),
        step_p99_kw=_percentile(steps, 99),
    )


def _monthly_kwh(seconds: Ints, values: Floats, step_s: int) -> dict[str, float]:
    months = seconds.astype("datetime64[s]").astype("datetime64[M]")
    labels, index = np.unique(months, return_inverse=True)
    sums = np.bincount(index, weights=values) * step_s / _HOUR_S
    return {str(label): float(total) for label, total in zip(labels, sums, strict=True)}


def _percentile(values: Floats, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else float("nan")


def _mean(values: Floats) -> float:
    return float(values.mean()) if values.size else float("nan")
