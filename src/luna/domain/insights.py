"""Energy insights of one meter over a period: the numbers recommendations are built on.

Everything is computed on one contiguous grid of intervals (15 minutes in the service) holding the
meter's consumption and PV production in kWh and the day-ahead price of each interval. An interval
without complete readings, or without a price, is a gap: it is left out of the figures that need it
and reported in :class:`Coverage`, never filled in, so a figure always says what it stands on.

Two approximations follow from the grid and are stated where they matter:

- PV self-consumption nets consumption and production per interval (``min(consumption, production)``);
  within an interval a short peak above the PV output still counts as self-consumed, so the share is
  an upper bound (a 15-minute grid is also how German smart meters settle energy).
- Grid import and export are the per-interval net (``max(consumption − production, 0)`` and vice versa).

The dynamic tariff's price of an interval is the end-customer price of its day-ahead price,
``(price + surcharges) × (1 + VAT)`` (:class:`~luna.domain.price_window.EndCustomerPrice`, the same
price the home and market views show): VAT is charged on the exchange price too, not only on the
surcharges.

Local time is Europe/Berlin (the market's and the customers' clock), computed without a tz database
by :func:`~luna.domain.sim.price_stats.berlin_wall_clock`. Moving a flexible load to cheaper hours is
its own module, :mod:`luna.domain.load_shift`; its result is one of the insights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from luna.domain.errors import InvalidInput
from luna.domain.load_shift import FlexibleLoad, LoadShift, load_shift, local_seconds_of_day, utc_datetime
from luna.domain.price_window import EndCustomerPrice

Floats = npt.NDArray[np.float64]
Timestamps = npt.NDArray[np.datetime64]
Mask = npt.NDArray[np.bool_]

_HOUR_S: Final = 3600
#: At most this many gap ranges are listed; the counts always cover all of them.
MAX_LISTED_GAPS: Final = 50


@dataclass(frozen=True, eq=False)
class IntervalSeries:
    """A meter and its prices on the grid ``[ts[i], ts[i] + step_s)``, ``ts[i] = ts[0] + i·step_s``.

    NaN marks a gap: ``consumption_kwh``/``production_kwh`` are NaN where the interval's readings are
    incomplete, ``price_eur_mwh`` where the market has no price. ``consumption_kw_max`` is the highest
    single reading in the interval (NaN where unknown); it finds the short peaks a mean hides.
    """

    ts: Timestamps
    step_s: int
    consumption_kwh: Floats
    production_kwh: Floats
    price_eur_mwh: Floats
    consumption_kw_max: Floats

    def __post_init__(self) -> None:
        n = self.ts.shape[0]
        for name in ("consumption_kwh", "production_kwh", "price_eur_mwh", "consumption_kw_max"):
            if getattr(self, name).shape != (n,):
                raise InvalidInput(f"interval series column {name} must have {n} values")
        if self.step_s <= 0 or _HOUR_S % self.step_s:
            raise InvalidInput("the interval length must divide one hour")
        seconds = self.ts.astype("datetime64[s]").astype(np.int64)
        if n and (np.any(np.diff(seconds) != self.step_s) or seconds[0] % self.step_s):
            raise InvalidInput("interval starts must form a contiguous grid of whole steps")

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def hours(self) -> float:
        """Length of one interval in hours (turns kWh into mean kW)."""
        return self.step_s / _HOUR_S

    @property
    def has_energy(self) -> Mask:
        mask: Mask = ~(np.isnan(self.consumption_kwh) | np.isnan(self.production_kwh))
        return mask

    @property
    def has_price(self) -> Mask:
        mask: Mask = ~np.isnan(self.price_eur_mwh)
        return mask


@dataclass(frozen=True)
class Tariffs:
    """What a kWh costs: flat all-in, or the dynamic tariff's end-customer price of the day-ahead
    price; and what an exported kWh earns."""

    #: Flat tariff per kWh, all-in (VAT included).
    flat_eur_kwh: float
    #: The dynamic tariff: ``(day-ahead price + surcharges) × (1 + VAT)``, surcharges net of VAT.
    dynamic: EndCustomerPrice
    #: Feed-in remuneration per exported kWh.
    feed_in_eur_kwh: float

    @property
    def dynamic_surcharge_net_eur_kwh(self) -> float:
        """The dynamic tariff's surcharges per kWh together, net of VAT."""
        return self.dynamic.surcharge_ct_kwh / 100

    @property
    def vat_percent(self) -> float:
        """VAT on the dynamic tariff's price, charged on the day-ahead price and the surcharges alike."""
        return self.dynamic.vat_percent

    def dynamic_eur_kwh(self, price_eur_mwh: float) -> float:
        """The dynamic tariff's price per kWh (€) at a day-ahead price in €/MWh."""
        return self.dynamic.ct_kwh(price_eur_mwh) / 100


@dataclass(frozen=True)
class Gap:
    """Intervals ``[start, end)`` without the data a figure needs."""

    start: datetime
    end: datetime
    intervals: int


@dataclass(frozen=True)
class Coverage:
    intervals: int
    energy_intervals: int
    priced_intervals: int
    energy_gap_count: int
    price_gap_count: int
    #: The first :data:`MAX_LISTED_GAPS` ranges.
    energy_gaps: tuple[Gap, ...]
    price_gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class Peak:
    kw: float
    #: Start of the interval the peak fell in.
    at: datetime


@dataclass(frozen=True)
class EnergyTotals:
    """kWh over the intervals with complete readings; shares are None where their base is zero."""

    consumption_kwh: float
    production_kwh: float
    self_consumed_kwh: float
    grid_import_kwh: float
    grid_export_kwh: float
    #: Self-consumed PV / PV production (interval approximation, see the module).
    self_consumption_share: float | None
    #: Self-consumed PV / consumption.
    self_sufficiency_share: float | None


@dataclass(frozen=True)
class CostComparison:
    """Import and export of the intervals with readings and a price, at both tariffs.

    Export earns the feed-in rate under both tariffs, so the difference is what the import costs.
    ``saving_eur`` = flat − dynamic: positive when the dynamic tariff was cheaper.
    """

    import_kwh: float
    export_kwh: float
    dynamic_eur: float
    flat_eur: float
    saving_eur: float
    #: Average dynamic price per imported kWh (None without import).
    dynamic_eur_kwh: float | None
    #: Energy in intervals with readings but no price: in neither cost.
    unpriced_import_kwh: float
    unpriced_export_kwh: float


@dataclass(frozen=True)
class Insights:
    start: datetime
    end: datetime
    step_s: int
    #: Mean kW per Europe/Berlin hour of day (index 0 = 00:00–01:00); None for hours without data.
    consumption_kw_by_hour: tuple[float | None, ...]
    production_kw_by_hour: tuple[float | None, ...]
    #: Highest interval mean (the quantity grid tariffs bill) and highest single reading.
    peak_interval: Peak | None
    peak_reading: Peak | None
    energy: EnergyTotals
    cost: CostComparison | None
    load_shift: LoadShift | None
    #: Why ``load_shift`` is None, when it is.
    load_shift_note: str | None
    coverage: Coverage


def compute_insights(series: IntervalSeries, tariffs: Tariffs, load: FlexibleLoad) -> Insights:
    """Every insight of ``series`` (see the functions below for each definition)."""
    if len(series) == 0:
        raise InvalidInput("the period holds no interval")
    shift, note = load_shift(series, load, vat_percent=tariffs.vat_percent)
    return Insights(
        start=utc_datetime(series.ts[0]),
        end=utc_datetime(series.ts[-1]) + timedelta(seconds=series.step_s),
        step_s=series.step_s,
        consumption_kw_by_hour=mean_kw_by_local_hour(series, series.consumption_kwh),
        production_kw_by_hour=mean_kw_by_local_hour(series, series.production_kwh),
        peak_interval=_peak(series, series.consumption_kwh / series.hours),
        peak_reading=_peak(series, series.consumption_kw_max),
        energy=energy_totals(series),
        cost=cost_comparison(series, tariffs),
        load_shift=shift,
        load_shift_note=note,
        coverage=coverage(series),
    )


def mean_kw_by_local_hour(series: IntervalSeries, kwh: Floats) -> tuple[float | None, ...]:
    """Mean power per Europe/Berlin hour of day over the intervals with complete readings."""
    mask = series.has_energy
    hour = local_seconds_of_day(series.ts)[mask] // _HOUR_S
    energy = np.bincount(hour, weights=kwh[mask], minlength=24)
    counts = np.bincount(hour, minlength=24)
    return tuple(float(energy[h] / (counts[h] * series.hours)) if counts[h] else None for h in range(24))


def energy_totals(series: IntervalSeries) -> EnergyTotals:
    mask = series.has_energy
    consumption, production = series.consumption_kwh[mask], series.production_kwh[mask]
    self_consumed = float(np.minimum(consumption, production).sum())
    total_consumption, total_production = float(consumption.sum()), float(production.sum())
    return EnergyTotals(
        consumption_kwh=total_consumption,
        production_kwh=total_production,
        self_consumed_kwh=self_consumed,
        grid_import_kwh=float(np.maximum(consumption - production, 0.0).sum()),
        grid_export_kwh=float(np.maximum(production - consumption, 0.0).sum()),
        self_consumption_share=self_consumed / total_production if total_production > 0 else None,
        self_sufficiency_share=self_consumed / total_consumption if total_consumption > 0 else None,
    )


def cost_comparison(series: IntervalSeries, tariffs: Tariffs) -> CostComparison | None:
    """Dynamic against flat cost; None without a priced interval.

    Each imported kWh costs the end-customer price of its interval's day-ahead price,
    ``(price/1000 + surcharge) × (1 + VAT)`` €/kWh. That price is affine in the day-ahead price, so the
    sum over the intervals is the imported kWh times the price at their import-weighted mean
    day-ahead price: one call of :meth:`Tariffs.dynamic_eur_kwh` instead of a second copy of the formula.
    """
    energy = series.has_energy
    priced = energy & series.has_price
    if not priced.any():
        return None
    net = series.consumption_kwh - series.production_kwh
    imported, exported = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    import_kwh, export_kwh = float(imported[priced].sum()), float(exported[priced].sum())
    if import_kwh > 0:
        mean_price = float((imported[priced] * series.price_eur_mwh[priced]).sum()) / import_kwh
        import_eur = import_kwh * tariffs.dynamic_eur_kwh(mean_price)
    else:
        import_eur = 0.0
    earned = export_kwh * tariffs.feed_in_eur_kwh
    dynamic = import_eur - earned
    flat = import_kwh * tariffs.flat_eur_kwh - earned
    unpriced = energy & ~series.has_price
    return CostComparison(
        import_kwh=import_kwh,
        export_kwh=export_kwh,
        dynamic_eur=dynamic,
        flat_eur=flat,
        saving_eur=flat - dynamic,
        dynamic_eur_kwh=import_eur / import_kwh if import_kwh > 0 else None,
        unpriced_import_kwh=float(imported[unpriced].sum()),
        unpriced_export_kwh=float(exported[unpriced].sum()),
    )


def coverage(series: IntervalSeries) -> Coverage:
    energy_gaps = gaps(series, ~series.has_energy)
    price_gaps = gaps(series, ~series.has_price)
    return Coverage(
        intervals=len(series),
        energy_intervals=int(series.has_energy.sum()),
        priced_intervals=int(series.has_price.sum()),
        energy_gap_count=len(energy_gaps),
        price_gap_count=len(price_gaps),
        energy_gaps=tuple(energy_gaps[:MAX_LISTED_GAPS]),
        price_gaps=tuple(price_gaps[:MAX_LISTED_GAPS]),
    )


def gaps(series: IntervalSeries, missing: Mask) -> list[Gap]:
    """Maximal runs of ``missing`` intervals as ``[start, end)`` ranges."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    step = timedelta(seconds=series.step_s)
    return [
        Gap(utc_datetime(series.ts[b]), utc_datetime(series.ts[e - 1]) + step, int(e - b))
        for b, e in zip(begins, ends, strict=True)
    ]


def _peak(series: IntervalSeries, kw: Floats) -> Peak | None:
    candidates = np.where(series.has_energy & ~np.isnan(kw), kw, -np.inf)
    if not np.isfinite(candidates).any():
        return None
    best = int(np.argmax(candidates))
    return Peak(kw=float(kw[best]), at=utc_datetime(series.ts[best]))
