"""The one way in for readings and prices from every feed: validate, compare with what is stored, write.

An intake lives for one input (a CSV file, one batch of MQTT messages) and is fed its rows in chunks.
It asks the store once per meter for the newest stored reading, judges each chunk against that state
and carries the state forward itself after each write, so a file's later chunks are judged against its
earlier ones without asking again. Each chunk is one all-or-nothing write; the report adds up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from luna.domain.energy import QUARTER_S, FeedSource, MeterInfo, PriceBatch, ReadingBatch
from luna.domain.energy_sequence import (
    DEFAULT_MAX_LISTED,
    Counts,
    MeterState,
    Problem,
    newest_prices,
    stored_conflicts,
    stored_price_conflicts,
    utc_seconds,
)
from luna.domain.energy_validation import (
    RawRows,
    ReadingRules,
    distinct_meters,
    every,
    reading_interval,
    validate_prices,
    validate_readings,
)
from luna.ports.energy import EnergyStore

Clock = Callable[[], datetime]
#: Candidate duplicates further apart than this are looked up in separate windows.
_WINDOW_GAP = np.timedelta64(6, "h")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _by_line(problem: Problem) -> int:
    return problem.line


def _moment(seconds: np.datetime64) -> datetime:
    return datetime.fromtimestamp(int(seconds.astype("datetime64[s]").astype(np.int64)), UTC)


@dataclass
class IntakeReport:
    """Counts over the whole input and the first ``max_listed`` problems and notices."""

    max_listed: int = DEFAULT_MAX_LISTED
    counts: Counts = field(default_factory=Counts)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)

    def add(self, counts: Counts, problems: list[Problem], notices: list[Problem]) -> None:
        """Add a chunk's counts; keep the ``max_listed`` problems and notices with the lowest lines."""
        self.counts.add(counts)
        self.problems = sorted(self.problems + problems, key=_by_line)[: self.max_listed]
        self.notices = sorted(self.notices + notices, key=_by_line)[: self.max_listed]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts.as_dict(),
            "problems": [problem.as_dict() for problem in self.problems],
            "notices": [notice.as_dict() for notice in self.notices],
        }


class ReadingIntake:
    def __init__(
        self,
        store: EnergyStore,
        rules: ReadingRules,
        *,
        source: FeedSource,
        max_listed: int = DEFAULT_MAX_LISTED,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._rules = rules
        self._source = source
        self._clock = clock
        self._states: dict[str, MeterState] = {}
        #: The stored meters' reading intervals: a row off its meter's grid is refused.
        self._intervals: dict[str, int] = {}
        #: Meters whose rows were noted as further apart than their interval (once per input).
        self.spaced_meters: set[str] = set()
        self.report = IntakeReport(max_listed=max_listed)

    def ingest(self, raw: RawRows) -> Counts:
        """Validate and store one chunk; returns its counts (the report holds the sum)."""
        for meter_id in distinct_meters(raw):
            if meter_id not in self._states:
                info = self._store.get_meter(meter_id)
                self._states[meter_id] = (
                    MeterState.of(info.last_ts, info.last_register_kwh) if info is not None else MeterState()
                )
                if info is not None:
                    self._intervals[meter_id] = info.interval_s
        check = validate_readings(
            raw,
            self._rules,
            now=self._clock(),
            stored=self._states,
            max_listed=self.report.max_listed,
            intervals=self._intervals,
        )
        conflicts, conflict_notices = stored_conflicts(
            check.batch, check.lines, self._stored_copies(check.batch), max_listed=self.report.max_listed
        )
        spacing_notices = self._spacing_notices(check.batch, check.lines)
        new_meters = [str(m) for m in np.unique(check.batch.meter_id) if str(m) not in self._intervals]
        self._register(new_meters, check.batch)
        stats = self._store.write_readings(check.batch, source=self._source)
        for meter_id in new_meters:
            info = self._store.get_meter(meter_id)
            self._intervals[meter_id] = info.interval_s if info is not None else 0
        self._states.update(check.newest)
        counts = check.counts
        counts.conflicts += conflicts
        counts.inserted, counts.already_stored = stats.inserted, stats.duplicates
        self.report.add(counts, check.problems, check.notices + conflict_notices + spacing_notices)
        return counts

    def _spacing_notices(self, batch: ReadingBatch, lines: npt.NDArray[np.int64]) -> list[Problem]:
        """A known meter whose rows are a multiple of its interval apart (15-minute rows of a meter
        stored as reading every minute, the default for one first seen over MQTT) has each row counted
        for one interval only: said once per meter and input, with how to correct it."""
        notices = []
        for meter_id in np.unique(batch.meter_id):
            stored = self._intervals.get(str(meter_id))
            rows = np.flatnonzero(batch.meter_id == meter_id)
            # With the newest stored reading: an MQTT meter sends one row at a time.
            before = self._states[str(meter_id)].last_ts
            step = reading_interval(np.append(batch.ts[rows], before).astype("datetime64[s]"))
            if (
                not stored
                or step is None
                or step <= stored
                or step % stored
                or meter_id in self.spaced_meters
            ):
                continue
            self.spaced_meters.add(str(meter_id))
            notices.append(
                Problem(
                    line=int(lines[rows[0]]),
                    field="ts",
                    reason=f"rows are {every(step)} apart, but the meter is stored as reading every "
                    f"{every(stored)}, so each row counts for {every(stored)} of energy; if it reads every "
                    f"{every(step)}, set that: PATCH /api/v1/admin/meters/{meter_id} "
                    f'{{"interval_s": {step}}} or `luna meters interval {meter_id} {step}`',
                    ts=f"{np.datetime_as_string(batch.ts[rows[0]])}Z",
                    meter_id=str(meter_id),
                )
            )
        return notices

    def _register(self, meter_ids: Sequence[str], batch: ReadingBatch) -> None:
        """New meters whose first rows show their interval (15-minute values) are stored with it: the
        default (``energy.default_interval_sec``, a minute) kept a fifteenth of their energy."""
        shown = {m: reading_interval(batch.ts[batch.meter_id == m]) for m in meter_ids}
        meters = [MeterInfo(m, interval_s=step, source=self._source) for m, step in shown.items() if step]
        if meters:
            self._store.upsert_meters(meters)

    def _stored_copies(self, batch: ReadingBatch) -> ReadingBatch:
        """The stored readings that rows of ``batch`` may repeat: those at or before the meter's newest.

        Read in windows around the candidate rows (split where they are hours apart), so a few late
        rows far apart do not read the months of readings between them.
        """
        found = []
        for meter_id in np.unique(batch.meter_id):
            newest = self._states[str(meter_id)].last_ts
            if np.isnat(newest):
                continue
            ts = np.sort(batch.ts[(batch.meter_id == meter_id) & (batch.ts <= newest)])
            gaps = np.flatnonzero(np.diff(ts) > _WINDOW_GAP) + 1
            for window in np.split(ts, gaps) if len(ts) else []:
                start, end = _moment(window[0]), _moment(window[-1]) + timedelta(seconds=1)
                found.append(self._store.stored_readings(str(meter_id), start, end))
        return ReadingBatch.concat(found)


class PriceIntake:
    def __init__(
        self, store: EnergyStore, *, max_listed: int = DEFAULT_MAX_LISTED, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._clock = clock
        self._newest: dict[tuple[str, str], np.datetime64] | None = None
        self.report = IntakeReport(max_listed=max_listed)

    def ingest(self, raw: RawRows) -> Counts:
        if self._newest is None:
            self._newest = {
                (market, product): utc_seconds(last)
                for market, product, _, last, _ in self._store.price_series()
            }
        check = validate_prices(
            raw, now=self._clock(), stored_last_ts=self._newest, max_listed=self.report.max_listed
        )
        conflicts, conflict_notices = stored_price_conflicts(
            check.batch, check.lines, self._stored_copies(check.batch), max_listed=self.report.max_listed
        )
        stats = self._store.write_prices(check.batch)
        for key, ts in newest_prices(check.batch).items():
            before = self._newest.get(key)
            if before is None or np.isnat(before) or ts > before:
                self._newest[key] = ts
        counts = check.counts
        counts.conflicts += conflicts
        counts.inserted, counts.already_stored = stats.inserted, stats.duplicates
        self.report.add(counts, check.problems, check.notices + conflict_notices)
        return counts

    def _stored_copies(self, batch: PriceBatch) -> PriceBatch:
        """The stored prices that rows of ``batch`` may repeat: those at or before their series'
        newest, read in windows around them as for readings."""
        assert self._newest is not None
        found: list[tuple[str, str, datetime, float, float]] = []
        for market, product in {(str(m), str(p)) for m, p in zip(batch.market, batch.product, strict=True)}:
            newest = self._newest.get((market, product), np.datetime64("NaT", "s"))
            if np.isnat(newest):
                continue
            mine = (batch.market == market) & (batch.product == product) & (batch.ts <= newest)
            ts = np.sort(batch.ts[mine])
            for window in np.split(ts, np.flatnonzero(np.diff(ts) > _WINDOW_GAP) + 1) if len(ts) else []:
                start, end = _moment(window[0]), _moment(window[-1]) + timedelta(seconds=1)
                periods = int((end - start).total_seconds()) // QUARTER_S + 1
                stored = self._store.prices(market, product, start, end, "raw", limit=periods)
                found += [(market, product, row[0], row[1], row[2]) for row in stored.rows]
        return PriceBatch(
            market=np.array([row[0] for row in found], dtype=np.str_),
            product=np.array([row[1] for row in found], dtype=np.str_),
            ts=np.array([utc_seconds(row[2]) for row in found], dtype="datetime64[s]"),
            price_eur_mwh=np.array([row[3] for row in found], dtype=np.float64),
            volume=np.array([np.nan if row[4] is None else row[4] for row in found], dtype=np.float64),
        )
