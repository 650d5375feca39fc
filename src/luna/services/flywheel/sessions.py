"""Session ingest: what the webhook and Luna's own answers hand to the flywheel, stored safely.

A session without consent is counted (per day and source) and dropped, and so are its earlier revisions:
a user who withdrew consent must not stay in the KPIs and the fine-tuning data. Otherwise the user ID becomes
a pseudonym and every text is redacted *before* the unit of work opens, so raw PII never reaches the
database, not even inside a transaction that rolls back. A resend with the same content changes
nothing (``unchanged``); a changed one becomes the next revision (``revised``). Raw reads of stored
texts are audited by the caller (see :class:`~luna.services.flywheel.accounts.AccountService`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from luna.domain.errors import NotFound, Unavailable
from luna.domain.flywheel.sessions import (
    IncomingSession,
    StoredSession,
    content_sha256,
    pseudonym,
    redacted_turns,
)
from luna.ports.flywheel import SessionRepository
from luna.ports.sql import Database, UnitOfWork

#: Whether a prepared session is still to be stored, read again in the storing transaction.
StillWanted = Callable[[UnitOfWork, IncomingSession], bool]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    STORED = "stored"
    REVISED = "revised"
    UNCHANGED = "unchanged"
    NO_CONSENT = "not_stored_without_consent"
    #: Its conversation was deleted, or its user withdrew consent, while the batch was prepared.
    GONE = "not_stored_gone"


@dataclass(frozen=True, slots=True)
class IngestResult:
    session_id: str
    outcome: Outcome
    #: The stored revision (None when nothing was stored).
    revision: int | None
    redactions: int = 0


@dataclass(frozen=True, slots=True)
class SessionStats:
    sessions: int
    consentless: dict[str, int]


class SessionService:
    def __init__(
        self,
        database: Database,
        *,
        pseudonym_key: bytes | None,
        key_id: str,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._key = pseudonym_key
        self._key_id = key_id
        self._clock = clock

    def user_ref(self, external_user_id: str) -> str:
        if self._key is None:
            raise Unavailable("Session ingest needs flywheel.pseudonym_key (LUNA_FLYWHEEL__PSEUDONYM_KEY).")
        return pseudonym(self._key, self._key_id, external_user_id)

    def ingest(
        self, sessions: Sequence[IncomingSession], still_wanted: StillWanted | None = None
    ) -> list[IngestResult]:
        """Store a batch in one transaction: all of it is acknowledged, or none (then resend it).

        ``still_wanted`` re-reads, under the sessions' write lock, what a session was built from: one
        whose conversation was deleted, or whose user withdrew consent, since is not stored (it was)."""
        prepared = [self._prepare(session) for session in sessions]
        results: list[IngestResult] = []
        with self._database.unit_of_work() as uow:
            uow.sessions.serialise_writes()
            for incoming, stored in prepared:
                if stored is not None and still_wanted is not None and not still_wanted(uow, incoming):
                    uow.sessions.delete_session(incoming.source, incoming.session_id)
                    results.append(IngestResult(incoming.session_id, Outcome.GONE, None))
                    continue
                if stored is None:
                    uow.sessions.count_consentless(_day(self._clock()), incoming.source)
                    uow.sessions.delete_session(incoming.source, incoming.session_id)
                    results.append(IngestResult(incoming.session_id, Outcome.NO_CONSENT, None))
                    continue
                results.append(self._keep(uow.sessions, stored))
            uow.commit()
        return results

    def read(self, source: str, session_id: str) -> StoredSession:
        with self._database.unit_of_work(read_only=True) as uow:
            session = uow.sessions.current(source, session_id)
        if session is None:
            raise NotFound(f"No session with id {session_id!r} from source {source!r}.")
        return session

    def stats(self, since: date) -> SessionStats:
        with self._database.unit_of_work(read_only=True) as uow:
            return SessionStats(uow.sessions.count(), uow.sessions.consentless(since))

    def _prepare(self, incoming: IncomingSession) -> tuple[IncomingSession, StoredSession | None]:
        if not incoming.consent:
            return incoming, None
        user_ref = self.user_ref(incoming.external_user_id)
        turns, found = redacted_turns(incoming.turns)
        stored = StoredSession(
            session_id=incoming.session_id,
            source=incoming.source,
            user_ref=user_ref,
            key_id=self._key_id,
            revision=1,
            content_sha256=content_sha256(user_ref, turns, incoming.started_at),
            received_at=self._clock(),
            turns=turns,
            started_at=incoming.started_at,
            redactions=found,
        )
        return incoming, stored

    @staticmethod
    def _keep(repository: SessionRepository, stored: StoredSession) -> IngestResult:
        found = sum(stored.redactions.values())
        earlier = repository.current(stored.source, stored.session_id)
        if earlier is not None and earlier.content_sha256 == stored.content_sha256:
            return IngestResult(stored.session_id, Outcome.UNCHANGED, earlier.revision, found)
        revision = 1 if earlier is None else earlier.revision + 1
        repository.add(replace(stored, revision=revision))
        outcome = Outcome.STORED if earlier is None else Outcome.REVISED
        return IngestResult(stored.session_id, outcome, revision, found)


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()
