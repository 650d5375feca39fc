"""Prometheus metrics of one app: HTTP traffic by route template, jobs by status, and usage gauges.

Each app gets its own :class:`CollectorRegistry` instead of the process-global one, so several
apps (tests, a worker and a server in one process) never collide over metric names. The gauges of
jobs and usage are read from the database at scrape time, so they are never stale; when the
database cannot answer, the scrape still delivers the HTTP metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from luna.domain.jobs import JobStatus
from luna.ports.metrics import DurationStats, Ratings
from luna.services.learning.metrics import UsageSnapshot

log = structlog.stdlib.get_logger("luna.api")

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class JobsByStatusCollector(Collector):
    """``luna_jobs{status}``: read from the jobs table at scrape time, so it is never stale."""

    def __init__(self, counts_by_status: Callable[[], Mapping[str, int]]) -> None:
        self._counts_by_status = counts_by_status

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("luna_jobs", "Jobs in the jobs table by status", labels=["status"])

    def describe(self) -> Iterable[Metric]:
        """Names the metric without reading the database (registration calls this)."""
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        gauge = self._family()
        try:
            counts = self._counts_by_status()
        except Exception:
            # A scrape must still deliver the HTTP metrics when the database is down.
            log.warning("jobs_metric_unavailable", exc_info=True)
            return []
        for status in JobStatus:
            gauge.add_metric([status.value], float(counts.get(status.value, 0)))
        return [gauge]


class HttpMetrics:
    def __init__(self, counts_by_status: Callable[[], Mapping[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "luna_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "luna_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            ["method", "route"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(JobsByStatusCollector(counts_by_status))

    def observe(self, method: str, route: str, status: int, duration_sec: float) -> None:
        label = method if method in _KNOWN_METHODS else "other"
        self.requests.labels(label, route, str(status)).inc()
        self.duration.labels(label, route).observe(duration_sec)


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


class UsageCollector(Collector):
    """Items, chunks, users, events, answer usefulness and ingest figures, as the dashboards see them.

    One :class:`UsageSnapshot` per scrape: a handful of aggregate queries, and the daily event rollup
    refreshed only when it is older than ``metrics.events_daily_max_age_sec``.
    """

    def __init__(self, snapshot: Callable[[], UsageSnapshot]) -> None:
        self._snapshot = snapshot

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        return {
            "items": _gauge("luna_items", "Knowledge items by status", ("status",)),
            "chunks": _gauge("luna_chunks", "Searchable chunks (archived versions not counted)"),
            "chunks_archived": _gauge("luna_chunks_archived", "Chunks of superseded item versions"),
            "users": _gauge("luna_users", "Known users"),
            "events": _gauge("luna_events", "Stored events by type (daily rollup)", ("type",)),
            "events_today": _gauge("luna_events_today", "Events of the current UTC day by type", ("type",)),
            "ratings": _gauge("luna_feedback_ratings", "Rated answers by window", ("window",)),
            "useful": _gauge(
                "luna_feedback_useful_ratio",
                "Share of rated answers marked useful by window (absent without ratings)",
                ("window",),
            ),
            "failures": _gauge(
                "luna_ingest_failures",
                "Ingest failures in the metrics window (metrics.days) by source: failed items, failed "
                "ingest jobs, files failed inside ingest jobs",
                ("source",),
            ),
            "documents": _gauge("luna_ingest_documents", "Documents ingested in the metrics window"),
            "seconds": _gauge(
                "luna_ingest_seconds",
                "Ingest time in the metrics window: per document (pending to indexed) and per ingest job",
                ("scope", "stat"),
            ),
        }

    def describe(self) -> Iterable[Metric]:
        """Names the metrics without reading the database (registration calls this)."""
        return list(self._families().values())

    def collect(self) -> Iterable[Metric]:
        try:
            snapshot = self._snapshot()
        except Exception:
            log.warning("usage_metrics_unavailable", exc_info=True)
            return []
        families = self._families()
        overview, ingest = snapshot.overview, snapshot.ingest
        for status, count in overview.items_by_status.items():
            families["items"].add_metric([status], float(count))
        families["chunks"].add_metric([], float(overview.chunks))
        families["chunks_archived"].add_metric([], float(overview.chunks_archived))
        families["users"].add_metric([], float(overview.users))
        for kind, count in overview.events_by_type.items():
            families["events"].add_metric([kind], float(count))
        for kind, count in overview.events_today.items():
            families["events_today"].add_metric([kind], float(count))
        windows: dict[str, Ratings] = {
            "all": overview.feedback.overall,
            "7d": overview.feedback.last_7_days,
            "30d": overview.feedback.last_30_days,
        }
        for window, ratings in windows.items():
            families["ratings"].add_metric([window], float(ratings.total))
            if ratings.useful_ratio is not None:
                families["useful"].add_metric([window], ratings.useful_ratio)
        failures = ingest.failures
        for source, count in (("items", failures.items), ("jobs", failures.jobs), ("files", failures.files)):
            families["failures"].add_metric([source], float(count))
        families["documents"].add_metric([], float(ingest.documents))
        durations: dict[str, DurationStats] = {"document": ingest.indexing, "job": ingest.jobs}
        for scope, stats in durations.items():
            if stats.avg_sec is not None:
                families["seconds"].add_metric([scope, "avg"], stats.avg_sec)
            if stats.p95_sec is not None:
                families["seconds"].add_metric([scope, "p95"], stats.p95_sec)
        return list(families.values())


def usage_exposition(snapshot: Callable[[], UsageSnapshot]) -> bytes:
    """The usage gauges in Prometheus text format, appended to the app's registry by ``/metrics``.

    A registry of their own per scrape, because the snapshot comes from the container the request
    belongs to; describing the collector reads nothing.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(UsageCollector(snapshot))
    return generate_latest(registry)
