"""Chart-ready series of the energy store: meters, a meter's readings and a market's prices.

A response never holds more than ``energy.max_points`` rows. The store is asked for one row more
than that, so an oversized request is detected without counting, and refused with the estimated
point count and the coarsest-needed resolution as a hint. ``auto`` picks the finest resolution whose
rows fit: it starts from an estimate (the stored span of the series and its spacing) and steps to a
coarser resolution when the store returns more rows than the estimate promised.

Time ranges are instants: ISO-8601 with a time zone in, UTC out. A time without a zone is refused
rather than guessed, because a German wall-clock time is an hour off UTC in winter and two in summer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import numpy as np

from luna.domain.energy import BUCKET_SECONDS, RESOLUTIONS, MeterInfo, MeterKind, Resolution, SeriesRows
from luna.domain.energy_validation import USUAL_INTERVALS_S, every
from luna.domain.errors import Conflict, InvalidInput, NotFound, field_problem
from luna.domain.sim.market import QUARTER_HOUR_FROM
from luna.ports.energy import EnergyStore
from luna.settings import EnergySettings

#: One Literal, not a union of two: a wrong value is refused with every choice in one message.
ResolutionChoice = Literal[Resolution, "auto"]

#: Instants outside these bounds are typos (a year 20250), not energy data.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
DEFAULT_PRODUCT: Final = "BASE"


def parse_instant(name: str, value: str) -> datetime:
    """``value`` as an aware UTC datetime; refuses text that is not ISO-8601 or lacks a time zone."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        problem = f"must be an ISO-8601 instant with a time zone, e.g. 2025-01-31T23:00:00Z; got {value!r}."
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem)) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        problem = f"has no time zone: add Z (UTC) or an offset such as +01:00, e.g. {parsed.isoformat()}Z."
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem))
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00: in UTC before year 1, which datetime cannot hold
        problem = f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC); got {value!r}."
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem)) from None


def check_range(start: datetime, end: datetime) -> None:
    if not EARLIEST <= start < LATEST or not EARLIEST < end <= LATEST:
        raise InvalidInput(f"from and to must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC).")
    if start >= end:
        raise InvalidInput("from must be before to.")


@dataclass(frozen=True)
class MeterPage:
    total: int
    meters: list[MeterInfo]

    @classmethod
    def of(cls, meters: list[MeterInfo], kind: MeterKind | None, limit: int, offset: int) -> MeterPage:
        """A page of an already loaded list (a customer's few linked meters), filtered like the store."""
        matching = [meter for meter in meters if kind is None or meter.kind == kind]
        return cls(total=len(matching), meters=matching[offset : offset + limit])


@dataclass(frozen=True)
class Series:
    """Rows of one meter or one market, ``columns[0]`` being ``ts`` (aware UTC datetimes)."""

    resolution: Resolution
    start: datetime
    end: datetime
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class _Span:
    """What is known about a series before reading it: where its data lies and how dense raw rows are."""

    first: datetime | None
    last: datetime | None
    raw_step_s: float


class EnergyDataService:
    def __init__(self, store: EnergyStore, settings: EnergySettings, markets: Sequence[str]) -> None:
        self._store = store
        self._max_points = settings.max_points
        self._markets = list(markets)

    @property
    def default_market(self) -> str | None:
        return self._markets[0] if self._markets else None

    def meters(self, kind: MeterKind | None, limit: int, offset: int) -> MeterPage:
        return MeterPage(
            total=self._store.count_meters(kind=kind),
            meters=self._store.list_meters(kind=kind, limit=limit, offset=offset),
        )

    def meter(self, meter_id: str) -> MeterInfo:
        meter = self._store.get_meter(meter_id)
        if meter is None:
            raise NotFound(f"No meter with id {meter_id!r}; GET /api/v1/data/meters lists them.")
        return meter

    def set_interval(self, meter_id: str, interval_s: int) -> MeterInfo:
        """Correct a meter's reading interval; the kWh of all its rollups are recomputed (each reading
        counts for one interval). A meter first seen over MQTT, or in a file of one row per meter, is
        stored at the default minute, and its 15-minute readings counted a fifteenth of their energy."""
        meter = self.meter(meter_id)
        if interval_s not in USUAL_INTERVALS_S:
            choices = ", ".join(str(seconds) for seconds in USUAL_INTERVALS_S)
            raise InvalidInput(
                f"interval_s must be one of {choices} (seconds), got {interval_s}.",
                details=field_problem("interval_s", f"one of {choices}"),
            )
        self._check_readings_fit(meter, interval_s)
        if meter.interval_s != interval_s:
            self._store.upsert_meters([replace(meter, interval_s=interval_s)])
        return self.meter(meter_id)

    def _check_readings_fit(self, meter: MeterInfo, interval_s: int) -> None:
        """Readings closer together than the new interval would each count for all of it: a minute
        meter set to 15 minutes would show fifteen times its energy. Its newest day tells."""
        if meter.last_ts is None:
            return
        recent = self._store.stored_readings(
            meter.meter_id, meter.last_ts - timedelta(days=1), meter.last_ts + timedelta(seconds=1)
        )
        seconds = np.unique(recent.ts.astype("datetime64[s]").astype(np.int64))
        step = int(np.gcd.reduce(np.diff(seconds))) if len(seconds) > 1 else interval_s
        if step % interval_s:
            raise Conflict(
                f"Meter {meter.meter_id!r} has readings {every(step)} apart: an interval of "
                f"{every(interval_s)} would count each for more time than it covers."
            )

    def meter_series(
        self, meter_id: str, start: datetime, end: datetime, resolution: ResolutionChoice
    ) -> Series:
        check_range(start, end)
        meter = self.meter(meter_id)
        span = _Span(meter.first_ts, meter.last_ts, float(meter.interval_s))

        def read(res: Resolution, limit: int) -> SeriesRows:
            return self._store.readings(meter_id, start, end, res, limit=limit)

        return self._series(read, span, start, end, resolution)

    def market_series(
        self,
        market: str | None,
        product: str | None,
        start: datetime,
        end: datetime,
        resolution: ResolutionChoice,
    ) -> tuple[str, str, Series]:
        """The series of ``market``/``product`` (defaults: the first configured market, BASE)."""
        check_range(start, end)
        market, product = market or self.default_market or "", product or DEFAULT_PRODUCT
        stored = {(m, p): (first, last, periods) for m, p, first, last, periods in self._store.price_series()}
        if (market, product) not in stored:
            available = ", ".join(f"{m}/{p}" for m, p in sorted(stored)) or "none yet"
            raise NotFound(
                f"No prices for market {market!r}, product {product!r}; available: {available}.",
                details={"available": [{"market": m, "product": p} for m, p in sorted(stored)]},
            )
        first, last, periods = stored[(market, product)]
        span = _Span(first, last, _mean_spacing_s(first, last, periods, end))

        def read(res: Resolution, limit: int) -> SeriesRows:
            return self._store.prices(market, product, start, end, res, limit=limit)

        return market, product, self._series(read, span, start, end, resolution)

    def _series(
        self,
        read: Callable[[Resolution, int], SeriesRows],
        span: _Span,
        start: datetime,
        end: datetime,
        choice: ResolutionChoice,
    ) -> Series:
        estimates = {res: _estimate_points(span, start, end, res) for res in RESOLUTIONS}
        if choice == "auto":
            fitting = [res for res in RESOLUTIONS if estimates[res] <= self._max_points]
            candidates = RESOLUTIONS[RESOLUTIONS.index(fitting[0]) :] if fitting else RESOLUTIONS[-1:]
        else:
            candidates = (choice,)
        for resolution in candidates:
            rows = read(resolution, self._max_points + 1)
            if len(rows.rows) <= self._max_points:
                return Series(resolution, start, end, rows.columns, rows.rows)
        raise self._too_many(candidates[-1], estimates)

    def _too_many(self, resolution: Resolution, estimates: dict[Resolution, int]) -> InvalidInput:
        limit = self._max_points
        estimate = max(estimates[resolution], limit + 1)
        coarser = [res for res in RESOLUTIONS[RESOLUTIONS.index(resolution) + 1 :] if estimates[res] <= limit]
        hint = (
            f"use resolution={coarser[0]} (about {estimates[coarser[0]]:,} points) or a shorter range"
            if coarser
            else "use a shorter range"
        )
        return InvalidInput(
            f"Too many points: about {estimate:,} at resolution {resolution}, more than the "
            f"{limit:,} one response may hold; {hint}.",
            details={
                "max_points": limit,
                "resolution": resolution,
                "estimated_points": estimate,
                "suggested_resolution": coarser[0] if coarser else None,
            },
        )


def _estimate_points(span: _Span, start: datetime, end: datetime, resolution: Resolution) -> int:
    """Rows ``resolution`` would give for ``[start, end)``, from the stored span of the series."""
    if span.first is None or span.last is None:
        return 0
    step = span.raw_step_s if resolution == "raw" else float(BUCKET_SECONDS[resolution])
    covered = (min(end, span.last + timedelta(seconds=step)) - max(start, span.first)).total_seconds()
    return max(0, -int(-covered // step)) if step > 0 else 0


def _mean_spacing_s(first: datetime, last: datetime, periods: int, end: datetime) -> float:
    """Seconds per stored price row: the stored mean, but never above the market time unit in force
    (hourly until 2025-09-30, quarter-hours since) so a range after the switch is not underestimated."""
    mean = (last - first).total_seconds() / (periods - 1) if periods > 1 else 3600.0
    unit = 900.0 if end > QUARTER_HOUR_FROM else 3600.0
    return min(mean, unit) if mean > 0 else unit
