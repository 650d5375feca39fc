"""One connection and one transaction per unit of work; the service decides when to commit."""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa

from luna.adapters.sql.alerts import SqlAlertRepository
from luna.adapters.sql.chunks import SqlChunkRepository
from luna.adapters.sql.conversations import SqlConversationRepository
from luna.adapters.sql.datasets import SqlDatasetRepository
from luna.adapters.sql.embedding_cache import SqlEmbeddingCacheRepository
from luna.adapters.sql.engine import SQLITE_BEGIN
from luna.adapters.sql.eval_runs import SqlEvalRunRepository
from luna.adapters.sql.events import SqlConsentRepository, SqlEventRepository, SqlFeedbackRepository
from luna.adapters.sql.finetune_adapters import SqlAdapterRepository
from luna.adapters.sql.finetune_reviews import SqlReviewRepository
from luna.adapters.sql.flywheel import SqlKpiRepository, SqlServiceAccountRepository, SqlSessionRepository
from luna.adapters.sql.flywheel_actions import SqlActionRepository
from luna.adapters.sql.help_texts import SqlHelpTextRepository
from luna.adapters.sql.items import SqlItemRepository
from luna.adapters.sql.jobs import SqlJobRepository
from luna.adapters.sql.metrics import SqlMetricsRepository
from luna.adapters.sql.prompt_versions import SqlPromptVersionRepository
from luna.adapters.sql.scores import SqlAuditRepository, SqlScoreRepository
from luna.adapters.sql.sentiment_labels import SqlSentimentLabelRepository
from luna.adapters.sql.user_meters import SqlUserMeterRepository
from luna.adapters.sql.users import SqlUserRepository
from luna.domain.errors import Unavailable
from luna.ports.conversations import ConversationRepository
from luna.ports.datasets import DatasetRepository
from luna.ports.evaluation import EvalRunRepository
from luna.ports.events import ConsentRepository, EventRepository, FeedbackRepository
from luna.ports.finetune import AdapterRepository, ReviewRepository
from luna.ports.flywheel import (
    AlertRepository,
    KpiRepository,
    SentimentLabelRepository,
    ServiceAccountRepository,
    SessionRepository,
)
from luna.ports.flywheel_actions import ActionRepository
from luna.ports.help_texts import HelpTextRepository
from luna.ports.metrics import MetricsRepository
from luna.ports.prompts import PromptVersionRepository
from luna.ports.scores import AuditRepository, ScoreRepository
from luna.ports.sql import (
    ChunkRepository,
    EmbeddingCacheRepository,
    ItemRepository,
    JobRepository,
    UserRepository,
)
from luna.ports.user_meters import UserMeterRepository


class SqlUnitOfWork:
    """Use as ``with db.unit_of_work() as uow: ...; uow.commit()``.

    The repositories share the connection, so everything they do before ``commit`` lands together or not
    at all. ``commit`` may be called several times (a job reporting progress); leaving the ``with`` block
    rolls back whatever came after the last commit, also when an exception escapes.
    """

    def __init__(self, engine: sa.Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._active: sa.Connection | None = None
        self.users: UserRepository = SqlUserRepository(self._connection)
        self.jobs: JobRepository = SqlJobRepository(self._connection)
        self.items: ItemRepository = SqlItemRepository(self._connection)
        self.chunks: ChunkRepository = SqlChunkRepository(self._connection)
        self.embedding_cache: EmbeddingCacheRepository = SqlEmbeddingCacheRepository(self._connection)
        self.events: EventRepository = SqlEventRepository(self._connection)
        self.feedback: FeedbackRepository = SqlFeedbackRepository(self._connection)
        self.consent: ConsentRepository = SqlConsentRepository(self._connection)
        self.scores: ScoreRepository = SqlScoreRepository(self._connection)
        self.audit: AuditRepository = SqlAuditRepository(self._connection)
        self.user_meters: UserMeterRepository = SqlUserMeterRepository(self._connection)
        self.help_texts: HelpTextRepository = SqlHelpTextRepository(self._connection)
        self.metrics: MetricsRepository = SqlMetricsRepository(self._connection)
        self.conversations: ConversationRepository = SqlConversationRepository(self._connection)
        self.eval_runs: EvalRunRepository = SqlEvalRunRepository(self._connection)
        self.service_accounts: ServiceAccountRepository = SqlServiceAccountRepository(self._connection)
        self.sessions: SessionRepository = SqlSessionRepository(self._connection)
        self.kpis: KpiRepository = SqlKpiRepository(self._connection)
        self.alerts: AlertRepository = SqlAlertRepository(self._connection)
        self.actions: ActionRepository = SqlActionRepository(self._connection)
        self.sentiment_labels: SentimentLabelRepository = SqlSentimentLabelRepository(self._connection)
        self.datasets: DatasetRepository = SqlDatasetRepository(self._connection)
        self.finetune_adapters: AdapterRepository = SqlAdapterRepository(self._connection)
        self.finetune_reviews: ReviewRepository = SqlReviewRepository(self._connection)
        self.prompt_versions: PromptVersionRepository = SqlPromptVersionRepository(self._connection)

    def _connection(self) -> sa.Connection:
        if self._active is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._active

    def __enter__(self) -> SqlUnitOfWork:
        if self._active is not None:
            raise RuntimeError("the unit of work is already open")
        try:
            connection = self._engine.connect()
        except sa.exc.OperationalError as error:
            raise Unavailable("the database cannot be reached") from error
        if self._read_only:
            # Readers must not queue behind SQLite's write lock (BEGIN IMMEDIATE) of a long writer.
            connection = connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self._active = connection
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection, self._active = self._active, None
        if connection is not None:
            # Closing rolls back the open transaction before the connection goes back to the pool.
            connection.close()
        if isinstance(exc, sa.exc.DBAPIError) and _lacks_a_table(exc):
            raise Unavailable(
                "the database lacks Luna's tables (new, or older than this version): run `luna db upgrade`"
            ) from exc
        if isinstance(exc, sa.exc.OperationalError):
            # Locked or lost database: the caller may retry, so this is 503, never a 500.
            raise Unavailable("the database is busy or unreachable; try again shortly") from exc

    def commit(self) -> None:
        self._connection().commit()

    def rollback(self) -> None:
        self._connection().rollback()


def _lacks_a_table(error: sa.exc.DBAPIError) -> bool:
    """A query met a table that is not there: a database never migrated, or migrated by an older Luna
    (SQLite: "no such table"; PostgreSQL: SQLSTATE 42P01). "Try again shortly" would never help."""
    return "no such table" in str(error.orig) or getattr(error.orig, "sqlstate", None) == "42P01"
