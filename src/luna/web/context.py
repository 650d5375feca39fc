"""What every page works with: the process's container and the services built on it.

``luna serve`` builds one container and mounts the dashboards on it (:func:`luna.web.mount.mount_dashboards`),
which stores a :class:`WebContext` here. NiceGUI pages are module-level functions registered once per
process, so the context is process-wide too; per-person state lives in the session, never here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from luna.container import Container
from luna.services.energy_advice import EnergyAdviceService
from luna.services.energy_data import EnergyDataService
from luna.services.health import HealthService
from luna.services.help import HelpService
from luna.services.insights import InsightsService
from luna.services.jobs import JobService
from luna.services.metrics import MetricsService
from luna.services.recommend import RecommendService
from luna.settings import Settings


@dataclass(frozen=True, eq=False)
class WebContext:
    container: Container
    #: Signs the session cookie and the admin key fingerprints kept in sessions.
    session_secret: str
    #: Job names operators may start, and each job's own check of its params (as the API has them).
    known_jobs: Collection[str] = ()
    param_checks: Mapping[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.container.settings

    def energy_data(self) -> EnergyDataService:
        c = self.container
        return EnergyDataService(c.energy, c.settings.energy, c.settings.sim.markets)

    def insights(self) -> InsightsService:
        c = self.container
        return InsightsService(c.energy, c.settings.energy, c.settings.sim.markets)

    def health(self) -> HealthService:
        return HealthService(self.container.health_checks())

    def jobs(self) -> JobService:
        return JobService(self.container.database, self.container.job_queue, self.known_jobs)

    def metrics(self) -> MetricsService:
        return MetricsService(self.container.database, self.settings.metrics)

    def help(self) -> HelpService:
        return self.container.help_service()

    def energy_advice(self) -> EnergyAdviceService:
        return self.container.energy_advice

    def recommender(self) -> RecommendService:
        return self.container.recommender


_current: WebContext | None = None


def install(context: WebContext) -> None:
    global _current
    _current = context


def web_context() -> WebContext:
    """The context the dashboards were mounted with (raises before :func:`install`)."""
    if _current is None:
        raise RuntimeError("the dashboards are not mounted: call luna.web.mount.mount_dashboards first")
    return _current
