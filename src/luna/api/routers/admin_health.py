"""``/api/v1/admin/health``: every backend's status for the operator, answered within seconds."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends

from luna.api.deps import get_container
from luna.api.envelope import ok
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.health import ComponentHealthOut, HealthOut
from luna.container import Container
from luna.services.health import HealthService, seed_services

log = structlog.stdlib.get_logger("luna.api")
router = APIRouter(prefix="/health", tags=["admin"])


@router.get(
    "",
    summary="Health of every component",
    description=(
        "Always HTTP 200 for an admin; `data.status` is `degraded` when a component is down "
        "(also when it cannot even be opened, e.g. a vector folder locked by another process)."
    ),
)
def get_health(container: Annotated[Container, Depends(get_container)]) -> Envelope[HealthOut]:
    report = HealthService(container.health_checks()).check()
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
