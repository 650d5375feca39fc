"""In-memory stand-ins for the ports, for unit tests of services.

They keep the promises of the real adapters that services rely on: a unit of work sees its own
writes, publishes them only on ``commit`` and drops them otherwise; the queue keeps job IDs in
FIFO order until a worker takes them.
"""

from __future__ import annotations

import copy
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar

from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.health import ComponentHealth, HealthStatus
from luna.domain.items import Item, ItemChunk, ItemStatus
from luna.domain.jobs import Job, JobStatus
from luna.domain.users import User, placeholder_refusal
from luna.ports.jobs import JobHandler
from luna.ports.sql import (
    ChunkRepository,
    EmbeddingCacheRepository,
    ItemRepository,
    JobRepository,
    UserRepository,
)


class FakeUserRepository:
    def __init__(self, users: dict[str, User]) -> None:
        self._users = users

    def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def get_or_create(self, user_id: str, external_id: str | None = None) -> User:
        if user_id not in self._users and (refusal := placeholder_refusal(user_id)) is not None:
            raise InvalidInput(refusal, details={"field": "user_id"})
        if user_id not in self._users:
            self._users[user_id] = User(user_id, external_id, datetime.now(UTC))
        return self._users[user_id]

    def count(self) -> int:
        return len(self._users)


class FakeJobRepository:
    def __init__(self, jobs: dict[str, Job]) -> None:
        self._jobs = jobs

    def add(self, job: Job) -> None:
        if job.job_id in self._jobs:
            raise Conflict(f"job {job.job_id} already exists")
        self._jobs[job.job_id] = replace(job)

    def serialise_submissions(self) -> None:
        """The fake serves single-threaded unit tests: nothing to serialise."""

    def get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return replace(job) if job is not None else None

    def _matching(self, status: JobStatus | None, name: str | None) -> list[Job]:
        return [
            job
            for job in self._jobs.values()
            if (status is None or job.status is status) and (name is None or job.name == name)
        ]

    def list(
        self, *, status: JobStatus | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> Sequence[Job]:
        oldest = datetime.min.replace(tzinfo=UTC)
        newest_first = sorted(
            self._matching(status, name), key=lambda j: (j.created_at or oldest, j.job_id), reverse=True
        )
        return [replace(job) for job in newest_first[offset : offset + limit]]

    def count(self, *, status: JobStatus | None = None, name: str | None = None) -> int:
        return len(self._matching(status, name))

    def update(self, job_id: str, **fields: Any) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"No job with id {job_id!r}.")
        for key, value in fields.items():
            if not hasattr(job, key):
                raise ValueError(f"jobs has no column {key!r}")
            setattr(job, key, JobStatus(value) if key == "status" else value)

    def transition(self, job_id: str, from_status: JobStatus, **fields: Any) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.status is not from_status:
            return False
        self.update(job_id, **fields)
        return True

    def stale_running(self, older_than: datetime) -> Sequence[Job]:
        """Like the SQL adapter: silent since before ``older_than`` (heartbeat, else start, else creation)."""

        def last_sign_of_life(job: Job) -> datetime:
            return job.heartbeat_at or job.started_at or job.created_at or older_than

        running = self._matching(JobStatus.RUNNING, None)
        silent = sorted((j for j in running if last_sign_of_life(j) < older_than), key=last_sign_of_life)
        return [replace(job) for job in silent]

    def delete_finished_before(self, cutoff: datetime) -> int:
        old = [
            job.job_id
            for job in self._jobs.values()
            if job.status.is_finished and job.finished_at is not None and job.finished_at < cutoff
        ]
        for job_id in old:
            del self._jobs[job_id]
        return len(old)

    def queued_before(self, created_before: datetime) -> Sequence[Job]:
        def created(job: Job) -> datetime:
            return job.created_at or created_before

        queued = self._matching(JobStatus.QUEUED, None)
        waiting = sorted(
            (j for j in queued if created(j) < created_before), key=lambda j: (created(j), j.job_id)
        )
        return [replace(job) for job in waiting]

    def counts_by_status(self) -> dict[str, int]:
        counts = {status.value: 0 for status in JobStatus}
        for job in self._jobs.values():
            counts[job.status.value] = counts.get(job.status.value, 0) + 1
        return counts


def _require_uuid(value: str, field: str) -> str:
    """Like the SQL adapter: a new row with a garbage key is the caller's mistake."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a UUID, got {value!r}") from None


_ITEM_FIELDS = frozenset(Item.__dataclass_fields__) - {"item_id"}


class FakeItemRepository:
    """Deleting an item also deletes its chunks, like the foreign key's ON DELETE CASCADE."""

    def __init__(self, items: dict[str, Item], chunks: dict[str, ItemChunk]) -> None:
        self._items = items
        self._chunks = chunks

    def add(self, item: Item) -> None:
        key = _require_uuid(item.item_id, "item_id")
        if key in self._items or (item.sha256 is not None and self.get_by_sha256(item.sha256) is not None):
            raise Conflict(f"item {item.item_id!r} or its sha256 {item.sha256!r} already exists")
        created_at = item.created_at or datetime.now(UTC)
        self._items[key] = replace(
            item,
            item_id=key,
            tags=list(item.tags),
            status=ItemStatus(item.status),
            created_at=created_at,
            updated_at=item.updated_at or created_at,
        )

    def get(self, item_id: str) -> Item | None:
        item = self._items.get(item_id)
        return copy.deepcopy(item) if item is not None else None

    def get_by_sha256(self, sha256: str) -> Item | None:
        found = next((item for item in self._items.values() if item.sha256 == sha256), None)
        return copy.deepcopy(found) if found is not None else None

    def _matching(self, query: str | None, tag: str | None, status: ItemStatus | None) -> list[Item]:
        words = [word.casefold() for word in (query or "").split()[:8]]

        def mentions(item: Item, word: str) -> bool:
            passages = (c.text for c in self._chunks.values() if c.item_id == item.item_id)
            return any(word in (text or "").casefold() for text in (item.title, item.url, *passages))

        def matches(item: Item) -> bool:
            if not all(mentions(item, word) for word in words):
                return False
            if tag is not None and tag not in item.tags:
                return False
            return status is None or item.status is ItemStatus(status)

        return [item for item in self._items.values() if matches(item)]

    def list(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        status: ItemStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Item]:
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        oldest = datetime.min.replace(tzinfo=UTC)
        newest_first = sorted(
            self._matching(query, tag, status),
            key=lambda i: (i.created_at or oldest, uuid.UUID(i.item_id)),
            reverse=True,
        )
        return [copy.deepcopy(item) for item in newest_first[offset : offset + limit]]

    def count(
        self, *, query: str | None = None, tag: str | None = None, status: ItemStatus | None = None
    ) -> int:
        return len(self._matching(query, tag, status))

    def update(self, item_id: str, **fields: Any) -> None:
        unknown = set(fields) - _ITEM_FIELDS
        if unknown:
            raise ValueError(f"unknown item fields {sorted(unknown)}")
        item = self._items.get(item_id)
        if item is None:
            raise NotFound(f"No item with id {item_id!r}.")
        sha256 = fields.get("sha256")
        if sha256 is not None:
            holder = self.get_by_sha256(sha256)
            if holder is not None and holder.item_id != item_id:
                raise Conflict(f"sha256 {sha256!r} already belongs to item {holder.item_id}")
        fields.setdefault("updated_at", datetime.now(UTC))
        for key, value in fields.items():
            if key == "status":
                value = ItemStatus(value)
            elif key == "tags":
                value = list(value or [])
            setattr(item, key, value)

    def advance_version(self, item_id: str, from_version: int, **fields: Any) -> bool:
        item = self._items.get(item_id)
        if item is None:
            raise NotFound(f"No item with id {item_id!r}.")
        if item.version != from_version:
            return False
        self.update(item_id, **fields, version=from_version + 1)
        return True

    def delete(self, item_id: str) -> bool:
        if self._items.pop(item_id, None) is None:
            return False
        for chunk_id in [c.chunk_id for c in self._chunks.values() if c.item_id == item_id]:
            del self._chunks[chunk_id]
        return True

    def counts_by_status(self) -> dict[str, int]:
        counts = {status.value: 0 for status in ItemStatus}
        for item in self._items.values():
            counts[item.status.value] += 1
        return counts

    def fingerprint(self) -> tuple[int, int, datetime | None]:
        indexed = [item for item in self._items.values() if item.status == ItemStatus.INDEXED]
        moments = [item.updated_at for item in self._items.values() if item.updated_at is not None]
        return len(indexed), sum(item.version for item in indexed), max(moments, default=None)


class FakeChunkRepository:
    def __init__(self, items: dict[str, Item], chunks: dict[str, ItemChunk]) -> None:
        self._items = items
        self._chunks = chunks

    def add_many(self, chunks: Sequence[ItemChunk]) -> None:
        keys = [_require_uuid(chunk.chunk_id, "chunk_id") for chunk in chunks]
        item_keys = [_require_uuid(chunk.item_id, "item_id") for chunk in chunks]
        missing = sorted(set(item_keys) - set(self._items))
        if missing:
            raise NotFound(f"No items with ids {missing}.")
        if len(set(keys)) != len(keys) or any(key in self._chunks for key in keys):
            raise Conflict("a chunk_id is taken")
        now = datetime.now(UTC)
        for chunk, key, item_key in zip(chunks, keys, item_keys, strict=True):
            self._chunks[key] = replace(
                chunk,
                chunk_id=key,
                item_id=item_key,
                metadata=copy.deepcopy(chunk.metadata),
                created_at=chunk.created_at or now,
            )

    def list_for_item(self, item_id: str, *, include_archived: bool = False) -> Sequence[ItemChunk]:
        found = [
            c for c in self._chunks.values() if c.item_id == item_id and (include_archived or not c.archived)
        ]
        return [copy.deepcopy(c) for c in sorted(found, key=lambda c: (c.chunk_idx, uuid.UUID(c.chunk_id)))]

    def get_many(self, chunk_ids: Sequence[str]) -> list[ItemChunk]:
        asked = dict.fromkeys(chunk_ids)
        return [copy.deepcopy(self._chunks[key]) for key in asked if key in self._chunks]

    def count(self, *, include_archived: bool = False) -> int:
        return sum(1 for c in self._chunks.values() if include_archived or not c.archived)

    def archive_for_item(self, item_id: str) -> int:
        current = [c for c in self._chunks.values() if c.item_id == item_id and not c.archived]
        for chunk in current:
            chunk.metadata["archived"] = True
        return len(current)

    def delete_for_item(self, item_id: str) -> int:
        doomed = [c.chunk_id for c in self._chunks.values() if c.item_id == item_id]
        for chunk_id in doomed:
            del self._chunks[chunk_id]
        return len(doomed)

    def all_active(self, batch_size: int = 1000) -> Iterator[list[ItemChunk]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        active = sorted(
            (c for c in self._chunks.values() if not c.archived), key=lambda c: uuid.UUID(c.chunk_id)
        )
        for start in range(0, len(active), batch_size):
            yield [copy.deepcopy(c) for c in active[start : start + batch_size]]


class FakeEmbeddingCacheRepository:
    def __init__(self, vectors: dict[tuple[str, str], list[float]]) -> None:
        self._vectors = vectors

    def get_many(self, model: str, text_hashes: Sequence[str]) -> dict[str, list[float]]:
        return {h: list(self._vectors[(model, h)]) for h in text_hashes if (model, h) in self._vectors}

    def put_many(self, model: str, vectors: Mapping[str, Sequence[float]]) -> None:
        for text_hash, vector in vectors.items():
            self._vectors.setdefault((model, text_hash), [float(x) for x in vector])

    def count(self, model: str | None = None) -> int:
        return sum(1 for key in self._vectors if model is None or key[0] == model)


class FakeUnitOfWork:
    """Works on a private copy of the committed state; ``commit`` publishes it."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._users: dict[str, User] = {}
        self._jobs: dict[str, Job] = {}
        self._items: dict[str, Item] = {}
        self._chunks: dict[str, ItemChunk] = {}
        self._embeddings: dict[tuple[str, str], list[float]] = {}
        self.users: UserRepository = FakeUserRepository(self._users)
        self.jobs: JobRepository = FakeJobRepository(self._jobs)
        self.items: ItemRepository = FakeItemRepository(self._items, self._chunks)
        self.chunks: ChunkRepository = FakeChunkRepository(self._items, self._chunks)
        self.embedding_cache: EmbeddingCacheRepository = FakeEmbeddingCacheRepository(self._embeddings)

    def __enter__(self) -> FakeUnitOfWork:
        self.rollback()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self._database.users = copy.deepcopy(self._users)
        self._database.jobs = copy.deepcopy(self._jobs)
        self._database.items = copy.deepcopy(self._items)
        self._database.chunks = copy.deepcopy(self._chunks)
        self._database.embeddings = copy.deepcopy(self._embeddings)
        self._database.commits += 1

    def rollback(self) -> None:
        self._users.clear()
        self._users.update(copy.deepcopy(self._database.users))
        self._jobs.clear()
        self._jobs.update(copy.deepcopy(self._database.jobs))
        self._items.clear()
        self._items.update(copy.deepcopy(self._database.items))
        self._chunks.clear()
        self._chunks.update(copy.deepcopy(self._database.chunks))
        self._embeddings.clear()
        self._embeddings.update(copy.deepcopy(self._database.embeddings))


class FakeDatabase:
    """The committed state (``users``, ``jobs``, ``items``, ``chunks``); tests may read it directly."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.jobs: dict[str, Job] = {}
        self.items: dict[str, Item] = {}
        self.chunks: dict[str, ItemChunk] = {}
        self.embeddings: dict[tuple[str, str], list[float]] = {}
        self.commits = 0
        self.events_daily_refreshes = 0

    @property
    def dialect(self) -> str:
        return "fake"

    @property
    def has_timescaledb(self) -> bool:
        return False

    def unit_of_work(self, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def upgrade(self) -> str:
        return "fake-head"

    def current_revision(self) -> str | None:
        return "fake-head"

    def refresh_events_daily(self) -> None:
        self.events_daily_refreshes += 1

    def health(self) -> ComponentHealth:
        return ComponentHealth(name="database", status=HealthStatus.UP, backend="fake")

    def close(self) -> None:
        return None


class FakeJobQueue:
    """A FIFO of job IDs. ``fail_with`` makes ``enqueue`` raise, like an unreachable broker.

    Workers do not run threads: :meth:`drain` hands every queued ID to the handler of
    :meth:`start_workers` (or :meth:`run_worker`) in the calling thread.
    """

    def __init__(self) -> None:
        self.queued: deque[str] = deque()
        self.enqueued: list[str] = []
        self.fail_with: Exception | None = None
        self.handler: JobHandler | None = None

    @property
    def backend(self) -> str:
        return "fake"

    def enqueue(self, job_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.queued.append(job_id)
        self.enqueued.append(job_id)

    def pending(self) -> int:
        return len(self.queued)

    def start_workers(self, handler: JobHandler, workers: int) -> None:
        self.handler = handler

    def stop_workers(self) -> None:
        self.handler = None

    def run_worker(self, handler: JobHandler, workers: int) -> None:
        self.handler = handler
        self.drain()

    def drain(self) -> int:
        """Execute queued IDs until the queue is empty; returns how many ran."""
        if self.handler is None:
            raise RuntimeError("no worker started")
        ran = 0
        while self.queued:
            self.handler(self.queued.popleft())
            ran += 1
        return ran

    def health(self) -> ComponentHealth:
        return ComponentHealth(
            name="jobs", status=HealthStatus.UP, backend="fake", extra={"pending": self.pending()}
        )


class AllAlikeEmbedder:
    """A stand-in embedding model that finds every sentence as near to the question as any other, so the
    extractive answerer's choice rests on its other rules."""

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


class RunningServerStandIn:
    """A running `luna serve` as the CLI's ``ServerClient`` sees it: it takes each job posted to
    ``admin/jobs`` and reports it finished with ``result(params)``. A subclass sets ``result``; every
    instance of it records what was posted in ``posted`` (cleared by the test)."""

    posted: ClassVar[list[dict[str, Any]]]

    def __init__(self, *_: Any, **__: Any) -> None:
        self.base_url = "http://127.0.0.1:1/api/v1"

    def result(self, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def is_running(self) -> bool:
        return True

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        assert path == "admin/jobs"
        self.posted.append(body)
        return {"job_id": "j1", "status": "queued", "progress": 0.0, "message": None}

    def get(self, path: str) -> dict[str, Any]:
        assert path == "admin/jobs/j1"
        result = self.result(self.posted[-1]["params"])
        return {"job_id": "j1", "status": "succeeded", "progress": 1.0, "message": "", "result": result}
