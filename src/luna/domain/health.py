"""Health of one component (database, vectors, blobs, jobs, models …) as the admin sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class HealthStatus(StrEnum):
    UP = "up"
    DOWN = "down"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """What an adapter reports about itself. ``detail`` is safe to show an operator (no secrets)."""

    name: str
    status: HealthStatus
    backend: str
    latency_ms: float | None = None
    version: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_up(self) -> bool:
        return self.status is HealthStatus.UP
