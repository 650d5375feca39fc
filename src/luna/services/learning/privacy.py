"""A customer's say over their data: consent to learning, what is stored about them, and erasure.

Consent is an append-only log (the newest ``learning`` record counts; without one,
``learning.consent_default``), so it can be shown when and how a user decided. Withdrawing consent
keeps Luna working for the user: their events and ratings are still stored, but the learning reads
leave them out; their conversations' copies in the data flywheel, which feed its KPIs and the
fine-tuning datasets, are erased. Erasure (GDPR Art. 17) removes the user's events, ratings, labels,
consent records and conversations with Luna in one transaction and leaves an audit entry with counts
only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from luna.domain.errors import InvalidInput, NotFound, Unavailable
from luna.domain.events import LEARNING_SCOPE, Consent
from luna.domain.scores import AuditEntry
from luna.ports.sql import Database, UnitOfWork
from luna.ports.vectors import VectorIndex
from luna.services.flywheel.actions import forget_ticket_examples
from luna.services.flywheel.normalise import forget_questions
from luna.services.learning.data_export import user_export
from luna.services.learning.events import canonical_uuid, utc_now

ERASE_ACTION: Final = "users.erase"
#: External user IDs are the sender's own (``kunde-42``, an e-mail address); longer is no ID.
_MAX_EXTERNAL_ID: Final = 200
#: The audit action of erasing the sessions a webhook sent for one of the sender's users.
ERASE_EXTERNAL_ACTION: Final = "sessions.erase_user"
_TICK: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ConsentState:
    learning: bool
    decided: bool
    """False while no record exists and ``learning.consent_default`` applies."""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What Luna stores about one user, in counts."""

    user_id: str
    created_at: datetime | None
    consent: ConsentState
    events: int
    ratings: int
    labels: int
    conversations: int


@dataclass(frozen=True, slots=True)
class Erasure:
    user_id: str
    events: int
    ratings: int
    labels: int
    consent_records: int
    conversations: int
    #: The user's sessions in the data flywheel (found by their pseudonym), every revision.
    flywheel_sessions: int = 0
    #: The user's questions the flywheel embedded (vector collection ``flywheel_sessions``).
    flywheel_questions: int = 0
    #: Tickets whose example questions held some of the user's (taken out).
    ticket_examples: int = 0


class PrivacyService:
    def __init__(
        self,
        database: Database,
        *,
        consent_default: bool,
        session_ref: Callable[[str], str] | None = None,
        vectors: Callable[[], VectorIndex] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``session_ref`` gives a user's flywheel pseudonym (None: no pseudonym key, no sessions);
        ``vectors`` the index that keeps the questions the flywheel embedded (opened when first needed:
        a command that erases nothing never opens it)."""
        self._database = database
        self._consent_default = consent_default
        self._session_ref = session_ref
        self._vectors = vectors
        self._clock = clock

    def consent(self, user_id: str) -> ConsentState:
        with self._database.unit_of_work(read_only=True) as uow:
            return self._state(uow, canonical_uuid(user_id, "user_id"))

    def set_consent(self, user_id: str, learning: bool) -> ConsentState:
        """Append a record. Its time is after the previous record's even if the clock says otherwise,
        so the newest record is always the last decision. A withdrawal erases the user's flywheel
        sessions: stored while consent held, they would otherwise stay in the flywheel's reads."""
        user = canonical_uuid(user_id, "user_id")
        with self._database.unit_of_work() as uow:
            uow.users.get_or_create(user)
            previous = uow.consent.current(user, LEARNING_SCOPE)
            ts = self._clock()
            if previous is not None and ts <= previous.ts:
                ts = previous.ts + _TICK
            uow.consent.record(Consent(user_id=user, scope=LEARNING_SCOPE, granted=learning, ts=ts))
            if not learning and self._session_ref is not None:
                self._erase_sessions(uow, self._session_ref(user))
            uow.commit()
        return ConsentState(learning=learning, decided=True, updated_at=ts)

    def record(self, user_id: str) -> UserRecord:
        user = canonical_uuid(user_id, "user_id")
        with self._database.unit_of_work(read_only=True) as uow:
            found = uow.users.get(user)
            if found is None:
                raise NotFound(f"No user with id {user!r}.")
            return UserRecord(
                user_id=user,
                created_at=found.created_at,
                consent=self._state(uow, user),
                events=uow.events.count(user_id=user),
                ratings=uow.feedback.count(user_id=user),
                labels=uow.feedback.count_labels(user_id=user),
                conversations=uow.conversations.count(user_id=user),
            )

    def export(self, user_id: str) -> dict[str, Any]:
        """Everything stored about the user, as JSON (see :mod:`luna.services.learning.data_export`)."""
        with self._database.unit_of_work(read_only=True) as uow:
            return user_export(uow, canonical_uuid(user_id, "user_id"))

    def erase(self, user_id: str, *, actor: str) -> Erasure:
        """Erase the user's events, ratings, labels, consent records, conversations and flywheel sessions;
        audit who did it (counts, no content). A withdrawn consent is recorded again as the only record:
        erased with the rest, it left the default to apply, which learned again from whoever had said no."""
        user = canonical_uuid(user_id, "user_id")
        with self._database.unit_of_work() as uow:
            if uow.users.get(user) is None:
                raise NotFound(f"No user with id {user!r}.")
            uow.sessions.serialise_writes()
            withdrawn = uow.consent.current(user, LEARNING_SCOPE)
            ratings, labels = uow.feedback.delete_for_user(user)
            session_ref = None if self._session_ref is None else self._session_ref(user)
            erasure = Erasure(
                user_id=user,
                events=uow.events.delete_for_user(user),
                ratings=ratings,
                labels=labels,
                consent_records=uow.consent.delete_for_user(user),
                conversations=uow.conversations.delete_for_user(user),
                **self._erase_sessions(uow, session_ref),
            )
            if withdrawn is not None and not withdrawn.granted:
                no = Consent(user_id=user, scope=LEARNING_SCOPE, granted=False, ts=self._clock())
                uow.consent.record(no)
            details: dict[str, object] = {
                "events": erasure.events,
                "ratings": erasure.ratings,
                "labels": erasure.labels,
                "consent_records": erasure.consent_records,
                "conversations": erasure.conversations,
                "flywheel_sessions": erasure.flywheel_sessions,
                "flywheel_questions": erasure.flywheel_questions,
                "ticket_examples": erasure.ticket_examples,
            }
            uow.audit.add(
                AuditEntry(
                    audit_id=str(uuid.uuid4()),
                    ts=self._clock(),
                    actor=actor,
                    action=ERASE_ACTION,
                    target=f"user:{user}",
                    details=details,
                )
            )
            uow.commit()
        return erasure

    def erase_external(self, external_user_id: str, *, actor: str) -> dict[str, int]:
        """Erase the flywheel's sessions and embedded questions of a user a webhook named (n8n's
        ``kunde-42``: no Luna user, found by the pseudonym of that ID); what was erased, counted by kind.
        Audited with the counts only: the ID is the person's."""
        if self._session_ref is None:
            raise Unavailable("The data flywheel keeps no sessions here (no flywheel.pseudonym_key).")
        if not 1 <= len(external_user_id) <= _MAX_EXTERNAL_ID:
            raise InvalidInput(f"An external user ID has 1 to {_MAX_EXTERNAL_ID} characters.")
        ref = self._session_ref(external_user_id)
        with self._database.unit_of_work() as uow:
            erased = self._erase_sessions(uow, ref)
            details: dict[str, object] = dict(erased)
            entry = AuditEntry(
                str(uuid.uuid4()), self._clock(), actor, ERASE_EXTERNAL_ACTION, "external user", details
            )
            uow.audit.add(entry)
            uow.commit()
        return erased

    def _erase_sessions(self, uow: UnitOfWork, session_ref: str | None) -> dict[str, int]:
        """The pseudonymous user's flywheel sessions, the questions the flywheel embedded from them, and
        those questions among the tickets' examples; counted by kind."""
        if session_ref is None:
            return {"flywheel_sessions": 0, "flywheel_questions": 0, "ticket_examples": 0}
        uow.sessions.serialise_writes()
        asked = uow.sessions.questions_of(session_ref)
        return {
            "ticket_examples": forget_ticket_examples(uow, asked),
            "flywheel_sessions": uow.sessions.delete_for_user(session_ref),
            # Before the commit: should it fail, the sessions still in SQL embed them again.
            "flywheel_questions": 0
            if self._vectors is None
            else forget_questions(self._vectors(), session_ref),
        }

    def _state(self, uow: UnitOfWork, user_id: str) -> ConsentState:
        current = uow.consent.current(user_id, LEARNING_SCOPE)
        if current is None:
            return ConsentState(learning=self._consent_default, decided=False)
        return ConsentState(learning=current.granted, decided=True, updated_at=current.ts)
