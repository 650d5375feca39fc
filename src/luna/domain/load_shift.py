"""Moving a flexible load to each day's cheapest window: when the household usually runs it, what the
cheapest window of the same length costs instead, and what the move saves.

Kept apart from :mod:`luna.domain.insights` because it is a what-if on top of the period's figures
rather than one of them, with inputs of its own (the :class:`FlexibleLoad`) and a notion of local days
and clock times the other figures do not need. It reads an interval series only through
:class:`IntervalGrid`, so it depends on no type of the insights; the insights import it, and with it
the two grid-time helpers both modules share (:func:`local_seconds_of_day`, :func:`utc_datetime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.sim.price_stats import berlin_wall_clock

Floats = npt.NDArray[np.float64]
Timestamps = npt.NDArray[np.datetime64]
Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

HOUR_S: Final = 3600
DAY_S: Final = 86_400
MAX_SHIFT_HOURS: Final = 12.0
MAX_SHIFT_KWH: Final = 200.0


class IntervalGrid(Protocol):
    """What a load shift reads of an interval series (see :class:`luna.domain.insights.IntervalSeries`)."""

    @property
    def ts(self) -> Timestamps: ...

    @property
    def step_s(self) -> int: ...

    @property
    def consumption_kwh(self) -> Floats: ...

    @property
    def price_eur_mwh(self) -> Floats: ...

    @property
    def has_energy(self) -> Mask: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class FlexibleLoad:
    """A load that can run at any time of the day: ``kwh`` drawn evenly over ``hours``."""

    kwh: float = 2.0
    hours: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.kwh <= MAX_SHIFT_KWH:
            raise InvalidInput(f"shift_kwh must be above 0 and at most {MAX_SHIFT_KWH:g}")
        if not 0 < self.hours <= MAX_SHIFT_HOURS:
            raise InvalidInput(f"shift_hours must be above 0 and at most {MAX_SHIFT_HOURS:g}")


@dataclass(frozen=True)
class DayShift:
    """One local day: the cheapest window for the flexible load against its usual window."""

    day: date
    cheapest_start: datetime
    cheapest_end: datetime
    cheapest_price_eur_mwh: float
    usual_start: datetime
    usual_end: datetime
    usual_price_eur_mwh: float
    saving_eur: float


@dataclass(frozen=True)
class LoadShift:
    """Running the flexible load in each day's cheapest window instead of the meter's usual one.

    The usual window is the one of the load's length in which the meter's mean consumption profile
    (by local time of day) is highest: that is when the household is active and starts its dishwasher
    or plugs in its car, and it names a clock time a recommendation can quote ("instead of 18:00").
    A profile-weighted price would spread the load over the night's base load too and understate it.
    Only days fully inside the period with prices for every interval are compared; the others are
    listed in ``skipped_days``. The surcharges are the same for every kWh, so the saving is the
    day-ahead price difference with its VAT (VAT is charged on the exchange price too).
    """

    kwh: float
    hours: float
    usual_local_start: time
    usual_local_end: time
    days: tuple[DayShift, ...]
    skipped_days: tuple[date, ...]
    saving_eur_total: float
    saving_eur_per_day: float | None


def load_shift(
    series: IntervalGrid, load: FlexibleLoad, *, vat_percent: float = 0.0
) -> tuple[LoadShift | None, str | None]:
    """Per full local day, the cheapest window of ``load.hours`` against the usual one (see LoadShift);
    savings in € the customer pays, VAT (``vat_percent``) included."""
    width_s = load.hours * HOUR_S
    width = round(width_s / series.step_s)
    if width < 1 or width * series.step_s != width_s:
        raise InvalidInput(f"shift_hours must be a whole number of {series.step_s // 60}-minute intervals")
    usual = _usual_window(series, width)
    if usual is None:
        return None, "No time of day has complete readings for the load's usual window."
    seconds_of_day = local_seconds_of_day(series.ts)
    local_day = berlin_wall_clock(series.ts).astype("datetime64[D]")
    window_price, window_ok = _window_means(series.price_eur_mwh, width)
    usual_from, usual_to = usual * series.step_s, usual * series.step_s + width_s
    days: list[DayShift] = []
    skipped: list[date] = []
    day_values, day_starts = np.unique(local_day, return_index=True)
    for day, index in zip(day_values, np.split(np.arange(len(series)), day_starts[1:]), strict=True):
        if seconds_of_day[index[0]] != 0 or seconds_of_day[index[-1]] != DAY_S - series.step_s:
            continue  # a day cut by the period's edges
        starts = index[: index.size - width + 1]
        starts = starts[window_ok[starts]]
        usual_index = index[(seconds_of_day[index] >= usual_from) & (seconds_of_day[index] < usual_to)]
        usual_prices = series.price_eur_mwh[usual_index]
        if starts.size == 0 or usual_index.size == 0 or np.isnan(usual_prices).any():
            skipped.append(_as_date(day))
            continue
        best = int(starts[np.argmin(window_price[starts])])
        cheapest, usual_mean = float(window_price[best]), float(usual_prices.mean())
        days.append(
            DayShift(
                day=_as_date(day),
                cheapest_start=utc_datetime(series.ts[best]),
                cheapest_end=utc_datetime(series.ts[best]) + timedelta(seconds=width_s),
                cheapest_price_eur_mwh=cheapest,
                usual_start=utc_datetime(series.ts[usual_index[0]]),
                usual_end=utc_datetime(series.ts[usual_index[-1]]) + timedelta(seconds=series.step_s),
                usual_price_eur_mwh=usual_mean,
                saving_eur=load.kwh * (usual_mean - cheapest) / 1000.0 * (1 + vat_percent / 100.0),
            )
        )
    total = sum(d.saving_eur for d in days)
    return (
        LoadShift(
            kwh=load.kwh,
            hours=load.hours,
            usual_local_start=_clock(usual_from),
            usual_local_end=_clock(usual_to),
            days=tuple(days),
            skipped_days=tuple(skipped),
            saving_eur_total=total,
            saving_eur_per_day=total / len(days) if days else None,
        ),
        None if days else "No full local day of the period has a price for every interval.",
    )


def local_seconds_of_day(ts: Timestamps) -> Ints:
    """Seconds since local (Europe/Berlin) midnight of each UTC ``ts``."""
    local = berlin_wall_clock(ts)
    seconds: Ints = (local - local.astype("datetime64[D]")).astype("timedelta64[s]").astype(np.int64)
    return seconds


def utc_datetime(value: np.datetime64) -> datetime:
    """A UTC ``datetime64`` as an aware ``datetime``."""
    return datetime.fromtimestamp(int(value.astype("datetime64[s]").astype(np.int64)), UTC)


def _usual_window(series: IntervalGrid, width: int) -> int | None:
    """Slot of the local day where the window of ``width`` slots with the highest mean consumption starts.

    The profile is the mean kWh per local time-of-day slot over intervals with readings; windows lie
    within one day and need data in every slot. The earliest wins a tie.
    """
    mask = series.has_energy
    slots = DAY_S // series.step_s
    slot = local_seconds_of_day(series.ts)[mask] // series.step_s
    counts = np.bincount(slot, minlength=slots)
    energy = np.bincount(slot, weights=series.consumption_kwh[mask], minlength=slots)
    profile = np.full(slots, np.nan)
    np.divide(energy, counts, out=profile, where=counts > 0)
    means, complete = _window_means(profile, width)
    candidates = np.flatnonzero(complete[: slots - width + 1])
    if candidates.size == 0:
        return None
    return int(candidates[np.argmax(means[candidates])])


def _window_means(values: Floats, width: int) -> tuple[Floats, Mask]:
    """Mean of ``values[i : i + width]`` for every ``i``, and whether that window is complete (no NaN).

    Windows running past the end are incomplete.
    """
    n = values.shape[0]
    present = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(present, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(present)])
    stop = np.minimum(np.arange(n) + width, n)
    means: Floats = (sums[stop] - sums[:n]) / width
    complete: Mask = (counts[stop] - counts[:n]) == width
    return means, complete


def _clock(seconds_of_day: float) -> time:
    seconds = int(seconds_of_day) % DAY_S
    return time(seconds // HOUR_S, seconds % HOUR_S // 60)


def _as_date(value: np.datetime64) -> date:
    return date.fromisoformat(str(value.astype("datetime64[D]")))
