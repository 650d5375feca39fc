"""What every page works with: the process's container and its services (``container.services``).

``luna serve`` builds one container and mounts the dashboards on it (:func:`luna.web.mount.mount_dashboards`),
which stores a :class:`WebContext` here. NiceGUI pages are module-level functions registered once per
process, so the context is process-wide too; per-person state lives in the session, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from luna.container import Container
from luna.container_services import Services
from luna.settings import Settings


@dataclass(frozen=True, eq=False)
class WebContext:
    container: Container
    #: Signs the session cookie and the admin key fingerprints kept in sessions.
    session_secret: str
    #: Each job's own check of its params, as the API has them (the jobs are the container's).
    param_checks: Mapping[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.container.settings

    @property
    def services(self) -> Services:
        """The process's services, the very ones the API uses (one recommender, one advice cache)."""
        return self.container.services


_current: WebContext | None = None


def install(context: WebContext) -> None:
    global _current
    _current = context


def web_context() -> WebContext:
    """The context the dashboards were mounted with (raises before :func:`install`)."""
    if _current is None:
        raise RuntimeError("the dashboards are not mounted: call luna.web.mount.mount_dashboards first")
    return _current
