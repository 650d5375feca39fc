"""Request and response bodies of the events, feedback and users routes (seed 001 §1.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from luna.services.learning.events import CLIENT_EVENT_TYPES, MAX_BATCH_EVENTS, MAX_META_BYTES, MAX_META_DEPTH
from luna.services.learning.feedback import (
    MAX_ANSWER_CHARS,
    MAX_CHUNKS_USED,
    MAX_NOTES_CHARS,
    MAX_QUESTION_CHARS,
)
from luna.services.learning.privacy import ConsentState, Erasure, UserRecord

_UUID_CHARS = 64
_USER_ID_HELP = (
    "The user the event is about. Customers may leave it out (it is theirs) but may not name another "
    "user (403); with the admin key it is required and the user is created on first sight."
)


class EventIn(BaseModel):
    """One event. Types, times and IDs are checked by the service, so a batch reports every problem."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "view",
                    "chunk_id": "6f1c2a4e-0d7b-4b8e-9a51-3c2d1e0f9a87",
                    "meta": {"source": "ask"},
                }
            ]
        },
    )

    user_id: str | None = Field(None, max_length=_UUID_CHARS, description=_USER_ID_HELP)
    type: str = Field(
        max_length=32,
        description="What happened; `recommend` events are Luna's own and cannot be posted",
        json_schema_extra={"enum": [t.value for t in CLIENT_EVENT_TYPES]},
    )
    ts: str | None = Field(
        None,
        max_length=64,
        description="ISO-8601 time with a zone (e.g. `2025-01-01T12:00:00Z`); default: now. "
        "A time without a zone or more than 5 minutes in the future is refused.",
    )
    item_id: str | None = Field(None, max_length=_UUID_CHARS, description="An existing item (404 otherwise)")
    chunk_id: str | None = Field(
        None,
        max_length=_UUID_CHARS,
        description="An existing chunk (404 otherwise); fills in `item_id`, and must belong to a given one",
    )
    meta: dict[str, Any] | None = Field(
        None,
        description=f"Any JSON object of at most {MAX_META_BYTES} bytes and {MAX_META_DEPTH} levels, e.g. "
        '`{"recommendation_id": "<event_id of a recommend event>"}` for a click on a recommendation',
    )


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(
        description=f"1 to {MAX_BATCH_EVENTS:,} events, each an `EventIn`; more is refused with 413",
        json_schema_extra={"items": {"$ref": "#/components/schemas/EventIn"}, "maxItems": MAX_BATCH_EVENTS},
    )


class EventSaved(BaseModel):
    saved: bool = True
    event_id: str
    ts: datetime
    item_id: str | None = Field(description="As given, or the item of the given chunk")


class EventsSaved(BaseModel):
    saved: int = Field(description="How many events were stored")
    event_ids: list[str] = Field(description="In the order of the batch")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(
        None,
        max_length=_UUID_CHARS,
        description="Customers: their own or none. With the admin key and no user_id the rating is stored "
        "without labels and events (they belong to a user).",
    )
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    useful: StrictBool
    notes: str | None = Field(None, max_length=MAX_NOTES_CHARS)
    chunks_used: list[str] = Field(
        default_factory=list,
        max_length=MAX_CHUNKS_USED,
        description="The chunk IDs the answer cited (`chunks_used` of /rag/ask); unknown ones are a 404",
    )


class FeedbackSaved(BaseModel):
    saved: bool = True
    feedback_id: str
    labels: int = Field(description="One per cited item (reward +1 useful, −1 not useful)")
    events: int = Field(description="`feedback` events recorded, one per cited chunk")
    redactions: int = Field(description="Names, e-mails, phone numbers, IBANs and addresses replaced")


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    learning: StrictBool = Field(description="May Luna learn from your events and ratings?")


class ConsentOut(BaseModel):
    learning: bool
    decided: bool = Field(description="False while no decision is recorded and the default applies")
    updated_at: datetime | None = None

    @classmethod
    def from_state(cls, state: ConsentState) -> ConsentOut:
        return cls(learning=state.learning, decided=state.decided, updated_at=state.updated_at)


class UserOut(BaseModel):
    user_id: str
    created_at: datetime | None
    consent: ConsentOut
    events: int = Field(description="Stored events about this user")
    ratings: int = Field(description="Stored ratings of answers")
    labels: int = Field(description="Per-item labels derived from the ratings")
    conversations: int = Field(description="Stored conversations with Luna (questions and answers)")

    @classmethod
    def from_record(cls, record: UserRecord) -> UserOut:
        return cls(
            user_id=record.user_id,
            created_at=record.created_at,
            consent=ConsentOut.from_state(record.consent),
            events=record.events,
            ratings=record.ratings,
            labels=record.labels,
            conversations=record.conversations,
        )


class ErasureOut(BaseModel):
    user_id: str
    events: int
    ratings: int
    labels: int
    consent_records: int
    conversations: int
    flywheel_sessions: int = Field(description="Conversation sessions kept by the data flywheel")
    flywheel_questions: int = Field(description="Questions the data flywheel embedded for topics and gaps")
    ticket_examples: int = Field(description="Flywheel tickets whose example questions held some of theirs")

    @classmethod
    def from_erasure(cls, erasure: Erasure) -> ErasureOut:
        return cls(
            user_id=erasure.user_id,
            events=erasure.events,
            ratings=erasure.ratings,
            labels=erasure.labels,
            consent_records=erasure.consent_records,
            conversations=erasure.conversations,
            flywheel_sessions=erasure.flywheel_sessions,
            flywheel_questions=erasure.flywheel_questions,
            ticket_examples=erasure.ticket_examples,
        )
