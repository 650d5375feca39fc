"""Where Luna's dashboards are published for operators who watch it in their own Grafana."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from luna.domain.flywheel.dashboards import PublishedDashboard


class DashboardPublisher(Protocol):
    """A dashboard server's API; every failure raises a ``LunaError`` that says what to fix."""

    def folder(self, title: str) -> str:
        """The UID of the folder titled ``title``, created when there is none."""
        ...

    def publish(self, dashboard: Mapping[str, Any], *, folder_uid: str, message: str) -> PublishedDashboard:
        """Store ``dashboard`` in the folder, replacing the one of its UID; ``message`` joins its history."""
        ...

    def close(self) -> None: ...
