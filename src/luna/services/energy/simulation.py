"""The simulated fleet and market written into the energy store: history in bulk, the present live.

The simulators (:mod:`luna.domain.sim`) are pure and deterministic for a seed; this service decides
what is simulated (the fleet drawn from ``sim`` settings, on the grid of
:func:`~luna.services.energy.simulation_batches.reading_step`) and how it reaches the store: through
:class:`~luna.ports.energy.EnergyStore`, the insert-if-absent path the CSV and MQTT feeds use too, so
running the same backfill again stores nothing and counts duplicates instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from luna.domain.energy import MeterInfo, ReadingBatch, WriteStats
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.sim.market import simulate_prices
from luna.domain.sim.meters import MeterSpec, draw_meters, simulate_meter
from luna.domain.sim.weather import simulate_weather
from luna.ports.energy import EnergyStore
from luna.services.energy.simulation_batches import (
    BERLIN,
    SIM_END,
    SIM_FIRST,
    check_products,
    meter_infos,
    price_batch,
    reading_batch,
    reading_step,
)
from luna.services.energy.simulation_limits import check_backfill_size, check_live_size
from luna.services.energy.simulation_live import LiveSimulation
from luna.settings import SimSettings

Clock = Callable[[], datetime]
Progress = Callable[[float, str], None]

MAX_METERS: Final = 100_000
MAX_SEED: Final = 2**63 - 1
#: A backfill simulates this much time per round (weather and prices once, then every meter), which
#: bounds memory however long the range is.
WINDOW: Final = timedelta(days=7)
#: Readings are written once this many rows are pending: big enough for COPY to pay off, small enough
#: to keep memory and the length of one write transaction modest.
BATCH_ROWS: Final = 250_000
_METER_PAGE = 1000


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str, name: str = "time") -> datetime:
    """A date (``2024-03-01``: 00:00 Europe/Berlin) or an ISO-8601 datetime with a time zone."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=BERLIN)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date (2024-03-01) or an ISO-8601 datetime with a time zone, not {text!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} {text!r} needs a time zone (e.g. {value}+01:00 or {value}Z)")
    return moment


@dataclass(frozen=True)
class BackfillSummary:
    """What a backfill did; ``stopped`` when it ended early on request (what it wrote is kept)."""

    start: datetime
    end: datetime
    meters: int
    seed: int
    step_s: int
    readings_inserted: int
    readings_duplicates: int
    prices_inserted: int
    prices_duplicates: int
    seconds: float
    stopped: bool = False

    @property
    def rows(self) -> int:
        """Reading rows handed to the store (stored or recognised as already there)."""
        return self.readings_inserted + self.readings_duplicates

    @property
    def rows_per_sec(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "meters": self.meters,
            "seed": self.seed,
            "step_s": self.step_s,
            "readings_inserted": self.readings_inserted,
            "readings_duplicates": self.readings_duplicates,
            "prices_inserted": self.prices_inserted,
            "prices_duplicates": self.prices_duplicates,
            "seconds": round(self.seconds, 3),
            "rows_per_sec": round(self.rows_per_sec, 1),
            "stopped": self.stopped,
        }


class SimulationService:
    """Draws the fleet, backfills history and builds the live loops, all on one ``EnergyStore``."""

    def __init__(self, store: EnergyStore, settings: SimSettings, clock: Clock = utc_now) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self.step = reading_step(settings.smartmeter_interval_sec)

    def fleet(self, meters: int | None = None, seed: int | None = None) -> tuple[list[MeterSpec], int]:
        """The fleet's meters (``sim.meters`` of them by default) and the seed they were drawn with."""
        count = self._settings.meters if meters is None else meters
        chosen = self._settings.seed if seed is None else seed
        if not _whole(count) or not 1 <= count <= MAX_METERS:
            raise InvalidInput(f"meters must be a whole number from 1 to {MAX_METERS:,}, not {count!r}")
        if not _whole(chosen) or not 0 <= chosen <= MAX_SEED:
            raise InvalidInput(f"seed must be a whole number from 0 to 2^63-1, not {chosen!r}")
        specs = draw_meters(count, self._settings.types_mix, chosen, id_prefix=self._settings.id_prefix)
        return specs, chosen

    def prepared_fleet(
        self, meters: int | None = None, seed: int | None = None
    ) -> tuple[list[MeterSpec], int]:
        """The fleet, checked against the meters the store holds (:meth:`check_fleet`)."""
        specs, chosen = self.fleet(meters, seed)
        self.check_fleet(specs, chosen)
        return specs, chosen

    def prepared_live_fleet(
        self, meters: int | None = None, seed: int | None = None
    ) -> tuple[list[MeterSpec], dict[str, MeterInfo], int]:
        """The live simulation's fleet, its stored meters and seed; one larger than ``sim.max_live_meters``
        is refused before it is drawn (:mod:`~luna.services.energy.simulation_limits`)."""
        count = self._settings.meters if meters is None else meters
        if _whole(count):
            check_live_size(count, self._settings.max_live_meters)
        specs, chosen = self.fleet(meters, seed)
        return specs, self.check_fleet(specs, chosen), chosen

    def check_fleet(self, specs: Sequence[MeterSpec], seed: int) -> dict[str, MeterInfo]:
        """Refuse (:class:`Conflict`) a fleet whose meter IDs the store holds as other meters; return
        the stored meters of the fleet.

        Meter ``i`` is fixed by the seed and its position (a larger fleet extends a smaller one), but
        its ID only by the prefix and position: another seed or type mix would make ``sim-000001``
        another household, mix two meters' readings under one ID and change the stored one's type and
        PV. A changed step would turn the stored readings' kW into wrong kWh.
        """
        wanted = {info.meter_id: info for info in meter_infos(specs, self.step)}
        stored_fleet = {
            stored.meter_id: stored for stored in self._stored_meters() if stored.meter_id in wanted
        }
        clashes = [
            (stored, wanted[meter_id])
            for meter_id, stored in stored_fleet.items()
            if _differs(stored, wanted[meter_id])
        ]
        if clashes:
            stored, drawn = clashes[0]
            raise Conflict(
                f"{len(clashes)} meter ID(s) of this fleet ({len(specs)} meters, seed {seed}) are stored as "
                f"other meters, e.g. {stored.meter_id}: stored {_describe(stored)}, "
                f"this fleet {_describe(drawn)}. "
                "A fleet is fixed by its seed, sim.types_mix and sim.smartmeter_interval_sec (more meters "
                "extend it): use the ones the stored data was simulated with, or another sim.id_prefix "
                "for a second fleet.",
                details={"meters": [stored.meter_id for stored, _ in clashes[:20]], "clashes": len(clashes)},
            )
        return stored_fleet

    def register_fleet(self, specs: Sequence[MeterSpec]) -> None:
        """Tell the store what each simulated meter is (type, PV, annual kWh, its interval)."""
        self._store.upsert_meters(meter_infos(specs, self.step))

    def live(self, meters: int | None = None, seed: int | None = None) -> LiveSimulation:
        """The live loops of the fleet, on the intervals of the ``sim`` settings; registers the fleet."""
        specs, stored, chosen = self.prepared_live_fleet(meters, seed)
        self.register_fleet(specs)
        return LiveSimulation(
            self._store,
            specs,
            stored_until={
                meter_id: info.last_ts for meter_id, info in stored.items() if info.last_ts is not None
            },
            seed=chosen,
            step=self.step,
            markets=self._settings.markets,
            products=self._settings.products,
            meter_interval_sec=self._settings.smartmeter_interval_sec,
            market_interval_sec=self._settings.market_interval_sec,
            clock=self._clock,
        )

    def backfill(
        self,
        start: datetime,
        end: datetime,
        meters: int | None = None,
        seed: int | None = None,
        progress: Progress | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> BackfillSummary:
        """Simulate ``[start, end)`` for the fleet and the market and write it (insert-if-absent).

        Per round of :data:`WINDOW`: the weather once (its cloud cover shades every meter's PV), the
        prices once under each market label and product, then every meter. Everything is checked
        before anything is written. ``should_stop`` is asked between meters; a stopped backfill keeps
        what it wrote, and running it again fills in the rest.
        """
        began = time.perf_counter()
        report = progress or (lambda fraction, message: None)
        report(0.0, "Zähler werden gezogen und geprüft")
        specs, chosen = self.check_backfill(start, end, meters, seed)
        stop = should_stop or (lambda: False)
        report(0.0, f"{len(specs)} Zähler werden registriert")
        self.register_fleet(specs)
        windows = _windows(start, end)
        readings = prices = WriteStats()
        pending: list[ReadingBatch] = []
        stopped = False
        for number, (window_start, window_end) in enumerate(windows):
            prices += self._write_prices(window_start, window_end, chosen)
            cloud = simulate_weather(window_start, window_end, self.step, chosen).cloud_cover
            for index, spec in enumerate(specs):
                stopped = stop()
                if stopped:
                    break
                pending.append(
                    reading_batch(simulate_meter(spec, window_start, window_end, self.step, cloud))
                )
                if sum(len(batch) for batch in pending) >= BATCH_ROWS:
                    readings += self._write_readings(pending)
                    pending = []
                done = (number * len(specs) + index + 1) / (len(windows) * len(specs))
                report(min(done, 0.99), _backfill_message(window_start, len(specs), index + 1))
            if stopped:
                break
        readings += self._write_readings(pending)
        if not stopped:
            report(1.0, "Simulation geschrieben")
        return BackfillSummary(
            start=start,
            end=end,
            meters=len(specs),
            seed=chosen,
            step_s=int(self.step.total_seconds()),
            readings_inserted=readings.inserted,
            readings_duplicates=readings.duplicates,
            prices_inserted=prices.inserted,
            prices_duplicates=prices.duplicates,
            seconds=time.perf_counter() - began,
            stopped=stopped,
        )

    def check_backfill(
        self, start: datetime, end: datetime, meters: int | None = None, seed: int | None = None
    ) -> tuple[list[MeterSpec], int]:
        """Everything a backfill refuses, checked without writing: products, period, fleet."""
        check_products(self._settings.products)
        self._check_range(start, end)
        count = self._settings.meters if meters is None else meters
        if _whole(count):
            check_backfill_size(start, end, count, self.step, self._settings.max_backfill_rows)
        return self.prepared_fleet(meters, seed)

    def demo_range(self, days: int) -> tuple[datetime, datetime]:
        """The last ``days`` days up to now, ending on the reading grid (the demo data of ``luna serve``)."""
        step_s = int(self.step.total_seconds())
        now_s = math.floor(self._clock().timestamp())
        end = datetime.fromtimestamp(now_s - now_s % step_s, UTC)
        return end - timedelta(days=days), end

    def _check_range(self, start: datetime, end: datetime) -> None:
        minutes = int(self.step.total_seconds()) // 60
        for name, moment in (("The start", start), ("The end", end)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidInput(f"{name} needs a time zone.")
        if end <= start:
            raise InvalidInput(f"The end ({end.isoformat()}) must be after the start ({start.isoformat()}).")
        # The range before the grid: Berlin's midnight in the year 1 has a local-mean-time offset
        # (+00:53:28) that would be named as off the grid, where the year is what is wrong.
        if start < SIM_FIRST or end > SIM_END:
            raise InvalidInput(
                f"the simulator covers {SIM_FIRST.isoformat()} to {SIM_END.isoformat()}; "
                f"{start.isoformat()} to {end.isoformat()} lies outside"
            )
        for name, moment in (("from", start), ("to", end)):
            if moment.timestamp() % self.step.total_seconds():
                raise InvalidInput(
                    f"{name} {moment.isoformat()} is not on the simulated meters' {minutes}-minute grid "
                    f"(multiples of {minutes} minute(s) since 1970-01-01T00:00Z)"
                )
        now = self._clock()
        if end > now:
            raise InvalidInput(
                f"to ({end.isoformat()}) lies in the future; a backfill writes history up to now "
                f"({now.isoformat(timespec='seconds')}), the live simulation continues from there"
            )

    def _stored_meters(self) -> Iterator[MeterInfo]:
        offset = 0
        while True:
            page = self._store.list_meters(limit=_METER_PAGE, offset=offset)
            yield from page
            if len(page) < _METER_PAGE:
                return
            offset += _METER_PAGE

    def _write_prices(self, start: datetime, end: datetime, seed: int) -> WriteStats:
        batch = price_batch(
            simulate_prices(start, end, seed), self._settings.markets, self._settings.products
        )
        return self._store.write_prices(batch)

    def _write_readings(self, pending: list[ReadingBatch]) -> WriteStats:
        return self._store.write_readings(ReadingBatch.concat(pending), source="sim")


def _differs(stored: MeterInfo, drawn: MeterInfo) -> bool:
    return (
        (stored.source, stored.kind, stored.has_pv, stored.interval_s)
        != (drawn.source, drawn.kind, drawn.has_pv, drawn.interval_s)
        or not math.isclose(stored.pv_kwp, drawn.pv_kwp, rel_tol=1e-9)
        or stored.annual_kwh is None
        or drawn.annual_kwh is None
        or not math.isclose(stored.annual_kwh, drawn.annual_kwh, rel_tol=1e-9)
    )


def _describe(meter: MeterInfo) -> str:
    pv = f"PV {meter.pv_kwp:g} kWp" if meter.has_pv else "no PV"
    annual = f"{meter.annual_kwh:,.0f} kWh/a" if meter.annual_kwh is not None else "no annual kWh"
    return f"({meter.source}, {meter.kind}, {annual}, {pv}, {meter.interval_s} s readings)"


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Consecutive rounds of :data:`WINDOW` in absolute time (UTC: a local week may have 167 hours)."""
    windows = []
    cursor, end = start.astimezone(UTC), end.astimezone(UTC)
    while cursor < end:
        windows.append((cursor, min(cursor + WINDOW, end)))
        cursor += WINDOW
    return windows


def _backfill_message(window_start: datetime, meters: int, meter: int) -> str:
    day = window_start.astimezone(BERLIN).strftime("%d.%m.%Y")
    return f"Woche ab {day}: Zähler {meter} von {meters}"
