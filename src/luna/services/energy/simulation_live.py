"""The live simulation: the fleet's readings and the day-ahead prices written as time passes.

Two loops share one job. The meter loop wakes every ``sim.smartmeter_interval_sec`` (aligned to the
clock) and writes every interval ``[ts, ts + step)`` completed by then (``ts + step <= now``) that
follows the meter's newest stored reading: never the future, and after a pause at most
:data:`CATCH_UP` back, so data appears at once and a long pause leaves a gap for a backfill to fill
rather than a burst. The market loop wakes every ``sim.market_interval_sec`` and keeps the prices
published: day-ahead results come out around :data:`PUBLICATION` Europe/Berlin for the next local
day, so before that time the prices reach the end of today, after it the end of tomorrow.

All timing comes from an injected clock, so tests drive :meth:`LiveSimulation.meter_tick` and
:meth:`LiveSimulation.market_tick` (and even :meth:`LiveSimulation.run`, with a sleep that advances
the clock) deterministically.

The meter simulator computes a whole simulation day (02:00–02:00 UTC) per call (~5 ms), whatever
part of it is asked for; the loop therefore simulates each meter's current day once and slices it.
The cache holds at most the days that the catch-up window touches (two), about 110 kB per meter and
day at a 1-minute step.
"""

from __future__ import annotations

import logging
import math
import time as clock_time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt

from luna.domain.energy import ReadingBatch, WriteStats
from luna.domain.sim.market import simulate_prices
from luna.domain.sim.meters import MeterSeries, MeterSpec, simulate_meter
from luna.domain.sim.weather import simulate_weather
from luna.ports.energy import EnergyStore
from luna.services.energy.simulation_batches import (
    BERLIN,
    check_products,
    price_batch,
    reading_batch,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Floats = npt.NDArray[np.float64]

#: How far back the meter loop writes at most (on its first tick, and after a pause).
CATCH_UP: Final = timedelta(hours=1)
#: When the day-ahead auction's results for the next day are published (Europe/Berlin).
PUBLICATION: Final = time(12, 45)
#: The loops sleep in slices this long, so a stop request is seen within about a second.
SLICE_SEC: Final = 0.25
_DAY_S = 86_400
_DAY_OFFSET_S = 7_200  # the meter simulator's day runs from 02:00 UTC


@dataclass
class LiveTotals:
    """What the loops did since they started; ``message`` is the German line the job shows.

    ``prices_until`` is also where the market loop goes on: the end of the prices it has written.
    """

    meter_ticks: int = 0
    market_ticks: int = 0
    readings_inserted: int = 0
    readings_duplicates: int = 0
    prices_inserted: int = 0
    prices_duplicates: int = 0
    failed_ticks: int = 0
    last_error: str | None = None
    readings_until: datetime | None = None
    prices_until: datetime | None = None

    def message(self) -> str:
        text = f"Live: {self.readings_inserted:,} Messwerte und {self.prices_inserted:,} Preise geschrieben"
        text = text.replace(",", ".")
        if self.readings_until is not None:
            text += f"; Messwerte bis {self.readings_until.astimezone(BERLIN):%d.%m. %H:%M}"
        if self.last_error is not None:
            text += f"; {self.failed_ticks} Fehler, zuletzt: {self.last_error}"
        return text[:500]


class LiveSimulation:
    """The live loops of one fleet; build it with :meth:`SimulationService.live`.

    ``stored_until`` holds the newest stored reading of each meter that has any: its loop resumes after it.
    """

    def __init__(
        self,
        store: EnergyStore,
        specs: Sequence[MeterSpec],
        *,
        stored_until: Mapping[str, datetime],
        seed: int,
        step: timedelta,
        markets: Sequence[str],
        products: Sequence[str],
        meter_interval_sec: float,
        market_interval_sec: float,
        clock: Clock,
    ) -> None:
        check_products(products)
        self._store = store
        self._specs = list(specs)
        self._seed = seed
        self._step = step
        self._step_s = int(step.total_seconds())
        self._markets = list(markets)
        self._products = list(products)
        self._meter_interval = meter_interval_sec
        self._market_interval = market_interval_sec
        self._clock = clock
        # per meter: the start of the first interval to write, the grid instant after its newest reading
        self._next = {
            meter_id: (math.floor(last.timestamp()) // self._step_s + 1) * self._step_s
            for meter_id, last in stored_until.items()
        }
        self._days: dict[int, dict[str, MeterSeries]] = {}
        self._clouds: dict[int, Floats] = {}
        self.totals = LiveTotals()

    @property
    def meters(self) -> list[str]:
        return [spec.meter_id for spec in self._specs]

    def meter_tick(self, now: datetime, should_stop: Callable[[], bool] = lambda: False) -> WriteStats:
        """Write each meter's intervals completed by ``now`` since its newest reading (at most an hour).

        ``should_stop`` is asked before each meter: a tick that simulates a new day for thousands of
        meters takes a minute, and a stop request must not wait for it. What was simulated is written,
        and the other meters catch up on the next start."""
        end_s = math.floor(now.timestamp()) // self._step_s * self._step_s
        oldest_s = end_s - int(CATCH_UP.total_seconds())
        parts: list[ReadingBatch] = []
        advanced: list[str] = []
        for spec in self._specs:
            if should_stop():
                break
            first_s = max(self._next.get(spec.meter_id, oldest_s), oldest_s)
            if first_s < end_s:
                parts.extend(self._readings(spec, first_s, end_s))
                advanced.append(spec.meter_id)
        stats = self._store.write_readings(ReadingBatch.concat(parts), source="sim")
        for meter_id in advanced:
            self._next[meter_id] = end_s
        for day in [day for day in self._days if _day_start(day) + _DAY_S <= oldest_s]:
            del self._days[day]
            self._clouds.pop(day, None)
        self.totals.meter_ticks += 1
        self.totals.readings_inserted += stats.inserted
        self.totals.readings_duplicates += stats.duplicates
        if advanced:
            self.totals.readings_until = datetime.fromtimestamp(end_s, UTC)
        return stats

    def market_tick(self, now: datetime) -> WriteStats:
        """Write the delivery periods published by ``now`` that were not written yet."""
        local = now.astimezone(BERLIN)
        days_ahead = 2 if local.time() >= PUBLICATION else 1
        horizon = datetime.combine(local.date() + timedelta(days=days_ahead), time(0), tzinfo=BERLIN)
        first = self.totals.prices_until or datetime.combine(local.date(), time(0), tzinfo=BERLIN)
        stats = WriteStats()
        if horizon > first:
            batch = price_batch(simulate_prices(first, horizon, self._seed), self._markets, self._products)
            stats = self._store.write_prices(batch)
        self.totals.market_ticks += 1
        self.totals.prices_inserted += stats.inserted
        self.totals.prices_duplicates += stats.duplicates
        self.totals.prices_until = max(horizon, first)
        return stats

    def run(
        self,
        should_stop: Callable[[], bool],
        report: Callable[[LiveTotals], None] | None = None,
        *,
        sleep: Callable[[float], None] = clock_time.sleep,
    ) -> LiveTotals:
        """Run both loops until ``should_stop()``; a failing tick is logged and retried next interval.

        Ticks happen right after each multiple of their interval (since 1970), both at once at the
        start. ``should_stop`` is asked at least every :data:`SLICE_SEC`.
        """
        due_meter = due_market = -math.inf
        while not should_stop():
            now = self._clock()
            now_s = now.timestamp()
            ticked = False
            if now_s >= due_meter:
                self._guarded("meter_tick", partial(self.meter_tick, now, should_stop))
                due_meter = _next_multiple(now_s, self._meter_interval)
                ticked = True
            if now_s >= due_market:
                self._guarded("market_tick", partial(self.market_tick, now))
                due_market = _next_multiple(now_s, self._market_interval)
                ticked = True
            if ticked and report is not None:
                report(self.totals)
            wait = min(due_meter, due_market) - self._clock().timestamp()
            sleep(min(SLICE_SEC, max(wait, 0.0)))
        return self.totals

    def _guarded(self, name: str, tick: Callable[[], WriteStats]) -> None:
        try:
            tick()
        except Exception as error:
            logger.exception("live simulation: %s failed; trying again next interval", name)
            self.totals.failed_ticks += 1
            self.totals.last_error = f"{type(error).__name__}: {error}"

    def _readings(self, spec: MeterSpec, first_s: int, stop_s: int) -> list[ReadingBatch]:
        parts = []
        day = (first_s - _DAY_OFFSET_S) // _DAY_S
        cursor = first_s
        while cursor < stop_s:
            day_start = _day_start(day)
            upto = min(stop_s, day_start + _DAY_S)
            rows = slice((cursor - day_start) // self._step_s, (upto - day_start) // self._step_s)
            parts.append(reading_batch(self._day(spec, day), rows))
            cursor, day = upto, day + 1
        return parts

    def _day(self, spec: MeterSpec, day: int) -> MeterSeries:
        """One meter's whole simulation day, simulated once (shaded by the day's shared clouds)."""
        series = self._days.setdefault(day, {})
        if spec.meter_id not in series:
            start = datetime.fromtimestamp(_day_start(day), UTC)
            end = start + timedelta(seconds=_DAY_S)
            if day not in self._clouds:
                self._clouds[day] = simulate_weather(start, end, self._step, self._seed).cloud_cover
            series[spec.meter_id] = simulate_meter(spec, start, end, self._step, self._clouds[day])
        return series[spec.meter_id]


def _day_start(day: int) -> int:
    return day * _DAY_S + _DAY_OFFSET_S


def _next_multiple(now_s: float, interval: float) -> float:
    return (math.floor(now_s / interval) + 1) * interval
