"""The datasets capability as Prometheus gauges, read from SQL at scrape time.

``luna_dataset_runs{pipeline,status}`` counts runs (a rising ``failed`` count is the alert);
``luna_dataset_records``, ``luna_dataset_quality_score``, ``luna_dataset_confidence`` and
``luna_dataset_gates_failed`` describe each dataset's newest version; ``luna_dataset_delivery_failed``
is 1 for a consumer whose last hand-over failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from luna.services.datasets.datasets import DatasetGauges

log = structlog.stdlib.get_logger("luna.api")


class DatasetCollector(Collector):
    def __init__(self, gauges: Callable[[], DatasetGauges]) -> None:
        self._gauges = gauges

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        def gauge(name: str, text: str, labels: list[str]) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, text, labels=labels)

        return {
            "runs": gauge("luna_dataset_runs", "Pipeline runs by status", ["pipeline", "status"]),
            "records": gauge("luna_dataset_records", "Records of the newest version", ["dataset"]),
            "score": gauge(
                "luna_dataset_quality_score", "Quality score 0-100 of the newest version", ["dataset"]
            ),
            "confidence": gauge(
                "luna_dataset_confidence", "Confidence 0-1 of the newest version", ["dataset"]
            ),
            "gates": gauge("luna_dataset_gates_failed", "Gates the newest version failed", ["dataset"]),
            "delivery": gauge(
                "luna_dataset_delivery_failed",
                "1 when the consumer's last hand-over failed",
                ["dataset", "consumer"],
            ),
        }

    def describe(self) -> Iterable[Metric]:
        return list(self._families().values())

    def collect(self) -> Iterable[Metric]:
        try:
            gauges = self._gauges()
        except Exception:
            log.warning("dataset_metrics_unavailable", exc_info=True)
            return []
        families = self._families()
        for (pipeline, status), count in sorted(gauges.runs.items()):
            families["runs"].add_metric([pipeline, status], float(count))
        for version in gauges.newest:
            families["records"].add_metric([version.dataset], float(version.records))
            families["score"].add_metric([version.dataset], float(version.quality.get("score", 0.0)))
            families["confidence"].add_metric(
                [version.dataset], float(version.quality.get("confidence", 0.0))
            )
            families["gates"].add_metric([version.dataset], float(len(version.gate_failures)))
        for delivery in gauges.deliveries:
            failed = 1.0 if delivery.status == "failed" else 0.0
            families["delivery"].add_metric([delivery.dataset, delivery.consumer], failed)
        return list(families.values())


def dataset_exposition(gauges: Callable[[], DatasetGauges]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatasetCollector(gauges))
    return generate_latest(registry)
