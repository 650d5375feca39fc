"""What users do (events), what they say about answers (feedback) and what they allow (consent).

Events and feedback are the learning loop's inputs (seed 001 §1.4, §4). A user who withdrew consent
keeps using Luna, but the learning job leaves their events and feedback out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """The seed's types plus ``dislike`` (the recommender never shows what a user disliked) and
    ``recommend`` (one per ``/recommend`` answer: which strategy served which chunks, so clicks on
    them can be credited to the strategy)."""

    VIEW = "view"
    CLICK = "click"
    LIKE = "like"
    DISLIKE = "dislike"
    SOLVE = "solve"
    ASK = "ask"
    FEEDBACK = "feedback"
    RECOMMEND = "recommend"


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    user_id: str
    ts: datetime
    type: EventType
    item_id: str | None = None
    chunk_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RagFeedback:
    """One rating of one answer. Question, answer and notes are stored redacted (no PII)."""

    feedback_id: str
    user_id: str | None
    ts: datetime
    question: str
    answer: str
    useful: bool
    notes: str | None = None
    chunks_used: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Label:
    """The seed's ``labels`` row: reward +1 (useful) or -1 per item cited in a rated answer."""

    user_id: str
    item_id: str
    ts: datetime
    reward: float
    reason: str | None = None
    chunk_id: str | None = None
    feedback_id: str | None = None


#: The consent scope the learning loop asks for.
LEARNING_SCOPE = "learning"


@dataclass(frozen=True, slots=True)
class Consent:
    """The newest record per user and scope wins; no record means ``learning.consent_default``."""

    user_id: str
    scope: str
    granted: bool
    ts: datetime
