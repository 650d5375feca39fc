"""Every adapter can say how it is doing; the admin health endpoint asks each one."""

from __future__ import annotations

from typing import Protocol

from luna.domain.health import ComponentHealth


class HealthCheck(Protocol):
    def health(self) -> ComponentHealth:
        """Check the backend now (bounded by a short timeout) and report; never raises."""
        ...
