"""``GET /metrics``: Prometheus text format, at the root path where scrapers look by default.

Operators only (the admin key, also as a bearer token): the gauges count users, items and failures.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from luna.api.auth import require_scraper
from luna.api.deps import from_services
from luna.api.prometheus import HttpMetrics, usage_exposition
from luna.api.prometheus_datasets import dataset_exposition
from luna.api.prometheus_kpis import kpi_exposition
from luna.services.datasets.datasets import DatasetService
from luna.services.flywheel.kpis import KpiService
from luna.services.learning.metrics import MetricsService

router = APIRouter(tags=["system"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="HTTP requests and durations by route template, jobs by status, and usage gauges "
    "(`luna_items`, `luna_chunks`, `luna_users`, `luna_events`, `luna_events_today`, "
    "`luna_feedback_useful_ratio`, `luna_ingest_failures`, `luna_ingest_seconds` …) and the flywheel's "
    "KPIs (`luna_kpi_value`, `luna_kpi_samples`) and the datasets (`luna_dataset_runs`, "
    "`luna_dataset_quality_score`, `luna_dataset_delivery_failed` …), read at scrape time.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
    dependencies=[Depends(require_scraper)],
)
def get_metrics(
    request: Request,
    usage: Annotated[MetricsService, from_services(lambda s: s.metrics)],
    kpis: Annotated[KpiService, from_services(lambda s: s.kpis)],
    datasets: Annotated[DatasetService, from_services(lambda s: s.datasets)],
) -> Response:
    metrics: HttpMetrics = request.app.state.http_metrics
    body = (
        generate_latest(metrics.registry)
        + usage_exposition(usage.snapshot)
        + kpi_exposition(kpis.latest)
        + dataset_exposition(datasets.gauges)
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
