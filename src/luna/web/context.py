"""What every page works with: the process's container and the services built on it.

``luna serve`` builds one container and mounts the dashboards on it (:func:`luna.web.mount.mount_dashboards`),
which stores a :class:`WebContext` here. NiceGUI pages are module-level functions registered once per
process, so the context is process-wide too; per-person state lives in the session, never here.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from luna.container import Container
from luna.services.answering import AnswerService
from luna.services.energy_advice import EnergyAdviceService
from luna.services.energy_data import EnergyDataService
from luna.services.health import HealthService
from luna.services.help import HelpService
from luna.services.insights import InsightsService
from luna.services.jobs import JobService
from luna.services.metrics import MetricsService
from luna.services.recommend import RecommendConfig, RecommendService
from luna.services.recommend_bandit import StrategyChooser
from luna.services.recommend_profile import ProfileSettings
from luna.settings import Settings


@dataclass(frozen=True, eq=False)
class WebContext:
    container: Container
    #: Signs the session cookie and the admin key fingerprints kept in sessions.
    session_secret: str
    #: Job names operators may start, and each job's own check of its params (as the API has them).
    known_jobs: Collection[str] = ()
    param_checks: Mapping[str, Any] = field(default_factory=dict)
    _recommender: list[RecommendService] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

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
        c = self.container
        models = c.model_names()

        def answers() -> AnswerService:
            return c.knowledge.answers

        return HelpService(
            c.database,
            answers,
            c.settings.help,
            chat_model=models["chat"],
            embedding_model=models["embeddings"],
            wait_sec=c.settings.chat.timeout_sec,
        )

    def energy_advice(self) -> EnergyAdviceService:
        return EnergyAdviceService(self.container.database, self.container.energy, self.insights())

    def recommender(self) -> RecommendService:
        """One per process: the bandit's statistics cache and random state live in it."""
        with self._lock:
            if not self._recommender:
                self._recommender.append(self._build_recommender())
            return self._recommender[0]

    def _build_recommender(self) -> RecommendService:
        c = self.container
        s = c.settings
        return RecommendService(
            c.database,
            c.vectors,
            c.knowledge.collections,
            StrategyChooser(
                c.database,
                enabled=s.recommend.bandit == "thompson",
                seed=s.recommend.bandit_seed,
                consent_default=s.learning.consent_default,
            ),
            self.energy_advice(),
            RecommendConfig(
                top_k=s.recommend.top_k,
                max_top_k=s.recommend.max_top_k,
                mmr_lambda=s.recommend.mmr_lambda,
                freshness_half_life_days=s.recommend.freshness_half_life_days,
                energy_items=s.recommend.energy_items,
                profile=ProfileSettings(
                    profile_events=s.recommend.profile_events,
                    event_weights=dict(s.learning.event_weights),
                    half_life_days=s.learning.half_life_days,
                    consent_default=s.learning.consent_default,
                ),
            ),
        )


_current: WebContext | None = None


def install(context: WebContext) -> None:
    global _current
    _current = context


def web_context() -> WebContext:
    """The context the dashboards were mounted with (raises before :func:`install`)."""
    if _current is None:
        raise RuntimeError("the dashboards are not mounted: call luna.web.mount.mount_dashboards first")
    return _current
