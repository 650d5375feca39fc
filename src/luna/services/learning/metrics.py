"""Usage and ingest metrics: what the dashboards' insight panels and Prometheus read.

Events per day come from ``mv_events_daily`` (a materialized view on PostgreSQL, a table on SQLite),
never from the raw events. A read keeps it within ``metrics.events_daily_max_age_sec``: the first read
of a process refreshes it before reading, later reads that find it older start one refresh in the
background and read it as it stands (see :meth:`MetricsService.refresh_events_daily_if_stale`). That
freshness is process state that belongs to the database, not to a service object (the API builds a
service per request, the dashboards and the scrape theirs), so it is kept per :class:`Database`
instance, and at most one refresh per process runs at a time. Several processes may refresh at once:
PostgreSQL queues concurrent ``REFRESH … CONCURRENTLY`` on the view's lock and SQLite queues writers on
its busy timeout, so neither fails; a refresh that fails anyway is logged and the rollup is served as
it was.

Every figure per day is a Europe/Berlin calendar day ("today" is Berlin's today): events as in the
rollup, documents, chunks and failures alike. Ingest time has two sources: documents (an item's
``pending`` row to ``indexed``: storing, embedding and writing its chunks; the extraction before the row
exists is not included) and the ingest jobs of folders and the demo set (``started_at`` to
``finished_at``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from luna.domain.energy_calendar import BERLIN
from luna.domain.jobs import JobStatus
from luna.ports.metrics import DurationStats, JobRun, Ratings
from luna.ports.sql import Database
from luna.settings import MetricsSettings

logger = logging.getLogger(__name__)

#: The jobs that ingest documents (``workers/knowledge.py``); a test checks they are registered.
INGEST_JOBS = ("kb.ingest_paths", "kb.ingest_samples")
_P95 = 0.95


def utc_now() -> datetime:
    return datetime.now(UTC)


def in_background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="luna-events-daily-refresh", daemon=True).start()


@dataclass(frozen=True, slots=True)
class DayEvents:
    day: date
    total: int
    by_type: dict[str, int]


@dataclass(frozen=True, slots=True)
class Usefulness:
    """Share of rated answers marked useful: overall and over the last 7 and 30 days (rolling)."""

    overall: Ratings
    last_7_days: Ratings
    last_30_days: Ratings


@dataclass(frozen=True, slots=True)
class Overview:
    as_of: datetime
    days: int
    items_by_status: dict[str, int]
    chunks: int
    chunks_archived: int
    users: int
    events_today: dict[str, int]
    events_by_type: dict[str, int]
    events_per_day: list[DayEvents]
    events_daily_refreshed_at: datetime | None
    feedback: Usefulness
    jobs_by_status: dict[str, int]
    knowledge_updated_at: datetime | None

    @property
    def items(self) -> int:
        return sum(self.items_by_status.values())


@dataclass(frozen=True, slots=True)
class IngestFailures:
    """Failed items, failed ingest jobs and files that failed inside otherwise finished ingest jobs."""

    items: int = 0
    jobs: int = 0
    files: int = 0

    @property
    def total(self) -> int:
        return self.items + self.jobs + self.files


@dataclass(frozen=True, slots=True)
class IngestDay:
    day: date
    documents: int
    chunks: int
    failures: IngestFailures


@dataclass(frozen=True, slots=True)
class IngestMetrics:
    as_of: datetime
    days: int
    per_day: list[IngestDay]
    items_by_status: dict[str, int]
    #: Per document: pending row to indexed (first versions created in the window).
    indexing: DurationStats
    #: Per succeeded ingest job (folders, demo set) that finished in the window.
    jobs: DurationStats

    @property
    def documents(self) -> int:
        return sum(day.documents for day in self.per_day)

    @property
    def chunks(self) -> int:
        return sum(day.chunks for day in self.per_day)

    @property
    def failures(self) -> IngestFailures:
        return IngestFailures(
            items=sum(d.failures.items for d in self.per_day),
            jobs=sum(d.failures.jobs for d in self.per_day),
            files=sum(d.failures.files for d in self.per_day),
        )


@dataclass(frozen=True, slots=True)
class UsageSnapshot:
    """Both reports at once: what a Prometheus scrape turns into gauges."""

    overview: Overview
    ingest: IngestMetrics


class _Freshness:
    """When this process last refreshed one database's ``mv_events_daily``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempted_at: float | None = None
        self.refreshed_at: datetime | None = None


_FRESHNESS: weakref.WeakKeyDictionary[Database, _Freshness] = weakref.WeakKeyDictionary()
_FRESHNESS_LOCK = threading.Lock()


def _freshness(database: Database) -> _Freshness:
    with _FRESHNESS_LOCK:
        state = _FRESHNESS.get(database)
        if state is None:
            state = _FRESHNESS[database] = _Freshness()
        return state


class MetricsService:
    def __init__(
        self,
        database: Database,
        settings: MetricsSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], None] = in_background,
    ) -> None:
        """``spawn`` runs a refresh that readers need not wait for (tests pass one that runs it at once)."""
        self._database = database
        self._settings = settings
        self._clock = clock
        self._monotonic = monotonic
        self._spawn = spawn

    def refresh_events_daily_if_stale(self) -> datetime | None:
        """Keep the rollup within the allowed age; return when this process last refreshed it (None: not
        yet, or never successfully).

        The first read of a process (and every read when the allowed age is 0) refreshes before reading,
        since there is nothing it could vouch for. Later, a read that finds the rollup stale starts one
        refresh through ``spawn`` (a background thread) and reads the rollup as it stands: a refresh
        counts every event (seconds at millions of them, see bench/RESULTS.md), which no dashboard read
        or Prometheus scrape should wait for.
        """
        state = _freshness(self._database)
        if self._fresh(state):
            return state.refreshed_at
        if state.attempted_at is None or self._settings.events_daily_max_age_sec == 0:
            with state.lock:
                if not self._fresh(state):
                    self._refresh(state)
            return state.refreshed_at
        if state.lock.acquire(blocking=False):
            state.attempted_at = self._monotonic()  # claimed: other readers do not start one too

            def refresh_and_release() -> None:
                try:
                    self._refresh(state)
                finally:
                    state.lock.release()

            try:
                self._spawn(refresh_and_release)
            except BaseException:
                state.lock.release()
                raise
        return state.refreshed_at

    def _refresh(self, state: _Freshness) -> None:
        """Refresh now (the caller holds ``state.lock``); a failure is logged, the rollup stays as it was."""
        state.attempted_at = self._monotonic()
        try:
            self._database.refresh_events_daily()
        except Exception:
            logger.warning("mv_events_daily could not be refreshed; serving it as it is", exc_info=True)
            return
        state.refreshed_at = self._clock()

    def overview(self) -> Overview:
        refreshed_at = self.refresh_events_daily_if_stale()
        now = self._clock()
        today = now.astimezone(BERLIN).date()  # the rollup counts Berlin calendar days
        since = today - timedelta(days=self._settings.days - 1)
        with self._database.unit_of_work(read_only=True) as uow:
            items_by_status = uow.items.counts_by_status()
            chunks = uow.chunks.count()
            chunks_all = uow.chunks.count(include_archived=True)
            users = uow.users.count()
            daily = uow.metrics.events_daily(since)
            events_by_type = uow.metrics.events_by_type()
            feedback = Usefulness(
                overall=uow.metrics.ratings(),
                last_7_days=uow.metrics.ratings(now - timedelta(days=7)),
                last_30_days=uow.metrics.ratings(now - timedelta(days=30)),
            )
            jobs_by_status = uow.jobs.counts_by_status()
            knowledge_updated_at = uow.items.fingerprint()[2]
        per_day = [
            DayEvents(day=day, total=sum(counts.values()), by_type=dict(sorted(counts.items())))
            for day, counts in ((d, daily.get(d, {})) for d in _days(since, today))
        ]
        return Overview(
            as_of=now,
            days=self._settings.days,
            items_by_status=items_by_status,
            chunks=chunks,
            chunks_archived=chunks_all - chunks,
            users=users,
            events_today=dict(sorted(daily.get(today, {}).items())),
            events_by_type=dict(sorted(events_by_type.items())),
            events_per_day=per_day,
            events_daily_refreshed_at=refreshed_at,
            feedback=feedback,
            jobs_by_status={status.value: jobs_by_status.get(status.value, 0) for status in JobStatus},
            knowledge_updated_at=knowledge_updated_at,
        )

    def ingest(self) -> IngestMetrics:
        now = self._clock()
        today = _berlin_day(now)
        since = today - timedelta(days=self._settings.days - 1)
        since_instant = datetime(since.year, since.month, since.day, tzinfo=BERLIN)
        with self._database.unit_of_work(read_only=True) as uow:
            documents = uow.metrics.items_per_day(since)
            chunks = uow.metrics.chunks_per_day(since)
            failed_items = uow.metrics.failed_items_per_day(since)
            runs = uow.metrics.finished_jobs(INGEST_JOBS, since_instant)
            indexing = uow.metrics.indexing_durations(since_instant)
            items_by_status = uow.items.counts_by_status()
        failed_jobs = _count_by_day(
            _berlin_day(run.finished_at) for run in runs if run.status == JobStatus.FAILED
        )
        failed_files: dict[date, int] = {}
        for run in runs:
            failed = _failed_files(run)
            if failed:
                day = _berlin_day(run.finished_at)
                failed_files[day] = failed_files.get(day, 0) + failed
        per_day = [
            IngestDay(
                day=day,
                documents=documents.get(day, 0),
                chunks=chunks.get(day, 0),
                failures=IngestFailures(
                    items=failed_items.get(day, 0),
                    jobs=failed_jobs.get(day, 0),
                    files=failed_files.get(day, 0),
                ),
            )
            for day in _days(since, today)
        ]
        succeeded = [run.duration_sec for run in runs if run.status == JobStatus.SUCCEEDED]
        return IngestMetrics(
            as_of=now,
            days=self._settings.days,
            per_day=per_day,
            items_by_status=items_by_status,
            indexing=indexing,
            jobs=duration_stats(d for d in succeeded if d is not None),
        )

    def snapshot(self) -> UsageSnapshot:
        return UsageSnapshot(overview=self.overview(), ingest=self.ingest())

    def _fresh(self, state: _Freshness) -> bool:
        attempted = state.attempted_at
        return (
            attempted is not None and self._monotonic() - attempted < self._settings.events_daily_max_age_sec
        )


def duration_stats(durations: Iterable[float]) -> DurationStats:
    """Count, mean and nearest-rank 95th percentile (the same definition the SQL side uses)."""
    ordered = sorted(durations)
    if not ordered:
        return DurationStats(count=0)
    p95 = ordered[math.ceil(_P95 * len(ordered)) - 1]
    return DurationStats(count=len(ordered), avg_sec=sum(ordered) / len(ordered), p95_sec=p95)


def _failed_files(run: JobRun) -> int:
    """Files an ingest job reported as failed in its result (``ingest_files`` summary)."""
    value = run.result.get("failed")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _count_by_day(days: Iterable[date]) -> Mapping[date, int]:
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    return counts


def _berlin_day(instant: datetime) -> date:
    return instant.astimezone(BERLIN).date()
