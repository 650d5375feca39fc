"""``/api/v1/metrics``: usage counts for the dashboards' insight panels, ingest figures for monitoring.

The overview is for customers and operators alike (:func:`~luna.api.callers.current_caller`); the
ingest figures belong to the admin dashboard's monitoring (seed 001 §5.2) and need the admin key.
The same figures are exported for Prometheus on ``/metrics``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.auth import require_admin
from luna.api.callers import current_caller
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.metrics import IngestOut, OverviewOut
from luna.services.learning.metrics import MetricsService

router = APIRouter(prefix="/metrics", tags=["metrics"])


Metrics = Annotated[MetricsService, from_services(lambda s: s.metrics)]


@router.get(
    "/overview",
    summary="Counts of items, chunks, users and events per day; usefulness of Luna's answers",
    description="Items by status, searchable and archived chunks, users, events per UTC day and type for "
    "the last `metrics.days` days (from `mv_events_daily`, refreshed first when it is older than "
    "`metrics.events_daily_max_age_sec`), events today, all events by type, the share of rated answers "
    "marked useful (overall, last 7 and 30 days; null without ratings) and a short system status. "
    "Customers (Bearer JWT) and operators (X-Admin-Key) may read it.",
    dependencies=[Depends(current_caller)],
    responses={
        401: error_response("No valid credentials"),
        403: error_response("The X-Admin-Key is wrong"),
        503: error_response("The database is busy or unreachable"),
    },
)
def overview(service: Metrics) -> Envelope[OverviewOut]:
    out = OverviewOut.from_overview(service.overview())
    return ok(out, f"{out.items} items, {out.chunks} chunks, {out.events_today} events today.")


@router.get(
    "/ingest",
    summary="Documents, chunks and failures per day; ingest times (admin)",
    description="For the last `metrics.days` UTC days: documents (items) and chunks written per day, "
    "failures per day (failed items, failed ingest jobs, files that ingest jobs reported failed), items "
    "by status, and ingest times: per document from the pending item to indexed, and per ingest job "
    "(mean and 95th percentile). Needs the X-Admin-Key.",
    dependencies=[Depends(require_admin)],
    responses={
        401: error_response("The X-Admin-Key header is missing"),
        403: error_response("The X-Admin-Key is wrong, or admin access is not configured"),
        503: error_response("The database is busy or unreachable"),
    },
)
def ingest(service: Metrics) -> Envelope[IngestOut]:
    out = IngestOut.from_metrics(service.ingest())
    return ok(
        out,
        f"{out.documents} documents, {out.chunks} chunks, {out.failures.total} failures "
        f"in the last {out.days} days.",
    )
