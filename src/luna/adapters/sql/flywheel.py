"""The flywheel's tables: service accounts, sessions with their revisions, consentless counts, KPIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables_flywheel import (
    flywheel_consentless,
    flywheel_sessions,
    kpi_values,
    service_accounts,
)
from luna.domain.errors import Conflict
from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.flywheel.kpi_values import Kpi, KpiValue, Window
from luna.domain.flywheel.sessions import StoredSession, turn_from_json, turn_to_json


class SqlServiceAccountRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, account: ServiceAccount) -> None:
        connection = self._connection()
        taken = sa.select(service_accounts.c.account_id).where(service_accounts.c.name == account.name)
        if connection.execute(taken).first() is not None:
            raise Conflict(f"A service account named {account.name!r} exists already.")
        connection.execute(
            sa.insert(service_accounts).values(
                account_id=account.account_id,
                name=account.name,
                scopes=sorted(account.scopes),
                key_sha256=account.key_sha256,
                key_hint=account.key_hint,
                created_at=account.created_at,
                created_by=account.created_by,
                revoked_at=account.revoked_at,
                last_used_at=account.last_used_at,
            )
        )

    def by_key(self, key_sha256: str) -> ServiceAccount | None:
        return self._one(service_accounts.c.key_sha256 == key_sha256)

    def get(self, account_id: str) -> ServiceAccount | None:
        return self._one(service_accounts.c.account_id == account_id)

    def list(self) -> Sequence[ServiceAccount]:
        statement = sa.select(service_accounts).order_by(
            service_accounts.c.created_at, service_accounts.c.name
        )
        return [_to_account(row) for row in self._connection().execute(statement)]

    def revoke(self, account_id: str, at: datetime) -> bool:
        revoked = self._connection().execute(
            sa.update(service_accounts)
            .where(service_accounts.c.account_id == account_id, service_accounts.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(service_accounts.c.account_id)
        )
        return revoked.first() is not None

    def touch(self, account_id: str, at: datetime) -> None:
        self._connection().execute(
            sa.update(service_accounts)
            .where(service_accounts.c.account_id == account_id)
            .values(last_used_at=at)
        )

    def _one(self, condition: sa.ColumnElement[bool]) -> ServiceAccount | None:
        row = self._connection().execute(sa.select(service_accounts).where(condition)).first()
        return None if row is None else _to_account(row)


def _to_account(row: sa.Row[Any]) -> ServiceAccount:
    return ServiceAccount(
        account_id=row.account_id,
        name=row.name,
        scopes=frozenset(Scope(scope) for scope in row.scopes),
        key_sha256=row.key_sha256,
        key_hint=row.key_hint,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


#: The advisory lock key of session writes and erasures ("LUNS").
SESSION_WRITES_LOCK = 0x4C554E53


class SqlSessionRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def serialise_writes(self) -> None:
        """PostgreSQL: the advisory lock. SQLite: a first statement, which opens the transaction with
        ``BEGIN IMMEDIATE`` and so takes the database's write lock now, not at the first write."""
        connection = self._connection()
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SESSION_WRITES_LOCK})
        else:
            connection.execute(sa.text("SELECT 1"))

    def current(self, source: str, session_id: str) -> StoredSession | None:
        """The newest revision, found through the primary key.

        Not by ``current IS TRUE``: SQLite then walks the index on ``current``, every current session
        of the table per lookup (measured: ingest fell from 250 to 32 sessions/s at 32,000 sessions).
        """
        statement = (
            sa.select(flywheel_sessions)
            .where(flywheel_sessions.c.source == source, flywheel_sessions.c.session_id == session_id)
            .order_by(flywheel_sessions.c.revision.desc())
            .limit(1)
        )
        row = self._connection().execute(statement).first()
        return None if row is None else _to_session(row)

    def add(self, session: StoredSession) -> None:
        connection = self._connection()
        connection.execute(
            sa.update(flywheel_sessions)
            .where(
                flywheel_sessions.c.source == session.source,
                flywheel_sessions.c.session_id == session.session_id,
                flywheel_sessions.c.revision < session.revision,
            )
            .values(current=False)
        )
        connection.execute(
            sa.insert(flywheel_sessions).values(
                source=session.source,
                session_id=session.session_id,
                revision=session.revision,
                user_ref=session.user_ref,
                key_id=session.key_id,
                content_sha256=session.content_sha256,
                received_at=session.received_at,
                started_at=session.started_at,
                last_turn_at=max((turn.asked_at for turn in session.turns), default=None),
                current=True,
                turns=[turn_to_json(turn) for turn in session.turns],
                redactions=session.redactions,
            )
        )

    def count_consentless(self, day: date, source: str) -> None:
        insert = dialect_insert(self._connection(), flywheel_consentless).values(
            day=day, source=source, sessions=1
        )
        self._connection().execute(
            insert.on_conflict_do_update(
                index_elements=["day", "source"],
                set_={"sessions": flywheel_consentless.c.sessions + 1},
            )
        )

    def consentless(self, since: date) -> dict[str, int]:
        statement = (
            sa.select(flywheel_consentless.c.source, sa.func.sum(flywheel_consentless.c.sessions))
            .where(flywheel_consentless.c.day >= since)
            .group_by(flywheel_consentless.c.source)
        )
        return {source: int(total) for source, total in self._connection().execute(statement)}

    def count(self) -> int:
        statement = sa.select(sa.func.count()).where(flywheel_sessions.c.current.is_(True))
        return int(self._connection().execute(statement).scalar_one())

    def current_between(
        self, start: datetime, end: datetime, *, batch: int = 1_000
    ) -> Iterator[StoredSession]:
        table = flywheel_sessions
        after: tuple[str, str] = ("", "")
        while True:
            statement = (
                sa.select(table)
                .where(
                    table.c.current.is_(True),
                    table.c.last_turn_at >= start,
                    table.c.last_turn_at < end,
                    sa.tuple_(table.c.source, table.c.session_id) > sa.tuple_(*after),
                )
                .order_by(table.c.source, table.c.session_id)
                .limit(batch)
            )
            rows = self._connection().execute(statement).all()
            yield from (_to_session(row) for row in rows)
            if len(rows) < batch:
                return
            after = (rows[-1].source, rows[-1].session_id)

    def questions_of(self, user_ref: str) -> set[str]:
        statement = sa.select(flywheel_sessions.c.turns).where(flywheel_sessions.c.user_ref == user_ref)
        rows = self._connection().execute(statement)
        return {str(turn["question"]) for row in rows for turn in row.turns if turn.get("question")}

    def delete_for_user(self, user_ref: str) -> int:
        statement = sa.delete(flywheel_sessions).where(flywheel_sessions.c.user_ref == user_ref)
        return len(self._connection().execute(statement.returning(flywheel_sessions.c.revision)).all())

    def delete_session(self, source: str, session_id: str) -> int:
        table = flywheel_sessions
        statement = sa.delete(table).where(table.c.source == source, table.c.session_id == session_id)
        return len(self._connection().execute(statement.returning(table.c.revision)).all())

    def set_topics(self, topics: Sequence[tuple[str, str, int, str]]) -> int:
        return _set_topics(self._connection(), topics)


def _set_topics(connection: sa.Connection, topics: Sequence[tuple[str, str, int, str]]) -> int:
    wanted: dict[tuple[str, str], dict[int, str]] = {}
    for source, session_id, position, topic in topics:
        wanted.setdefault((source, session_id), {})[position] = topic
    table, given = flywheel_sessions, 0
    for (source, session_id), positions in wanted.items():
        key = (table.c.source == source, table.c.session_id == session_id)  # the primary key's prefix
        newest = sa.select(table.c.revision, table.c.turns).where(*key).order_by(table.c.revision.desc())
        row = connection.execute(newest.limit(1)).first()
        if row is None:
            continue
        turns = [dict(turn) for turn in row.turns]
        for position, topic in positions.items():
            if position < len(turns) and not turns[position].get("topic"):
                turns[position]["topic"] = topic
                given += 1
        connection.execute(sa.update(table).where(*key, table.c.revision == row.revision).values(turns=turns))
    return given


def _to_session(row: sa.Row[Any]) -> StoredSession:
    return StoredSession(
        session_id=row.session_id,
        source=row.source,
        user_ref=row.user_ref,
        key_id=row.key_id,
        revision=row.revision,
        content_sha256=row.content_sha256,
        received_at=row.received_at,
        started_at=row.started_at,
        turns=tuple(turn_from_json(turn) for turn in row.turns),
        redactions=dict(row.redactions),
    )


class SqlKpiRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def put(self, values: Sequence[KpiValue], computed_at: datetime) -> None:
        if not values:
            return
        rows = [
            {
                "kpi": value.kpi.value,
                "window": value.window.value,
                "bucket_start": value.bucket_start,
                "scope": value.scope,
                "value": value.value,
                "samples": value.samples,
                "computed_at": computed_at,
            }
            for value in values
        ]
        insert = dialect_insert(self._connection(), kpi_values)
        statement = insert.on_conflict_do_update(
            index_elements=["kpi", "window", "bucket_start", "scope"],
            set_={name: insert.excluded[name] for name in ("value", "samples", "computed_at")},
        )
        self._connection().execute(statement, rows)

    def latest(self) -> Sequence[KpiValue]:
        newest = (
            sa.select(
                kpi_values.c.kpi,
                kpi_values.c.window,
                kpi_values.c.scope,
                sa.func.max(kpi_values.c.bucket_start).label("bucket_start"),
            )
            .group_by(kpi_values.c.kpi, kpi_values.c.window, kpi_values.c.scope)
            .subquery()
        )
        statement = sa.select(kpi_values).join(
            newest,
            sa.and_(
                kpi_values.c.kpi == newest.c.kpi,
                kpi_values.c.window == newest.c.window,
                kpi_values.c.scope == newest.c.scope,
                kpi_values.c.bucket_start == newest.c.bucket_start,
            ),
        )
        rows = self._connection().execute(
            statement.order_by(kpi_values.c.kpi, kpi_values.c.window, kpi_values.c.scope)
        )
        return [_to_value(row) for row in rows]

    def series(self, kpi: str, window: str, scope: str, since: datetime) -> Sequence[KpiValue]:
        statement = (
            sa.select(kpi_values)
            .where(
                kpi_values.c.kpi == kpi,
                kpi_values.c.window == window,
                kpi_values.c.scope == scope,
                kpi_values.c.bucket_start >= since,
            )
            .order_by(kpi_values.c.bucket_start)
        )
        return [_to_value(row) for row in self._connection().execute(statement)]


def _to_value(row: sa.Row[Any]) -> KpiValue:
    return KpiValue(
        kpi=Kpi(row.kpi),
        window=Window(row.window),
        bucket_start=row.bucket_start,
        scope=row.scope,
        value=float(row.value),
        samples=int(row.samples),
    )
