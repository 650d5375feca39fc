"""Ask every component how it is doing, all at once, and answer within a bounded time.

Adapters promise that ``health()`` never raises and has its own short timeout, but the admin page
must stay usable even when one breaks that promise: a check that raises or hangs is reported as
down with the reason, and the others are still shown. Each check runs in its own daemon thread, so
a hung check can neither delay the answer past the deadline nor keep the process from exiting.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import luna
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.health import HealthCheck

DEFAULT_TIMEOUT_SEC = 5.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentHealth]
    versions: dict[str, str] = field(default_factory=dict)


def _run_check(
    name: str, check: HealthCheck, results: queue.SimpleQueue[tuple[str, ComponentHealth]]
) -> None:
    started = time.perf_counter()
    try:
        report = check.health()
    except Exception as error:
        report = ComponentHealth(
            name=name,
            status=HealthStatus.DOWN,
            backend="unknown",
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            detail=f"health check failed: {type(error).__name__}: {error}"[:300],
        )
    results.put((name, report))


def _timed_out(name: str, timeout_sec: float) -> ComponentHealth:
    return ComponentHealth(
        name=name,
        status=HealthStatus.DOWN,
        backend="unknown",
        latency_ms=round(timeout_sec * 1000, 2),
        detail=f"no answer within {timeout_sec:g} s",
    )


class HealthService:
    def __init__(self, checks: Mapping[str, HealthCheck], timeout_sec: float = DEFAULT_TIMEOUT_SEC) -> None:
        self._checks = dict(checks)
        self._timeout_sec = timeout_sec

    def check(self) -> HealthReport:
        """Every component's health; ``degraded`` when any component is down."""
        results: queue.SimpleQueue[tuple[str, ComponentHealth]] = queue.SimpleQueue()
        for name, check in self._checks.items():
            threading.Thread(
                target=_run_check, args=(name, check, results), name=f"health-{name}", daemon=True
            ).start()
        answered: dict[str, ComponentHealth] = {}
        deadline = time.monotonic() + self._timeout_sec
        while len(answered) < len(self._checks):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                name, report = results.get(timeout=remaining)
            except queue.Empty:
                break
            answered[name] = report
        components = {
            name: answered.get(name) or _timed_out(name, self._timeout_sec) for name in self._checks
        }
        down = any(report.status is HealthStatus.DOWN for report in components.values())
        versions = {"luna": luna.__version__}
        versions.update({name: report.version for name, report in components.items() if report.version})
        return HealthReport(status="degraded" if down else "ok", components=components, versions=versions)


#: The seed's service names (seed 001 §1.5) → Luna's components that play the role, and the backend
#: they must run on for it; ``None``: any backend.
_SEED_SERVICES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "db": (("database", None),),
    "qdrant": (("vectors", None),),
    "ollama": (("chat", "ollama"), ("embeddings", "ollama")),
    "tika": (("extract", "tika"),),
    "minio": (("blobs", "s3"),),
}
NOT_USED = "not_used"


def seed_services(report: HealthReport) -> dict[str, str]:
    """``{api, db, qdrant, ollama, tika, minio}`` → up/down/disabled, or ``not_used`` where the embedded
    default plays the role (no Ollama, Tika or MinIO server configured). ``api`` is up: it answers."""
    services = {"api": HealthStatus.UP.value}
    for service, roles in _SEED_SERVICES.items():
        states = [
            report.components[name].status.value
            for name, backend in roles
            if name in report.components and backend in (None, report.components[name].backend)
        ]
        down = HealthStatus.DOWN.value
        services[service] = (down if down in states else states[0]) if states else NOT_USED
    return services
