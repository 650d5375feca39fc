"""Ratings of Luna's answers: stored redacted, turned into per-item labels and ``feedback`` events.

A rating says "this answer was (not) useful"; the learning loop needs it per source. Each cited item
gets one label (reward +1 or −1, naming the first chunk of the item the answer cited), and each cited
chunk one ``feedback`` event for the user. The question, answer and notes are redacted before they
reach the database (:func:`luna.domain.privacy.redact_text`): a rating is kept for learning and
review, never as a copy of what a customer wrote about themselves.

A rating without a user (the operator rating an answer) is stored without labels and events: both
belong to a user, and the learning loop weighs them per user.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from luna.domain.errors import InvalidInput, NotFound, field_problem
from luna.domain.events import Event, EventType, Label, RagFeedback
from luna.domain.items import ItemChunk
from luna.domain.privacy import redact_text
from luna.domain.storable import shows_something, storable_text, without_direction_controls
from luna.ports.sql import Database
from luna.services.learning.events import canonical_uuid, utc_now

MAX_QUESTION_CHARS: Final = 2000
MAX_ANSWER_CHARS: Final = 20_000
MAX_NOTES_CHARS: Final = 2000
MAX_CHUNKS_USED: Final = 50


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    feedback_id: str
    labels: int
    events: int
    redactions: int
    """Personal data found and replaced in question, answer and notes together."""


class FeedbackService:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._clock = clock

    def recent(self, *, useful: bool | None = None, limit: int = 50) -> list[RagFeedback]:
        """The newest ratings (redacted as stored), e.g. the 👎 with their notes for the operator."""
        with self._database.unit_of_work(read_only=True) as uow:
            return uow.feedback.newest(useful=useful, limit=max(1, min(limit, 500)))

    def rate(
        self,
        *,
        user_id: str | None,
        question: str,
        answer: str,
        useful: bool,
        notes: str | None = None,
        chunks_used: Sequence[str] = (),
    ) -> FeedbackResult:
        """Store the rating, its labels and events in one transaction; unknown chunks store nothing (404)."""
        user = None if user_id is None else canonical_uuid(user_id, "user_id")
        question = _text(question, "question", MAX_QUESTION_CHARS)
        answer = _text(answer, "answer", MAX_ANSWER_CHARS)
        notes = (
            None if notes is None or not shows_something(notes) else _text(notes, "notes", MAX_NOTES_CHARS)
        )
        if len(chunks_used) > MAX_CHUNKS_USED:
            problem = f"holds at most {MAX_CHUNKS_USED} chunk IDs, got {len(chunks_used)}"
            raise InvalidInput(f"chunks_used {problem}", details=field_problem("chunks_used", problem))
        cited = list(dict.fromkeys(canonical_uuid(c, "chunks_used") for c in chunks_used))
        redacted = [redact_text(text) for text in (question, answer, notes or "")]
        ts = self._clock()
        feedback = RagFeedback(
            feedback_id=str(uuid.uuid4()),
            user_id=user,
            ts=ts,
            question=redacted[0].text,
            answer=redacted[1].text,
            useful=useful,
            notes=redacted[2].text if notes is not None else None,
            chunks_used=cited,
        )
        with self._database.unit_of_work() as uow:
            chunks = uow.chunks.get_many(cited)
            missing = sorted(set(cited) - {c.chunk_id for c in chunks})
            if missing:
                raise NotFound(
                    f"chunks_used names unknown chunks: {', '.join(missing)}", details={"chunk_ids": missing}
                )
            labels: list[Label] = []
            events: list[Event] = []
            if user is not None:
                uow.users.get_or_create(user)
                labels = _labels(feedback, user, chunks)
                events = [_event(feedback, user, chunk) for chunk in chunks]
            uow.feedback.add(feedback, labels)
            uow.events.add_many(events)
            uow.commit()
        return FeedbackResult(
            feedback_id=feedback.feedback_id,
            labels=len(labels),
            events=len(events),
            redactions=sum(r.count for r in redacted),
        )


def _text(value: str, name: str, limit: int) -> str:
    """``value`` as stored: without direction controls, which would reverse it on the operator's page."""
    if not shows_something(value):
        raise InvalidInput(f"{name} must not be empty", details=field_problem(name, "must not be empty"))
    if len(value) > limit:
        problem = f"may hold at most {limit:,} characters, it has {len(value):,}"
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem))
    return without_direction_controls(storable_text(value, name))


def _labels(feedback: RagFeedback, user_id: str, chunks: Sequence[ItemChunk]) -> list[Label]:
    """One label per cited item, naming the first of its chunks the answer cited."""
    first_chunk: dict[str, str] = {}
    for chunk in chunks:
        first_chunk.setdefault(chunk.item_id, chunk.chunk_id)
    reason = feedback.notes or ("useful" if feedback.useful else "not useful")
    return [
        Label(
            user_id=user_id,
            item_id=item_id,
            ts=feedback.ts,
            reward=1.0 if feedback.useful else -1.0,
            reason=reason,
            chunk_id=chunk_id,
            feedback_id=feedback.feedback_id,
        )
        for item_id, chunk_id in first_chunk.items()
    ]


def _event(feedback: RagFeedback, user_id: str, chunk: ItemChunk) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        user_id=user_id,
        ts=feedback.ts,
        type=EventType.FEEDBACK,
        item_id=chunk.item_id,
        chunk_id=chunk.chunk_id,
        meta={"useful": feedback.useful, "feedback_id": feedback.feedback_id},
    )
