"""Luna's own conversations as flywheel sessions, through the same path as the webhook's.

Each conversation updated in the window becomes a session of source ``luna`` (its ID the
conversation's), with the user's ratings of its answers (matched by question and answer) and the
user's consent to learning as the session's consent. Passing it to
:meth:`~luna.services.flywheel.sessions.SessionService.ingest` pseudonymises and redacts it like any
other; a conversation that did not change since the last run is ``unchanged``, one with a new turn
becomes the next revision, and a user who withdrew consent is only counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from luna.domain.conversations import Conversation, Turn
from luna.domain.events import LEARNING_SCOPE, RagFeedback
from luna.domain.flywheel.sessions import OWN_SOURCE, IncomingSession, SessionTurn
from luna.ports.sql import Database, UnitOfWork
from luna.services.flywheel.sessions import IngestResult, SessionService

#: Conversations taken per run; the rest follow in the next run (they stay in the window).
MAX_PER_RUN: Final = 20_000


@dataclass(frozen=True, slots=True)
class OwnSessionsRun:
    conversations: int
    results: list[IngestResult]


class OwnSessions:
    def __init__(self, database: Database, sessions: SessionService, *, consent_default: bool) -> None:
        self._database = database
        self._sessions = sessions
        self._consent_default = consent_default

    def collect(self, start: datetime, end: datetime) -> OwnSessionsRun:
        with self._database.unit_of_work(read_only=True) as uow:
            conversations = uow.conversations.updated_between(start, end, limit=MAX_PER_RUN)
            incoming = [self._session(uow, conversation) for conversation in conversations]
        stored = self._sessions.ingest(incoming, self._still_wanted) if incoming else []
        return OwnSessionsRun(len(conversations), stored)

    def _still_wanted(self, uow: UnitOfWork, session: IncomingSession) -> bool:
        """Read again while storing: a conversation deleted, or consent withdrawn, after the read above
        erased a session that was not stored yet, and the ingest then stored it again."""
        if uow.conversations.get(session.session_id, with_turns=False) is None:
            return False
        consent = uow.consent.current(session.external_user_id, LEARNING_SCOPE)
        return self._consent_default if consent is None else consent.granted

    def _session(self, uow: UnitOfWork, conversation: Conversation) -> IncomingSession:
        consent = uow.consent.current(conversation.user_id, LEARNING_SCOPE)
        ratings = uow.feedback.for_user(conversation.user_id, since=conversation.created_at)
        return IncomingSession(
            session_id=conversation.conversation_id,
            source=OWN_SOURCE,
            external_user_id=conversation.user_id,
            consent=self._consent_default if consent is None else consent.granted,
            turns=tuple(_turn(turn, ratings) for turn in conversation.turns),
            started_at=conversation.created_at,
        )


def _turn(turn: Turn, ratings: Sequence[RagFeedback]) -> SessionTurn:
    rating = _rating_of(turn, ratings)
    return SessionTurn(
        question=turn.question,
        answer=turn.answer,
        asked_at=turn.created_at,
        cited_chunk_ids=tuple(source.chunk_id for source in turn.sources),
        rating=None if rating is None else (1 if rating.useful else -1),
        note=None if rating is None else rating.notes,
        refused=not turn.sources,
        retrieval_score=max((source.score for source in turn.sources), default=None),
        unsupported_numbers=bool(turn.unsupported_numbers),
    )


def _rating_of(turn: Turn, ratings: Sequence[RagFeedback]) -> RagFeedback | None:
    """The newest rating of this turn: same question, rated after it was answered, same answer start.

    Ratings are stored redacted, so the answer is compared on its first words only; a rating is never
    given to a turn it might not belong to (no match: the turn stays unrated).
    """
    question = _normal(turn.question)
    answer = _normal(turn.answer)[:40]
    matches = [
        r
        for r in ratings
        if r.ts >= turn.created_at and _normal(r.question) == question and _normal(r.answer)[:40] == answer
    ]
    return matches[-1] if matches else None


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())
