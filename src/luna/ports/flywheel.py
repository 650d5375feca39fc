"""What the data flywheel keeps (service accounts, sessions, the consentless count, KPI values, alert
states) and where it sends alerts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from luna.domain.flywheel.accounts import ServiceAccount
from luna.domain.flywheel.alerts import AlertChange, AlertState
from luna.domain.flywheel.kpi_values import KpiValue
from luna.domain.flywheel.sentiment_judge import SentimentLabel
from luna.domain.flywheel.sessions import StoredSession


class ServiceAccountRepository(Protocol):
    def add(self, account: ServiceAccount) -> None:
        """A name that exists already raises ``Conflict``."""
        ...

    def by_key(self, key_sha256: str) -> ServiceAccount | None: ...

    def get(self, account_id: str) -> ServiceAccount | None: ...

    def list(self) -> Sequence[ServiceAccount]:
        """Every account, revoked ones included, oldest first."""
        ...

    def revoke(self, account_id: str, at: datetime) -> bool:
        """Revoke the active account; False when it was revoked already (its first time is kept)."""
        ...

    def touch(self, account_id: str, at: datetime) -> None:
        """Record a use of the account's key."""
        ...


class SessionRepository(Protocol):
    def current(self, source: str, session_id: str) -> StoredSession | None:
        """The newest revision of the session, or None when it never arrived."""
        ...

    def add(self, session: StoredSession) -> None:
        """Store ``session`` as its newest revision; an earlier one stops being current."""
        ...

    def count_consentless(self, day: date, source: str) -> None:
        """One more session without consent arrived (it is not stored)."""
        ...

    def consentless(self, since: date) -> dict[str, int]:
        """Sessions without consent since ``since`` (a UTC day), by source."""
        ...

    def count(self) -> int:
        """Current sessions (each session once, whatever its revisions)."""
        ...

    def current_between(
        self, start: datetime, end: datetime, *, batch: int = 1_000
    ) -> Iterator[StoredSession]:
        """Current sessions whose last turn lies in ``[start, end)``, read in batches."""
        ...

    def questions_of(self, user_ref: str) -> set[str]:
        """Every question in the pseudonymous user's sessions, every revision (what erasure takes out of
        the tickets' example questions)."""
        ...

    def delete_for_user(self, user_ref: str) -> int:
        """Erase every revision of every session of this pseudonym; returns how many rows went."""
        ...

    def delete_session(self, source: str, session_id: str) -> int:
        """Erase every revision of one session; returns how many rows went."""
        ...

    def serialise_writes(self) -> None:
        """Hold the sessions' write lock until the transaction ends (an advisory lock on PostgreSQL;
        SQLite's write transactions are serial already), so that an ingest re-reading a conversation
        and its user's consent and a deletion or withdrawal erasing its session cannot interleave."""
        ...

    def set_topics(self, topics: Sequence[tuple[str, str, int, str]]) -> int:
        """Give turns of current sessions, as ``(source, session_id, position, topic)``, their topic where
        they have none yet (a topic once given stays); returns how many turns got one."""
        ...


class KpiRepository(Protocol):
    def put(self, values: Sequence[KpiValue], computed_at: datetime) -> None:
        """Store the values; a value for a bucket that exists replaces it."""
        ...

    def latest(self) -> Sequence[KpiValue]:
        """The newest bucket of every KPI, window and scope."""
        ...

    def series(self, kpi: str, window: str, scope: str, since: datetime) -> Sequence[KpiValue]:
        """One KPI's values since ``since``, oldest first."""
        ...


class AlertRepository(Protocol):
    def states(self) -> dict[tuple[str, str], AlertState]:
        """The state of every (threshold, scope) pair seen so far."""
        ...

    def put_states(self, states: Iterable[AlertState]) -> None:
        """Store the states; a pair that exists is replaced."""
        ...

    def add_changes(self, changes: Sequence[AlertChange]) -> None: ...

    def changes(self, *, limit: int) -> Sequence[AlertChange]:
        """The newest changes first."""
        ...


class AlertNotifier(Protocol):
    """Where alert changes are sent besides the log (an Alertmanager or any webhook)."""

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver one payload; raises ``Unavailable`` when the receiver cannot be reached."""
        ...


class SentimentLabelRepository(Protocol):
    """Sentiments a judge (a chat model, by name) gave feedback texts, keyed by the text's SHA-256."""

    def get_many(self, judge: str, text_sha256s: Sequence[str]) -> dict[str, SentimentLabel]: ...

    def put_many(self, judge: str, labels: Sequence[tuple[str, SentimentLabel]], at: datetime) -> None:
        """Store the labels; a text judged again by the same judge keeps its first label."""
        ...
