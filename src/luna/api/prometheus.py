"""Prometheus metrics of one app: HTTP traffic by route template, and jobs by status.

Each app gets its own :class:`CollectorRegistry` instead of the process-global one, so several
apps (tests, a worker and a server in one process) never collide over metric names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from luna.domain.jobs import JobStatus

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
