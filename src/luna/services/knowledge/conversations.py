"""Conversations: Luna's answers kept as a dialogue, with follow-up questions read in context.

``ask`` answers a question inside a conversation of the asking user (a new one when none is named):
the earlier questions make a follow-up such as "Und für Gewerbe?" searchable (see
:func:`~luna.domain.conversations.retrieval_question`), the earlier answers tell the model what it has
already said (a follow-up is not answered with the same sentences again), and the finished answer is
stored as the next turn with the sources as they were shown, so the dashboard shows the same dialogue
after a reload.
A conversation belongs to its user: another user's ID is answered as unknown, never shown.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.answers import Exchange
from luna.domain.conversations import Conversation, SourceSnapshot, Turn, conversation_title
from luna.domain.errors import Conflict, NotFound
from luna.domain.flywheel.sessions import OWN_SOURCE
from luna.domain.storable import printable
from luna.ports.sql import Database
from luna.services.knowledge.answering import Answer, AnswerEvent, AnswerService

#: More turns than this make a conversation too long to follow; Luna asks for a new one.
MAX_TURNS: Final = 200
#: How many conversations a user's history lists (newest first).
LIST_LIMIT: Final = 50


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConversationService:
    def __init__(
        self, database: Database, answers: AnswerService, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._database = database
        self._answers = answers
        self._clock = clock

    def recent(self, user_id: str, limit: int = LIST_LIMIT, offset: int = 0) -> list[Conversation]:
        """The user's conversations, the newest turn first, without their turns; ``offset`` pages."""
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.conversations.list_for_user(user_id, limit=limit, offset=offset))

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        """The user's conversation with its turns; NotFound for an unknown ID or another user's."""
        with self._database.unit_of_work(read_only=True) as uow:
            return _owned(uow.conversations.get(conversation_id), user_id, conversation_id)

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete the conversation and its copy in the data flywheel (every revision): a customer who
        deletes a conversation expects it gone from the KPIs and the fine-tuning data as well."""
        with self._database.unit_of_work() as uow:
            _owned(uow.conversations.get(conversation_id, with_turns=False), user_id, conversation_id)
            uow.sessions.serialise_writes()
            uow.conversations.delete(conversation_id)
            uow.sessions.delete_session(OWN_SOURCE, conversation_id)
            uow.commit()

    def ask(
        self,
        user_id: str,
        question: str,
        conversation_id: str | None = None,
        *,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        appendix: str = "",
    ) -> Iterator[AnswerEvent]:
        """The answer's events; ``done`` carries the answer with its ``conversation_id`` once stored.

        An unknown conversation raises before anything is answered (so the API can still send a 404);
        the turn is stored when the answer is complete, a stream that is abandoned stores nothing.
        """
        # It becomes the title others see in lists, and the flywheel's topics: an ESC sequence in it
        # made the topic "mrot" of "\x1b[31mrot".
        question = printable(question)
        earlier: list[Exchange] = []
        if conversation_id is not None:
            conversation = self._continued(user_id, conversation_id)
            conversation_id = conversation.conversation_id  # as stored: braces or upper case are gone
            earlier = [Exchange(turn.question, turn.answer) for turn in conversation.turns]
        events = self._answers.stream(question, top_k, filters, appendix=appendix, earlier=earlier)
        return self._stored(user_id, question, conversation_id, events)

    def _continued(self, user_id: str, conversation_id: str) -> Conversation:
        conversation = self.get(user_id, conversation_id)
        if len(conversation.turns) >= MAX_TURNS:
            raise Conflict(
                f"This conversation already has {MAX_TURNS} turns; start a new one.",
                details={"max_turns": MAX_TURNS},
            )
        return conversation

    def _stored(
        self, user_id: str, question: str, conversation_id: str | None, events: Iterator[AnswerEvent]
    ) -> Iterator[AnswerEvent]:
        for event in events:
            if event.kind == "done":
                answer: Answer = event.data
                stored_id = self._store_turn(user_id, question, conversation_id, answer)
                event = AnswerEvent("done", dataclasses.replace(answer, conversation_id=stored_id))
            yield event

    def _store_turn(self, user_id: str, question: str, conversation_id: str | None, answer: Answer) -> str:
        now = self._clock()
        with self._database.unit_of_work() as uow:
            if conversation_id is None:
                uow.users.get_or_create(user_id)
                conversation_id = str(uuid.uuid4())
                uow.conversations.add(
                    Conversation(conversation_id, user_id, conversation_title(question), now, now)
                )
                position = 0
            else:
                stored = _owned(uow.conversations.get(conversation_id), user_id, conversation_id)
                position = len(stored.turns)
            uow.conversations.add_turn(conversation_id, _turn(position, question, answer, now))
            uow.commit()
        return conversation_id


def _owned(conversation: Conversation | None, user_id: str, conversation_id: str) -> Conversation:
    if conversation is None or uuid.UUID(conversation.user_id) != uuid.UUID(user_id):
        raise NotFound(f"No conversation with id {conversation_id!r}.")
    return conversation


def _turn(position: int, question: str, answer: Answer, now: datetime) -> Turn:
    return Turn(
        position=position,
        question=question,
        answer=answer.answer,
        model=answer.model,
        created_at=now,
        sources=_snapshots(answer),
        unsupported_numbers=tuple(answer.unsupported_numbers),
        follow_ups=tuple(answer.follow_ups),
    )


def _snapshots(answer: Answer) -> tuple[SourceSnapshot, ...]:
    return tuple(SourceSnapshot(c.chunk_id, c.score, dict(c.payload)) for c in answer.citations)
