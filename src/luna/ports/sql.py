"""The relational store: repositories behind a unit of work.

Services open a unit of work, use its repositories and commit; nothing else commits. The same
adapter serves SQLite (embedded) and PostgreSQL (server); repositories return domain objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from luna.domain.health import ComponentHealth
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.jobs import Job, JobStatus
from luna.domain.users import User
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
from luna.ports.user_meters import UserMeterRepository


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...

    def get_or_create(self, user_id: str, external_id: str | None = None) -> User:
        """Return the user, inserting it first when it was never seen."""
        ...

    def count(self) -> int: ...


class JobRepository(Protocol):
    def add(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def list(
        self, *, status: JobStatus | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Job]:
        """Newest first."""
        ...

    def count(self, *, status: JobStatus | None = None, name: str | None = None) -> int: ...

    def update(self, job_id: str, **fields: Any) -> None:
        """Set the given columns of one job (``status``, ``progress``, ``message``, ``heartbeat_at`` …)."""
        ...

    def transition(self, job_id: str, from_status: JobStatus, **fields: Any) -> bool:
        """Set ``fields`` only if the job is still in ``from_status``; False when it was not.

        Atomic compare-and-set, so two workers handed the same job ID cannot both claim it.
        """
        ...

    def stale_running(self, older_than: datetime) -> Sequence[Job]:
        """Jobs marked running whose heartbeat is older than ``older_than`` (their worker died)."""
        ...

    def queued_before(self, created_before: datetime) -> Sequence[Job]:
        """Jobs still queued that were created before ``created_before``, oldest first."""
        ...

    def counts_by_status(self) -> dict[str, int]: ...

    def delete_finished_before(self, cutoff: datetime) -> int:
        """Delete succeeded, failed and cancelled jobs that finished before ``cutoff``; how many."""
        ...

    def serialise_submissions(self) -> None:
        """Hold the job table's submission lock until the transaction ends, so that two transactions that
        each check "none of this job is queued or running" and then insert one run one after the other
        (PostgreSQL; SQLite has one writer at a time anyway)."""
        ...


class ItemRepository(Protocol):
    def add(self, item: Item) -> None:
        """Insert a new item; a taken ``item_id`` or ``sha256`` raises :class:`Conflict`."""
        ...

    def get(self, item_id: str) -> Item | None: ...

    def get_by_sha256(self, sha256: str) -> Item | None:
        """The item with this content hash: how ingestion recognises a file it has seen before."""
        ...

    def list(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        status: ItemStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Item]:
        """Newest first; every word of ``query`` occurs in the title, the URL or the text of one of the
        item's passages (case-insensitively); ``tag`` matches one of the tags."""
        ...

    def count(
        self, *, query: str | None = None, tag: str | None = None, status: ItemStatus | None = None
    ) -> int: ...

    def update(self, item_id: str, **fields: Any) -> None:
        """Set columns of one item (``status``, ``title``, ``tags`` …); ``updated_at`` follows by itself.

        An unknown field raises ValueError, an unknown item :class:`NotFound`.
        """
        ...

    def advance_version(self, item_id: str, from_version: int, **fields: Any) -> bool:
        """Make the item version ``from_version + 1`` with ``fields``, only if it is still at
        ``from_version``; False when another writer advanced it first.

        Atomic compare-and-set: of two new versions made from the same one, one wins and the other is
        refused, instead of both being told they became the next version. The row stays locked until
        the unit of work ends; keep that short (on SQLite every other writer waits): ingest stores the
        version's files before, under names of the upload's own, and the new chunks record them.
        """
        ...

    def delete(self, item_id: str) -> bool:
        """Remove the item and, by cascade, its chunks; False when there was no such item."""
        ...

    def counts_by_status(self) -> dict[str, int]: ...

    def fingerprint(self) -> tuple[int, int, datetime | None]:
        """(indexed items, sum of their versions, newest ``updated_at`` of any item): changes whenever
        the searchable knowledge base does, so a process can tell that its in-memory index is stale."""
        ...


class ChunkRepository(Protocol):
    def add_many(self, chunks: Sequence[ItemChunk]) -> None:
        """Insert chunks; an unknown item raises :class:`NotFound`, a taken ``chunk_id`` :class:`Conflict`."""
        ...

    def list_for_item(self, item_id: str, *, include_archived: bool = False) -> Sequence[ItemChunk]:
        """The item's chunks in ``chunk_idx`` order; archived ones only when asked for."""
        ...

    def get_many(self, chunk_ids: Sequence[str]) -> list[ItemChunk]:
        """The chunks in the order asked (archived ones included); unknown IDs are left out."""
        ...

    def count(self, *, include_archived: bool = False) -> int: ...

    def archive_for_item(self, item_id: str) -> int:
        """Mark the item's current chunks archived (a new version replaces them); return how many."""
        ...

    def delete_for_item(self, item_id: str) -> int:
        """Remove all the item's chunks, archived ones too; return how many."""
        ...

    def all_active(self, batch_size: int = 1000) -> Iterator[list[ItemChunk]]:
        """Every chunk that is not archived, in batches: the lexical index is rebuilt from it at start-up.

        Consume it inside the unit of work that produced it.
        """
        ...


class EmbeddingCacheRepository(Protocol):
    """Passage vectors by model name and the sha256 of the passage text (see migration 0002)."""

    def get_many(self, model: str, text_hashes: Sequence[str]) -> dict[str, list[float]]:
        """The cached vectors among ``text_hashes``, by hash; missing ones are left out."""
        ...

    def put_many(self, model: str, vectors: Mapping[str, Sequence[float]]) -> None:
        """Cache vectors; a hash already cached for the model keeps its vector."""
        ...

    def count(self, model: str | None = None) -> int: ...


class UnitOfWork(Protocol):
    users: UserRepository
    jobs: JobRepository
    items: ItemRepository
    chunks: ChunkRepository
    embedding_cache: EmbeddingCacheRepository
    events: EventRepository
    feedback: FeedbackRepository
    consent: ConsentRepository
    scores: ScoreRepository
    audit: AuditRepository
    user_meters: UserMeterRepository
    help_texts: HelpTextRepository
    metrics: MetricsRepository
    conversations: ConversationRepository
    eval_runs: EvalRunRepository
    service_accounts: ServiceAccountRepository
    sessions: SessionRepository
    kpis: KpiRepository
    alerts: AlertRepository
    actions: ActionRepository
    sentiment_labels: SentimentLabelRepository
    datasets: DatasetRepository
    finetune_adapters: AdapterRepository
    finetune_reviews: ReviewRepository
    prompt_versions: PromptVersionRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Database(Protocol):
    """The SQL store as a whole: units of work, schema migration and health."""

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    @property
    def has_timescaledb(self) -> bool: ...

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A transaction; ``read_only`` ones never wait for a writer's lock (they must not write)."""
        ...

    def upgrade(self) -> str:
        """Migrate the schema to the newest revision; return that revision."""
        ...

    def current_revision(self) -> str | None: ...

    def refresh_events_daily(self) -> None:
        """Recompute ``mv_events_daily`` (a materialized view on PostgreSQL, a table on SQLite)."""
        ...

    def health(self) -> ComponentHealth: ...

    def close(self) -> None: ...
