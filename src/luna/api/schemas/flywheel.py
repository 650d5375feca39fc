"""Bodies of the flywheel routes: the session webhook, service accounts and stored sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.flywheel.sessions import OWN_SOURCE, IncomingSession, SessionTurn, StoredSession
from luna.services.flywheel.sessions import IngestResult
from luna.services.learning.events import EARLIEST_TS, FUTURE_TOLERANCE

#: Hard limits of the schema; ``flywheel.max_turns`` / ``max_text_chars`` may set lower ones.
MAX_TURNS = 10_000
MAX_TEXT = 200_000
MAX_BATCH = 10_000
#: A sender's ID, as it is read back in a URL path segment (``/flywheel/sessions/{source}/{session_id}``):
#: no "/", and no leading dot (".." would be a path step).
_ID = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_:@-][A-Za-z0-9._:@-]*$")]
_CHUNK_ID = Annotated[str, Field(min_length=1, max_length=80)]


def _not_own_source(source: str) -> str:
    """Luna's own conversations come in as source ``luna``: a webhook that used it could revise them,
    or erase one by sending it without consent."""
    if source == OWN_SOURCE:
        raise ValueError(f"'{OWN_SOURCE}' is the source of Luna's own conversations; name your sender")
    return source


def _observed(moment: datetime) -> datetime:
    """A time the sender saw happen obeys the rule ``/events`` applies to ``ts`` (its constants): from
    2000 on, ahead of the clock by no more than clocks drift. Year 1 or 9999 with an offset parses but
    has no UTC (the database column's conversion raised ``OverflowError``: a 500), and nothing a user
    asked Luna lies before 2000 or ahead; refused here, either is a 400 naming the field, before
    anything is stored. The value is kept as sent: a resend must hash the same."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if utc < EARLIEST_TS:
        raise ValueError(f"lies before {EARLIEST_TS.date().isoformat()}")
    now = datetime.now(UTC)
    if utc > now + FUTURE_TOLERANCE:
        raise ValueError(f"lies in the future (after {now.isoformat(timespec='seconds')})")
    return moment


#: An aware time between 2000-01-01 and a few minutes from now, as ``/events`` accepts for ``ts``.
ObservedTime = Annotated[AwareDatetime, AfterValidator(_observed)]
_RANGE = (
    f"from {EARLIEST_TS.date().isoformat()} on and at most "
    f"{FUTURE_TOLERANCE.total_seconds() / 60:g} minutes ahead of Luna's clock"
)

_SESSION_EXAMPLE: dict[str, Any] = {
    "session_id": "n8n-2026-11-23-0042",
    "user_id": "kunde-4711@example.org",
    "consent": True,
    "source": "n8n",
    "started_at": "2026-11-23T09:14:00Z",
    "turns": [
        {
            "question": "Was kostet die Netznutzung pro Kilowattstunde?",
            "answer": "Für Haushalte 8,12 ct/kWh [chunk 6f1c2a4e-0d7b-4b8e-9a51-3c2d1e0f9a87].",
            "asked_at": "2026-11-23T09:14:05Z",
            "cited_chunk_ids": ["6f1c2a4e-0d7b-4b8e-9a51-3c2d1e0f9a87"],
            "rating": 1,
            "note": "Genau das wollte ich wissen, danke!",
            "latency_ms": 420,
        }
    ],
}


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_TEXT)
    answer: str = Field(max_length=MAX_TEXT)
    asked_at: ObservedTime = Field(
        description=f"When the question was asked (ISO 8601 with offset), {_RANGE}"
    )
    cited_chunk_ids: list[_CHUNK_ID] = Field(default_factory=list, max_length=50)
    rating: Literal[-1, 1] | None = Field(default=None, description="1 useful, -1 not useful, null unrated")
    note: str | None = Field(
        default=None, max_length=MAX_TEXT, description="What the user wrote with the rating"
    )
    refused: StrictBool | None = Field(default=None, description="The assistant declined to answer")
    latency_ms: float | None = Field(default=None, ge=0, le=3_600_000)
    retrieval_score: float | None = Field(default=None, ge=-1, le=100)
    topic: str | None = Field(default=None, min_length=1, max_length=80)
    unsupported_numbers: StrictBool | None = Field(
        default=None, description="The answer states a number no cited source holds (null: not checked)"
    )

    def to_domain(self) -> SessionTurn:
        return SessionTurn(
            question=self.question,
            answer=self.answer,
            asked_at=self.asked_at,
            cited_chunk_ids=tuple(self.cited_chunk_ids),
            rating=self.rating,
            note=self.note,
            refused=self.refused,
            latency_ms=self.latency_ms,
            retrieval_score=self.retrieval_score,
            topic=self.topic,
            unsupported_numbers=self.unsupported_numbers,
        )


class SessionIn(BaseModel):
    """One conversation as an n8n workflow (or any client) sends it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SESSION_EXAMPLE]})

    session_id: _ID = Field(description="The sender's ID of the session; a resend with it is recognised")
    user_id: str = Field(
        min_length=1, max_length=200, description="The sender's user ID (stored only as a pseudonym)"
    )
    consent: StrictBool = Field(
        description="The user agreed to their conversation being used; false: counted only"
    )
    source: Annotated[_ID, AfterValidator(_not_own_source)] = Field(
        default="webhook",
        max_length=40,
        description=f"Where the session comes from (n8n, chat …); '{OWN_SOURCE}' is Luna's own",
    )
    started_at: ObservedTime | None = Field(
        default=None, description=f"When the session began (ISO 8601 with offset), {_RANGE}"
    )
    turns: list[TurnIn] = Field(min_length=1, max_length=MAX_TURNS)

    def to_domain(self) -> IncomingSession:
        return IncomingSession(
            session_id=self.session_id,
            source=self.source,
            external_user_id=self.user_id,
            consent=self.consent,
            turns=tuple(turn.to_domain() for turn in self.turns),
            started_at=self.started_at,
        )


class SessionBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sessions: list[SessionIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResultOut(BaseModel):
    session_id: str
    outcome: Literal["stored", "revised", "unchanged", "not_stored_without_consent"]
    revision: int | None
    redactions: int = Field(description="Personal data found and replaced before storage")

    @classmethod
    def from_result(cls, result: IngestResult) -> IngestResultOut:
        return cls(
            session_id=result.session_id,
            outcome=result.outcome.value,
            revision=result.revision,
            redactions=result.redactions,
        )


class IngestResultsOut(BaseModel):
    results: list[IngestResultOut]


class StoredTurnOut(BaseModel):
    question: str
    answer: str
    asked_at: datetime
    cited_chunk_ids: list[str]
    rating: int | None
    note: str | None
    refused: bool | None
    latency_ms: float | None
    retrieval_score: float | None
    topic: str | None
    unsupported_numbers: bool | None


class StoredSessionOut(BaseModel):
    session_id: str
    source: str
    user_ref: str = Field(description="Pseudonym of the user (keyed hash; the key ID comes first)")
    revision: int
    received_at: datetime
    started_at: datetime | None
    redactions: dict[str, int]
    turns: list[StoredTurnOut]

    @classmethod
    def from_session(cls, session: StoredSession) -> StoredSessionOut:
        return cls(
            session_id=session.session_id,
            source=session.source,
            user_ref=session.user_ref,
            revision=session.revision,
            received_at=session.received_at,
            started_at=session.started_at,
            redactions=session.redactions,
            turns=[
                StoredTurnOut(
                    question=t.question,
                    answer=t.answer,
                    asked_at=t.asked_at,
                    cited_chunk_ids=list(t.cited_chunk_ids),
                    rating=t.rating,
                    note=t.note,
                    refused=t.refused,
                    latency_ms=t.latency_ms,
                    retrieval_score=t.retrieval_score,
                    topic=t.topic,
                    unsupported_numbers=t.unsupported_numbers,
                )
                for t in session.turns
            ],
        )


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=63, description="Lower-case letters, digits, '.', '_', '-'")
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))


class AccountOut(BaseModel):
    account_id: str
    name: str
    scopes: list[str]
    key_hint: str = Field(description="The key's first characters, to tell keys apart")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_account(cls, account: ServiceAccount) -> AccountOut:
        return cls(
            account_id=account.account_id,
            name=account.name,
            scopes=sorted(account.scopes),
            key_hint=account.key_hint,
            created_at=account.created_at,
            created_by=account.created_by,
            revoked_at=account.revoked_at,
            last_used_at=account.last_used_at,
        )


class CreatedAccountOut(AccountOut):
    key: str = Field(description="The key, shown this once: store it now (X-Service-Key)")


class AccountListOut(BaseModel):
    accounts: list[AccountOut]
