"""The flywheel's KPIs as Prometheus gauges: the newest bucket of every KPI, window and scope.

``luna_kpi_value`` and ``luna_kpi_samples`` carry the labels ``kpi``, ``window`` and ``scope``; the
alerting rules in ``deploy/prometheus/luna-alerts.yml`` (generated from ``config/thresholds.yaml``)
read exactly these, so Prometheus and Luna's own alert evaluation judge the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from luna.domain.flywheel.kpi_values import KpiValue

log = structlog.stdlib.get_logger("luna.api")
_LABELS = ["kpi", "window", "scope"]


class KpiCollector(Collector):
    def __init__(self, latest: Callable[[], Sequence[KpiValue]]) -> None:
        self._latest = latest

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("luna_kpi_value", "Flywheel KPI of the newest window bucket", labels=_LABELS),
            GaugeMetricFamily("luna_kpi_samples", "Observations the KPI value rests on", labels=_LABELS),
        )

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        try:
            latest = self._latest()
        except Exception:
            log.warning("kpi_metrics_unavailable", exc_info=True)
            return []
        values, samples = self._families()
        for value in latest:
            labels = [value.kpi.value, value.window.value, value.scope]
            values.add_metric(labels, value.value)
            samples.add_metric(labels, float(value.samples))
        return [values, samples]


def kpi_exposition(latest: Callable[[], Sequence[KpiValue]]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KpiCollector(latest))
    return generate_latest(registry)
