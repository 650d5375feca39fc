"""The learning run: read events and ratings, compute scores, store them as a version, audit what changed.

Reading streams the repositories in batches (a million events never sit in memory at once) inside one
read-only unit of work; writing the version, its scores and the audit entry is one transaction, so a
reader never sees a version without its scores and no run goes unaudited.

A run whose inputs hash (events, ratings, live targets, parameters: see ``domain.learning``) equals
the newest version's writes no new version: it reports ``unchanged`` with that version's number and is
audited like any run. Running twice on the same data therefore gives the same scores either way, and a
quiet night adds an audit line, not a copy of every score.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.errors import Conflict, InvalidInput
from luna.domain.german_numbers import de_number
from luna.domain.items import ItemStatus
from luna.domain.jobs import Job, JobStatus
from luna.domain.learning.changes import ScoreChanges, compare
from luna.domain.learning.schedule import NightlySchedule
from luna.domain.learning.scoring import ChunkRef, LearnedScores, LearningParams, ScoreAccumulator
from luna.domain.scores import AuditEntry, Score, ScoreTarget, ScoreVersion
from luna.ports.sql import Database, UnitOfWork
from luna.services.learning.events import EARLIEST_TS
from luna.services.operations.jobs import JobService

#: The worker job of a run (``luna.workers.learning``).
LEARN_JOB: Final = "learn.run"
#: The audit action of a run; its target is ``scores:v<version>``.
AUDIT_ACTION: Final = "learn.run"
#: Who the job record and the audit log name when the worker's schedule started the run.
SCHEDULE_ACTOR: Final = "schedule"
_ITEM_PAGE: Final = 1000

#: ``progress(fraction, message)``: how far the run is (0..1) and what it does, in German.
Progress = Callable[[float, str], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _german(count: int) -> str:
    return de_number(count)


def parse_as_of(value: object, now: datetime | None = None) -> datetime | None:
    """``as_of`` as given to the job, the API or the CLI: ISO-8601 with a time zone, not in the future."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"as_of must be text (ISO-8601 with a time zone), not {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"as_of {value!r} is not an ISO-8601 datetime (2025-03-01T03:00:00+01:00)"
        ) from None
    if moment.utcoffset() is None:
        raise InvalidInput(f"as_of {value!r} needs a time zone (Z or +01:00)")
    if moment > (now or _now()):
        raise InvalidInput(f"as_of {value!r} lies in the future")
    # The year first: year 1 at +23:59 has no UTC time to compare.
    if moment.year < EARLIEST_TS.year or moment < EARLIEST_TS:
        raise InvalidInput(
            f"as_of {value!r} lies before {EARLIEST_TS:%Y-%m-%d}, the oldest time an event may have"
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class LearningResult:
    version: int
    unchanged: bool
    as_of: datetime
    computed_at: datetime
    inputs_sha256: str
    events: int
    ratings: int
    chunks: int
    items: int
    changes: ScoreChanges

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "unchanged": self.unchanged,
            "as_of": self.as_of.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "inputs_sha256": self.inputs_sha256,
            "events": self.events,
            "ratings": self.ratings,
            "chunks": self.chunks,
            "items": self.items,
            "changes": self.changes.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class _Previous:
    version: int | None
    chunks: Mapping[str, Score]


class LearningService:
    """Runs the learning computation over the SQL store and reads back versions and the audit log."""

    def __init__(
        self,
        database: Database,
        params: LearningParams,
        *,
        batch_size: int = 5000,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._database = database
        self._params = params
        self._batch_size = batch_size
        self._clock = clock

    @property
    def params(self) -> LearningParams:
        return self._params

    def run(
        self,
        actor: str,
        *,
        as_of: datetime | None = None,
        job_id: str | None = None,
        progress: Progress | None = None,
    ) -> LearningResult:
        """Compute and store the scores as of ``as_of`` (default: the newest input); see the module."""
        report = progress or (lambda fraction, message: None)
        learned, previous = self._learn(as_of, report)
        report(0.9, "Punktzahlen werden gespeichert")
        computed_at = self._clock()
        with self._database.unit_of_work() as uow:
            latest = uow.scores.latest_version()
            if latest is not None and latest.version != previous.version:
                previous = _previous_scores(uow, latest.version, self._batch_size)  # a concurrent run won
            unchanged = latest is not None and latest.inputs_sha256 == learned.inputs_sha256
            if latest is not None and unchanged:
                version = latest.version
                changes = ScoreChanges(previous.version, 0, 0, 0)
            else:
                changes = compare(
                    previous.chunks,
                    learned.chunks,
                    prior_mean=self._params.prior_mean,
                    previous_version=previous.version,
                )
                version = uow.scores.add_version(
                    ScoreVersion(
                        version=0,
                        computed_at=computed_at,
                        as_of=learned.as_of,
                        actor=actor,
                        inputs_sha256=learned.inputs_sha256,
                        chunks=len(learned.chunks),
                        items=len(learned.items),
                        params=learned.params,
                        job_id=job_id,
                    ),
                    [*learned.chunks, *learned.items],
                )
            result = LearningResult(
                version=version,
                unchanged=unchanged,
                as_of=learned.as_of,
                computed_at=computed_at,
                inputs_sha256=learned.inputs_sha256,
                events=learned.events,
                ratings=learned.ratings,
                chunks=len(learned.chunks),
                items=len(learned.items),
                changes=changes,
            )
            uow.audit.add(self._audit_entry(actor, result, job_id, computed_at))
            uow.commit()
        state = "unverändert" if unchanged else "neu"
        report(1.0, f"Fertig: Version {version} ({state}), {_german(result.chunks)} Abschnitte bewertet")
        return result

    def versions(self, limit: int = 20) -> list[ScoreVersion]:
        with self._database.unit_of_work(read_only=True) as uow:
            return uow.scores.versions(limit)

    def audit_log(self, action: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        with self._database.unit_of_work(read_only=True) as uow:
            return uow.audit.list(action=action, limit=limit, offset=offset)

    def _learn(self, as_of: datetime | None, report: Progress) -> tuple[LearnedScores, _Previous]:
        consent_default = self._params.consent_default
        with self._database.unit_of_work(read_only=True) as uow:
            total = max(uow.events.count() + uow.feedback.count(), 1)
            accumulator = ScoreAccumulator(self._params, as_of=as_of, resolve=_chunk_resolver(uow))
            read = 0
            for events in uow.events.for_learning(
                consent_default=consent_default, batch_size=self._batch_size
            ):
                accumulator.add_events(events)
                read += len(events)
                report(0.8 * min(read / total, 1.0), f"Ereignisse gelesen: {_german(read)}")
            for ratings in uow.feedback.for_learning(
                consent_default=consent_default, batch_size=self._batch_size
            ):
                accumulator.add_ratings(ratings)
                read += len(ratings)
                report(0.8 * min(read / total, 1.0), f"Bewertungen gelesen: {_german(read)}")
            report(0.8, "Aktuelle Dokumente werden geprüft")
            live_items = _indexed_items(uow, accumulator.item_ids())
            learned = accumulator.finish(live_items, fallback_as_of=self._clock())
            latest = uow.scores.latest_version()
            previous = (
                _previous_scores(uow, latest.version, self._batch_size) if latest else _Previous(None, {})
            )
        return learned, previous

    def _audit_entry(
        self, actor: str, result: LearningResult, job_id: str | None, at: datetime
    ) -> AuditEntry:
        return AuditEntry(
            audit_id=str(uuid.uuid4()),
            ts=at,
            actor=actor,
            action=AUDIT_ACTION,
            target=f"scores:v{result.version}",
            details={
                "version": result.version,
                "unchanged": result.unchanged,
                "as_of": result.as_of.isoformat(),
                "inputs_sha256": result.inputs_sha256,
                "job_id": job_id,
                "counts": {
                    "events": result.events,
                    "ratings": result.ratings,
                    "chunks": result.chunks,
                    "items": result.items,
                },
                "changes": result.changes.as_dict(),
                "params": self._params.as_dict(),
            },
        )


def _chunk_resolver(uow: UnitOfWork) -> Callable[[Collection[str]], dict[str, ChunkRef]]:
    def resolve(chunk_ids: Collection[str]) -> dict[str, ChunkRef]:
        return {
            chunk.chunk_id: ChunkRef(chunk.item_id, chunk.archived)
            for chunk in uow.chunks.get_many(list(chunk_ids))
        }

    return resolve


def _indexed_items(uow: UnitOfWork, candidates: Collection[str]) -> set[str]:
    """The candidates that search can show: indexed and not archived."""
    if not candidates:
        return set()
    live: set[str] = set()
    offset = 0
    while True:
        page = uow.items.list(status=ItemStatus.INDEXED, limit=_ITEM_PAGE, offset=offset)
        live.update(item.item_id for item in page if item.archived_at is None and item.item_id in candidates)
        if len(page) < _ITEM_PAGE:
            return live
        offset += _ITEM_PAGE


def _previous_scores(uow: UnitOfWork, version: int, batch_size: int) -> _Previous:
    chunks = {
        score.target_id: score
        for batch in uow.scores.scores_of(version, ScoreTarget.CHUNK, batch_size)
        for score in batch
    }
    return _Previous(version, chunks)


@dataclass(frozen=True, slots=True)
class LearningOverview:
    """The newest versions, the newest ``learn.run`` audit entries and the run queued or running now."""

    versions: list[ScoreVersion]
    audit: list[AuditEntry]
    job: Job | None


class LearningControl:
    """The learning run as a job: started by operators (one at a time) and by the nightly schedule."""

    def __init__(self, jobs: JobService, learning: LearningService) -> None:
        self._jobs = jobs
        self._learning = learning

    def active_job(self) -> Job | None:
        for status in (JobStatus.RUNNING, JobStatus.QUEUED):
            found, _ = self._jobs.list(status.value, LEARN_JOB, 1, 0)
            if found:
                return found[0]
        return None

    def start(self, created_by: str, as_of: str | None = None) -> Job:
        """Queue a run; :class:`Conflict` (naming the job) while one is queued or running, a bad
        ``as_of`` :class:`InvalidInput`. Nothing is queued in either case."""
        active = self.active_job()
        if active is not None:
            raise Conflict(
                f"a learning run is already {active.status.value} as job {active.job_id}",
                details={"job_id": active.job_id, "status": active.status.value},
            )
        parse_as_of(as_of)
        return self._jobs.submit(LEARN_JOB, {"as_of": as_of} if as_of else {}, created_by)

    def last_run(self) -> datetime | None:
        """When the newest run was queued or its version computed, whichever is later."""
        moments = [version.computed_at for version in self._learning.versions(1)]
        newest, _ = self._jobs.list(None, LEARN_JOB, 1, 0)
        moments += [job.created_at for job in newest if job.created_at is not None]
        return max(moments, default=None)

    def queue_nightly(self, schedule: NightlySchedule, now: datetime) -> Job | None:
        """Queue the nightly run when it is due (see :mod:`luna.domain.learning.schedule`)."""
        if not schedule.due(now, last_run=self.last_run(), busy=self.active_job() is not None):
            return None
        return self._jobs.submit(LEARN_JOB, {}, SCHEDULE_ACTOR)

    def overview(self, limit: int = 20, audit_limit: int = 20) -> LearningOverview:
        return LearningOverview(
            versions=self._learning.versions(limit),
            audit=self._learning.audit_log(AUDIT_ACTION, audit_limit),
            job=self.active_job(),
        )
