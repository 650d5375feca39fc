"""Every service of a process, built once on first use from the container's backends.

With :mod:`luna.container` the composition root: no other module constructs a service (checked by
``tests/unit/test_composition_root.py``), so a service's state in memory exists once per process. Services
are imported where they are built: most bring pandas or model clients, which ``luna --help`` needs not."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from luna.container_models import knowledge_locks, proper_name_tagger, refine_model, refine_sentences

if TYPE_CHECKING:
    from luna.container import Container
    from luna.services.datasets.datasets import DatasetService
    from luna.services.energy.energy_advice import EnergyAdviceService
    from luna.services.energy.energy_data import EnergyDataService
    from luna.services.energy.feeds import CsvFeeds
    from luna.services.energy.feeds_mqtt import MqttReadings
    from luna.services.energy.home import HomeService
    from luna.services.energy.insights import InsightsService
    from luna.services.energy.simulation import SimulationService
    from luna.services.energy.simulation_control import SimulationControl
    from luna.services.energy.user_meters import MeterAccess, MeterLinkService
    from luna.services.evaluation.evaluation import EvaluationService
    from luna.services.flywheel.accounts import AccountService
    from luna.services.flywheel.actions import ActionService
    from luna.services.flywheel.alerts import AlertService
    from luna.services.flywheel.cycle import FlywheelCycle
    from luna.services.flywheel.grafana import GrafanaSync
    from luna.services.flywheel.kpis import KpiService
    from luna.services.flywheel.normalise import SessionNormaliser
    from luna.services.flywheel.own_sessions import OwnSessions
    from luna.services.flywheel.progress import ProgressService
    from luna.services.flywheel.sessions import SessionService
    from luna.services.knowledge.conversations import ConversationService
    from luna.services.knowledge.corpus import CorpusService
    from luna.services.knowledge.help import HelpService
    from luna.services.knowledge.knowledge import KnowledgeBase
    from luna.services.knowledge.snapshots import SnapshotService
    from luna.services.learning.events import EventService
    from luna.services.learning.feedback import FeedbackService
    from luna.services.learning.learning import LearningControl, LearningService
    from luna.services.learning.metrics import MetricsService
    from luna.services.learning.privacy import PrivacyService
    from luna.services.learning.recommend import RecommendService
    from luna.services.learning.users import UserService
    from luna.services.operations.health import HealthService
    from luna.services.operations.jobs import JobService, KnownJobs
    from luna.services.operations.logs import LogSummaryService


class Services:
    """The process's services on ``container``; ``known_jobs`` gives the jobs this process may submit
    (called when the job service is first built, so a command that submits none never loads them)."""

    def __init__(self, container: Container, known_jobs: Callable[[], KnownJobs]) -> None:
        self._container = container
        self._known_jobs = known_jobs
        self._lock = threading.RLock()

    # -- knowledge base ------------------------------------------------------------------------------

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        from luna.services.knowledge.knowledge import KnowledgeBase, KnowledgeSettings
        from luna.services.knowledge.retrieval import RetrievalSettings

        c, s = self._container, self._container.settings
        with self._lock:
            return KnowledgeBase(
                database=c.database,
                vectors=c.vectors,
                blobs=c.blobs,
                extractor=c.extractor,
                embedder=c.embedder,
                lexical=c.lexical,
                chat=c.chat,
                fallback_chat=c.fallback_chat,
                gate=c.answer_gate,
                prompts=c.prompts.active,
                names=proper_name_tagger() if s.rag.refuse_unknown_names else None,
                fetcher=c.fetcher,
                refine_embedder=refine_model(s),
                refine_sentences=refine_sentences,
                process_locks=knowledge_locks(s),
                settings=KnowledgeSettings(
                    collection=s.rag.collection,
                    max_upload_bytes=s.api.max_upload_mb * 1024 * 1024,
                    chunk_tokens=s.ingest.chunk_tokens,
                    overlap_tokens=s.ingest.chunk_overlap_tokens,
                    retrieval=RetrievalSettings(
                        candidates=s.rag.candidates,
                        fusion=s.rag.fusion,
                        rrf_k=s.rag.rrf_k,
                        dense_weight=s.rag.dense_weight,
                        lexical_weight=s.rag.lexical_weight,
                        boost_enabled=s.learning.boost_enabled,
                        boost_max=s.learning.boost_max,
                        quality_prior_mean=s.learning.quality_prior_mean,
                    ),
                    min_dense_score=s.dense_score_floor,
                    home_country=s.recommend.country,
                    answer_top_k=s.rag.top_k,
                    refine_weight=s.rag.refine.weight,
                ),
            )

    @cached_property
    def evaluation(self) -> EvaluationService:
        """Golden questions through the real retrieval and answers; runs kept in SQL (old files imported)."""
        from luna.services.evaluation.evaluation import EvaluationService

        c, s, kb = self._container, self._container.settings, self.knowledge
        return EvaluationService(
            c.database,
            kb.retrieval,
            kb.answers,
            s.data_dir / "eval" / "runs",
            lambda: {
                "embedder": c.embedder.model_name,
                "chat": c.chat.model_name,
                "rag": s.rag.model_dump(exclude={"ask_per_minute", "search_per_minute"}),
                "refine": kb.refine.setup() if kb.refine is not None else None,
            },
        )

    # -- data flywheel ------------------------------------------------------------------------------

    @cached_property
    def accounts(self) -> AccountService:
        """Service accounts: machine keys with scopes (webhook senders, KPI readers)."""
        from luna.services.flywheel.accounts import AccountService

        return AccountService(self._container.database)

    @cached_property
    def sessions(self) -> SessionService:
        """Conversation sessions for the flywheel, pseudonymised and redacted before storage."""
        from luna.services.flywheel.sessions import SessionService

        s = self._container.settings.flywheel
        key = None if s.pseudonym_key is None else s.pseudonym_key.get_secret_value().encode("utf-8")
        return SessionService(self._container.database, pseudonym_key=key, key_id=s.pseudonym_key_id)

    @cached_property
    def own_sessions(self) -> OwnSessions:
        """Luna's own conversations turned into flywheel sessions (the hourly flywheel job)."""
        from luna.services.flywheel.own_sessions import OwnSessions

        c = self._container
        return OwnSessions(c.database, self.sessions, consent_default=c.settings.learning.consent_default)

    @cached_property
    def datasets(self) -> DatasetService:
        """Pipelines (``config/pipelines``, the operator's folder) into versioned datasets."""
        from luna.services.datasets.consumers import Targets
        from luna.services.datasets.datasets import DatasetService, DatasetServiceSettings
        from luna.settings.loader import default_config_dir

        c, s = self._container, self._container.settings
        config = DatasetServiceSettings.of(s.datasets, default_config_dir(), s.data_dir, s.learning)
        targets = Targets(c.energy, c.blobs, c.webhook_sender, lambda: self)
        return DatasetService(c.database, targets, c.fetcher, lambda: c.meaning_embedder, config)

    @cached_property
    def alerts(self) -> AlertService:
        """KPI thresholds (``flywheel.thresholds_file``) judged into alerts, sent to the receiver."""
        from luna.services.flywheel.alerts import AlertService

        c = self._container
        flywheel, api = c.settings.flywheel, c.settings.api
        return AlertService(
            c.database,
            flywheel.thresholds_file,
            c.alert_notifier,
            payload_format=flywheel.alert_webhook_format,
            external_url=f"http://{api.host}:{api.port}/admin/flywheel",
        )

    @cached_property
    def flywheel(self) -> FlywheelCycle:
        """The hourly cycle: own sessions in, KPIs computed, thresholds judged."""
        from luna.services.flywheel.cycle import FlywheelCycle

        c = self._container
        parts = (self.own_sessions, self.normaliser, self.kpis, self.alerts, self.actions)
        own = c.settings.flywheel.own_sessions
        return FlywheelCycle(*parts, collect_own=own, on_alerts=c.finetune.kpi_fallback)

    @cached_property
    def progress(self) -> ProgressService:
        """The flywheel's progress report, summary and consent log (``luna progress``)."""
        from luna.services.flywheel.progress import ProgressService

        return ProgressService(self._container.database, self.alerts, self.actions, self._container.blobs)

    @cached_property
    def actions(self) -> ActionService:
        """Action tickets opened by alerts; safe ones start their job, new ones go to the tracker."""
        from luna.domain.flywheel.actions import ActionKind
        from luna.services.flywheel.actions import ActionService

        c, sets = self._container, [str(path) for path in self._container.settings.evaluation_sets]
        checks = {ActionKind.FINETUNE_RUN: lambda: c.finetune.service.check_startable()}
        return ActionService(c.database, self.jobs, c.tracker_notifier, evaluation_sets=sets, checks=checks)

    @cached_property
    def normaliser(self) -> SessionNormaliser:
        """Session questions into the vector store, topics and knowledge gaps (needs the vector folder)."""
        from luna.services.flywheel.normalise import SessionNormaliser

        c = self._container
        gap_score = c.settings.dense_score_floor
        return SessionNormaliser(
            c.database, c.vectors, c.embedder, self.knowledge.retrieval, c.blobs, gap_score=gap_score
        )

    @cached_property
    def grafana(self) -> GrafanaSync:
        """The dashboards of ``deploy/grafana/dashboards``, pushed to ``flywheel.grafana_url``."""
        from luna.services.flywheel.grafana import GrafanaSync, default_dashboards_dir

        c = self._container
        folder = c.settings.flywheel.grafana_folder
        return GrafanaSync(c.dashboard_publisher, folder=folder, dashboards_dir=default_dashboards_dir())

    @cached_property
    def kpis(self) -> KpiService:
        from luna.services.flywheel.kpis import KpiService
        from luna.services.flywheel.sentiment import SentimentJudge

        c, s = self._container, self._container.settings.flywheel
        generative = s.sentiment == "chat" and c.settings.chat.kind != "extractive"
        judge = SentimentJudge(c.database, c.chat if generative else None, max_calls=s.sentiment_model_calls)
        return KpiService(c.database, c.blobs, judge=judge)

    @cached_property
    def conversations(self) -> ConversationService:
        """Luna's answers as stored dialogues of a user (API, dashboard)."""
        from luna.services.knowledge.conversations import ConversationService

        return ConversationService(self._container.database, self.knowledge.answers)

    @cached_property
    def corpus(self) -> CorpusService:
        from luna.services.knowledge.corpus import CorpusService

        return CorpusService(self._container.database, self.knowledge)

    @cached_property
    def snapshots(self) -> SnapshotService:
        from luna.adapters.sql.knowledge_rows import SqlKnowledgeRows
        from luna.services.flywheel.normalise import COLLECTION as SESSIONS  # kept: sessions are not restored
        from luna.services.knowledge.snapshots import SnapshotService

        c, kb = self._container, self.knowledge
        backends = (c.database, c.vectors, c.blobs, c.sql_backup, SqlKnowledgeRows.of(c.database))
        return SnapshotService(
            *backends, c.settings.snapshots_path, kb.lexical.invalidate, kb.ingest.gate, {SESSIONS}
        )

    @cached_property
    def help(self) -> HelpService:
        """Route help; its cache and per-route locks live with the database."""
        from luna.services.knowledge.help import HelpService

        c = self._container
        models = c.model_names()
        return HelpService(
            c.database,
            lambda: self.knowledge.answers,
            c.settings.help,
            chat_model=models["chat"],
            embedding_model=models["embeddings"],
            wait_sec=c.settings.chat.timeout_sec,
        )

    # -- jobs and operations -------------------------------------------------------------------------

    @cached_property
    def jobs(self) -> JobService:
        from luna.services.operations.jobs import JobService

        return JobService(self._container.database, self._container.job_queue, self._known_jobs())

    @cached_property
    def health(self) -> HealthService:
        from luna.services.operations.health import HealthService

        return HealthService(self._container.health_checks())

    @cached_property
    def metrics(self) -> MetricsService:
        from luna.services.learning.metrics import MetricsService

        return MetricsService(self._container.database, self._container.settings.metrics)

    @cached_property
    def log_summary(self) -> LogSummaryService:
        """Summaries of this process's buffer of recent warnings and errors."""
        from luna.logging_setup import recent_problems
        from luna.services.operations.logs import LogSummaryService

        return LogSummaryService(recent_problems())

    # -- smart-meter data and simulation -------------------------------------------------------------

    @cached_property
    def energy_data(self) -> EnergyDataService:
        from luna.services.energy.energy_data import EnergyDataService

        s = self._container.settings
        return EnergyDataService(self._container.energy, s.energy, s.sim.markets)

    @cached_property
    def insights(self) -> InsightsService:
        from luna.services.energy.insights import InsightsService

        s = self._container.settings
        return InsightsService(self._container.energy, s.energy, s.sim.markets)

    @cached_property
    def energy_advice(self) -> EnergyAdviceService:
        """Shared by /recommend, Luna's answers and dashboards: a meter's advice, kept till new readings."""
        from luna.services.energy.energy_advice import EnergyAdviceService

        with self._lock:
            return EnergyAdviceService(self._container.database, self._container.energy, self.insights)

    @cached_property
    def home(self) -> HomeService:
        """The customer's home view: today, this month, the price now and next, the best advice."""
        from luna.services.energy.home import HomeService

        return HomeService(self.meter_access, self.insights, self.energy_advice)

    @cached_property
    def meter_access(self) -> MeterAccess:
        """Operators read every meter, customers their linked ones: the API and dashboards ask this."""
        from luna.services.energy.user_meters import MeterAccess

        return MeterAccess(self._container.database, self._container.energy)

    @cached_property
    def meter_links(self) -> MeterLinkService:
        from luna.services.energy.user_meters import MeterLinkService

        return MeterLinkService(self._container.database, self._container.energy, self._container.claim_codes)

    @cached_property
    def simulation(self) -> SimulationService:
        from luna.services.energy.simulation import SimulationService

        return SimulationService(self._container.energy, self._container.settings.sim)

    @cached_property
    def simulation_control(self) -> SimulationControl:
        from luna.services.energy.simulation_control import SimulationControl

        return SimulationControl(self.jobs, self._container.energy, self.simulation)

    @cached_property
    def csv_feeds(self) -> CsvFeeds:
        from luna.services.energy.feeds import CsvFeeds, CsvFeedSettings

        c, s = self._container, self._container.settings.feeds
        return CsvFeeds(
            c.energy,
            c.blobs,
            CsvFeedSettings(prefix=s.csv_prefix, max_bytes=s.csv_max_mb * 1024 * 1024, rules=c.reading_rules),
        )

    @cached_property
    def mqtt_readings(self) -> MqttReadings:
        """What the MQTT subscriber hands its batches to (raises for a topic without one '+' level)."""
        from luna.services.energy.feeds_mqtt import MqttReadings

        c = self._container
        return MqttReadings(c.energy, c.reading_rules, c.settings.feeds.mqtt_topic)

    # -- users, events and learning ------------------------------------------------------------------

    @cached_property
    def users(self) -> UserService:
        from luna.services.learning.users import UserService

        return UserService(self._container.database)

    @cached_property
    def privacy(self) -> PrivacyService:
        from luna.services.learning.privacy import PrivacyService

        c = self._container
        return PrivacyService(
            c.database,
            consent_default=c.settings.learning.consent_default,
            session_ref=self.sessions.user_ref if c.settings.flywheel.pseudonym_key is not None else None,
            vectors=lambda: c.vectors,
        )

    @cached_property
    def events(self) -> EventService:
        from luna.services.learning.events import EventService

        return EventService(self._container.database)

    @cached_property
    def feedback(self) -> FeedbackService:
        from luna.services.learning.feedback import FeedbackService

        return FeedbackService(self._container.database)

    @cached_property
    def learning(self) -> LearningService:
        """The learning run (``settings.learning``); needs only the database, not the vector folder."""
        from luna.domain.learning.scoring import LearningParams
        from luna.services.learning.learning import LearningService

        s = self._container.settings.learning
        params = LearningParams(
            half_life_days=s.half_life_days,
            event_weights=dict(s.event_weights),
            prior_mean=s.quality_prior_mean,
            prior_weight=s.quality_prior_weight,
            consent_default=s.consent_default,
        )
        return LearningService(self._container.database, params)

    @cached_property
    def learning_control(self) -> LearningControl:
        from luna.services.learning.learning import LearningControl

        return LearningControl(self.jobs, self.learning)

    @cached_property
    def recommender(self) -> RecommendService:
        """Shared by the API and the dashboards: the bandit's statistics cache and random state live in it."""
        from luna.services.learning.recommend import RecommendService

        c = self._container
        s = c.settings
        advice = self.energy_advice
        with self._lock:
            return RecommendService.from_settings(
                c.database, c.vectors, self.knowledge.collections, advice, s.recommend, s.learning
            )
