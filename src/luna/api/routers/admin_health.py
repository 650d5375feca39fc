"""``/api/v1/admin/health``: every backend's status for the operator, answered within seconds."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.health import ComponentHealthOut, HealthOut
from luna.services.operations.health import HealthService, seed_services

log = structlog.stdlib.get_logger("luna.api")
router = APIRouter(prefix="/health", tags=["admin"])

Health = Annotated[HealthService, from_services(lambda s: s.health)]


@router.get(
    "",
    summary="Health of every component",
    description=(
        "Always HTTP 200 for an admin; `data.status` is `degraded` when a component is down "
        "(also when it cannot even be opened, e.g. a vector folder locked by another process)."
    ),
)
def get_health(health: Health) -> Envelope[HealthOut]:
    report = health.check()
    components = {
        name: ComponentHealthOut(
            status=health.status.value,
            backend=health.backend,
            latency_ms=health.latency_ms,
            version=health.version,
            detail=health.detail,
            extra=health.extra,
        )
        for name, health in report.components.items()
    }
    message = "All components are up." if report.status == "ok" else "Some components are down."
    out = HealthOut(
        status=report.status, services=seed_services(report), components=components, versions=report.versions
    )
    return ok(out, message)
