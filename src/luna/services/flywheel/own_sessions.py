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
            read: dict[str, list[Conversation]] = {}  # each customer's conversations, read once a run
            incoming = [self._session(uow, conversation, read) for conversation in conversations]
        stored = self._sessions.ingest(incoming, self._still_wanted) if incoming else []
        return OwnSessionsRun(len(conversations), stored)

    def _still_wanted(self, uow: UnitOfWork, session: IncomingSession) -> bool:
        """Read again while storing: a conversation deleted, or consent withdrawn, after the read above
        erased a session that was not stored yet, and the ingest then stored it again."""
        if uow.conversations.get(session.session_id, with_turns=False) is None:
            return False
        consent = uow.consent.current(session.external_user_id, LEARNING_SCOPE)
        return self._consent_default if consent is None else consent.granted

    def _session(
        self, uow: UnitOfWork, conversation: Conversation, read: dict[str, list[Conversation]]
    ) -> IncomingSession:
        consent = uow.consent.current(conversation.user_id, LEARNING_SCOPE)
        ratings = uow.feedback.for_user(conversation.user_id, since=conversation.created_at)
        if ratings and conversation.user_id not in read:
            read[conversation.user_id] = _user_conversations(uow, conversation.user_id)
        others = [
            other
            for other in read.get(conversation.user_id, [])
            if other.conversation_id != conversation.conversation_id
            and other.updated_at >= conversation.created_at
        ]
        owned = ratings_by_turn(conversation, ratings, others)
        return IncomingSession(
            session_id=conversation.conversation_id,
            source=OWN_SOURCE,
            external_user_id=conversation.user_id,
            consent=self._consent_default if consent is None else consent.granted,
            turns=tuple(_turn(turn, owned.get(turn.position)) for turn in conversation.turns),
            started_at=conversation.created_at,
        )


#: The user's other conversations read to place a rating: a customer has few at a time.
_OTHER_CONVERSATIONS: Final = 50


def _user_conversations(uow: UnitOfWork, user_id: str) -> list[Conversation]:
    """The customer's newest conversations with their turns: where a rating's turn may be."""
    listed = uow.conversations.list_for_user(user_id, limit=_OTHER_CONVERSATIONS)
    found = [uow.conversations.get(other.conversation_id) for other in listed]
    return [conversation for conversation in found if conversation is not None]


def ratings_by_turn(
    conversation: Conversation, ratings: Sequence[RagFeedback], others: Sequence[Conversation]
) -> dict[int, RagFeedback]:
    """Each of the conversation's turns (by position) with its rating, the newest where rated twice. A
    rating belongs to the newest turn answered before it with its question and answer start (ratings are
    stored redacted): the same question asked in two conversations, or twice in one, got one rating,
    counted for every such turn. A rating matching no turn is given to none."""
    owned: dict[int, RagFeedback] = {}
    for rating in sorted(ratings, key=lambda r: r.ts):
        answered = [
            (turn.created_at, candidate.conversation_id, turn.position)
            for candidate in (conversation, *others)
            for turn in candidate.turns
            if turn.created_at <= rating.ts and _matches(turn, rating)
        ]
        if answered and (newest := max(answered))[1] == conversation.conversation_id:
            owned[newest[2]] = rating
    return owned


def _turn(turn: Turn, rating: RagFeedback | None) -> SessionTurn:
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


def _matches(turn: Turn, rating: RagFeedback) -> bool:
    """Same question, same answer start (ratings are stored redacted: the first words only)."""
    return _normal(rating.question) == _normal(turn.question) and (
        _normal(rating.answer)[:40] == _normal(turn.answer)[:40]
    )


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())
