"""Conversation sessions as the flywheel keeps them: pseudonymous, redacted, one revision per change.

A session arrives from outside (an n8n workflow, a chat front end) or from Luna's own ``/rag/ask``.
Before anything is stored, the external user ID becomes a keyed-hash pseudonym and every free text
(question, answer, note) goes through :func:`luna.domain.privacy.redact_text`; the raw forms never
reach the database. The content hash is taken over the redacted form, so a resend of the same session
is recognised as such (nothing changes) and a changed resend becomes the next revision.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final

from luna.domain.privacy import redact_text

#: The ``source`` of sessions that come from Luna's own ``/rag/ask`` (their ID the conversation's).
OWN_SOURCE: Final = "luna"


@dataclass(frozen=True, slots=True)
class SessionTurn:
    """One question and Luna's (or another assistant's) answer, with what the user said about it."""

    question: str
    answer: str
    asked_at: datetime
    cited_chunk_ids: tuple[str, ...] = ()
    #: +1 (useful), -1 (not useful), None (not rated).
    rating: int | None = None
    note: str | None = None
    refused: bool | None = None
    latency_ms: float | None = None
    retrieval_score: float | None = None
    topic: str | None = None
    #: The answer states a number that no cited source holds (None: not checked).
    unsupported_numbers: bool | None = None


@dataclass(frozen=True, slots=True)
class IncomingSession:
    """A session as a client sends it: the user's own ID, raw texts."""

    session_id: str
    source: str
    external_user_id: str
    consent: bool
    turns: tuple[SessionTurn, ...]
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as it is kept: a pseudonym instead of the user ID, redacted texts, its revision."""

    session_id: str
    source: str
    user_ref: str
    key_id: str
    revision: int
    content_sha256: str
    received_at: datetime
    turns: tuple[SessionTurn, ...]
    started_at: datetime | None = None
    #: How many findings of each PII kind redaction replaced (``{"E-MAIL": 1}``), never what they were.
    redactions: dict[str, int] = field(default_factory=dict)


def pseudonym(key: bytes, key_id: str, external_user_id: str) -> str:
    """A stable pseudonym: the same user under the same key always maps to the same reference.

    Keyed (HMAC-SHA256), so nobody without the key can test a guessed e-mail address against stored
    pseudonyms; the key ID travels with it, so a rotated key leaves old pseudonyms recognisable as such.
    """
    digest = hmac.new(key, external_user_id.strip().casefold().encode("utf-8"), hashlib.sha256)
    return f"{key_id}:{digest.hexdigest()[:32]}"


def redacted_turns(turns: tuple[SessionTurn, ...]) -> tuple[tuple[SessionTurn, ...], dict[str, int]]:
    """Every free text of every turn redacted, and the count of what was replaced, by kind."""
    found: Counter[str] = Counter()

    def clean(text: str) -> str:
        redaction = redact_text(text)
        found.update({kind.value: count for kind, count in redaction.found.items()})
        return redaction.text

    cleaned = tuple(
        SessionTurn(
            question=clean(turn.question),
            answer=clean(turn.answer),
            asked_at=turn.asked_at,
            cited_chunk_ids=turn.cited_chunk_ids,
            rating=turn.rating,
            note=None if turn.note is None else clean(turn.note),
            refused=turn.refused,
            latency_ms=turn.latency_ms,
            retrieval_score=turn.retrieval_score,
            topic=turn.topic,
            unsupported_numbers=turn.unsupported_numbers,
        )
        for turn in turns
    )
    return cleaned, dict(found)


def content_sha256(user_ref: str, turns: tuple[SessionTurn, ...], started_at: datetime | None) -> str:
    """The hash a resend is compared by: what would be stored, in a canonical JSON form."""
    document = {
        "user_ref": user_ref,
        "started_at": None if started_at is None else started_at.isoformat(),
        "turns": [turn_to_json(turn) for turn in turns],
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def turn_to_json(turn: SessionTurn) -> dict[str, Any]:
    data = asdict(turn)
    data["asked_at"] = turn.asked_at.isoformat()
    data["cited_chunk_ids"] = list(turn.cited_chunk_ids)
    return data


def turn_from_json(data: dict[str, Any]) -> SessionTurn:
    return SessionTurn(
        question=data["question"],
        answer=data["answer"],
        asked_at=datetime.fromisoformat(data["asked_at"]),
        cited_chunk_ids=tuple(data.get("cited_chunk_ids") or ()),
        rating=data.get("rating"),
        note=data.get("note"),
        refused=data.get("refused"),
        latency_ms=data.get("latency_ms"),
        retrieval_score=data.get("retrieval_score"),
        topic=data.get("topic"),
        unsupported_numbers=data.get("unsupported_numbers"),
    )
