"""The flywheel's tables behave the same on SQLite and PostgreSQL: accounts, session revisions,
consentless counts, KPI values replaced per bucket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.domain.errors import Conflict
from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.flywheel.alerts import AlertChange, AlertState
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window, topic_scope
from luna.domain.flywheel.sessions import SessionTurn, StoredSession
from luna.domain.flywheel.thresholds import Severity
from tests.contracts.sql_support import rowless_database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=("sqlite", "postgresql"))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        yield db


def account(name: str, key: str) -> ServiceAccount:
    return ServiceAccount(
        f"id-{name}", name, frozenset({Scope.SESSIONS_WRITE}), key, "luna_sa_ab…", T0, "admin"
    )


def session(session_id: str, revision: int, *, at: datetime = T0, user_ref: str = "k1:abc") -> StoredSession:
    turn = SessionTurn(
        "Was kostet [NAME]?", "8,12 ct/kWh", at, ("c1",), rating=1, note="danke", latency_ms=420.0
    )
    return StoredSession(
        session_id, "n8n", user_ref, "k1", revision, f"sha-{revision}", T0, (turn,), T0, {"NAME": 1}
    )


def test_accounts_round_trip_are_unique_by_name_and_revocable(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.service_accounts.add(account("n8n", "hash-1"))
        uow.commit()
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        uow.service_accounts.add(account("n8n", "hash-2"))
    with database.unit_of_work() as uow:
        uow.service_accounts.touch("id-n8n", T0 + timedelta(minutes=1))
        assert uow.service_accounts.revoke("id-n8n", T0 + timedelta(minutes=2))
        uow.commit()
    with database.unit_of_work() as uow:  # a second revocation keeps the first one's time
        assert not uow.service_accounts.revoke("id-n8n", T0 + timedelta(minutes=3))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        found = uow.service_accounts.by_key("hash-1")
        assert found is not None and found.scopes == frozenset({Scope.SESSIONS_WRITE})
        assert found.last_used_at == T0 + timedelta(minutes=1) and found.revoked_at == T0 + timedelta(
            minutes=2
        )
        assert not found.active
        assert uow.service_accounts.by_key("hash-2") is None
        assert [a.name for a in uow.service_accounts.list()] == ["n8n"]


def test_a_new_revision_becomes_current_and_sessions_count_once(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.sessions.add(session("s1", 1))
        uow.sessions.add(session("s1", 2))
        uow.sessions.add(session("s2", 1, at=T0 + timedelta(days=2)))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        current = uow.sessions.current("n8n", "s1")
        assert current == session("s1", 2)
        assert uow.sessions.current("n8n", "none") is None
        assert uow.sessions.count() == 2
        window = list(uow.sessions.current_between(T0, T0 + timedelta(days=1), batch=1))
        assert [(s.session_id, s.revision) for s in window] == [("s1", 2)]


def test_reading_in_batches_returns_every_session_once(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        for n in range(7):
            uow.sessions.add(session(f"s{n}", 1))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        ids = [s.session_id for s in uow.sessions.current_between(T0, T0 + timedelta(hours=1), batch=3)]
    assert sorted(ids) == [f"s{n}" for n in range(7)]


def test_erasing_one_session_removes_its_revisions_and_no_other_session(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.sessions.add(session("s1", 1))
        uow.sessions.add(session("s1", 2))
        uow.sessions.add(session("s2", 1))
        assert uow.sessions.delete_session("n8n", "s1") == 2
        assert uow.sessions.delete_session("n8n", "s1") == 0
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert (uow.sessions.current("n8n", "s1"), uow.sessions.count()) == (None, 1)


def test_erasing_a_pseudonym_removes_every_revision(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        uow.sessions.add(session("s1", 1))
        uow.sessions.add(session("s1", 2))
        uow.sessions.add(session("s2", 1, user_ref="k1:other"))
        assert uow.sessions.questions_of("k1:abc") == {"Was kostet [NAME]?"}  # what erasure looks for
        assert uow.sessions.questions_of("k1:nobody") == set()
        assert uow.sessions.delete_for_user("k1:abc") == 2
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.sessions.count() == 1


def test_consentless_sessions_are_counted_per_day_and_source(database: SqlDatabase) -> None:
    with database.unit_of_work() as uow:
        for day, source in [
            (date(2026, 11, 22), "n8n"),
            (date(2026, 11, 23), "n8n"),
            (date(2026, 11, 23), "chat"),
        ]:
            uow.sessions.count_consentless(day, source)
        uow.sessions.count_consentless(date(2026, 11, 23), "n8n")
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.sessions.consentless(date(2026, 11, 23)) == {"n8n": 2, "chat": 1}
        assert uow.sessions.consentless(date(2026, 11, 1)) == {"n8n": 3, "chat": 1}


def test_kpi_values_replace_their_bucket_and_the_latest_bucket_is_found(database: SqlDatabase) -> None:
    def value(bucket: datetime, scope: str, v: float) -> KpiValue:
        return KpiValue(Kpi.USEFULNESS_RATE, Window.DAY, bucket, scope, v, 10)

    day1, day2 = T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1)
    with database.unit_of_work() as uow:
        uow.kpis.put([value(day1, ALL, 0.5), value(day2, ALL, 0.6), value(day1, topic_scope("pv"), 0.2)], T0)
        uow.kpis.put([value(day2, ALL, 0.7)], T0 + timedelta(hours=1))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert sorted(uow.kpis.latest(), key=lambda v: v.scope) == [
            value(day2, ALL, 0.7),
            value(day1, "topic:pv", 0.2),
        ]
        assert [v.value for v in uow.kpis.series("usefulness_rate", "day", ALL, day1)] == [0.5, 0.7]
        assert uow.kpis.series("usefulness_rate", "day", ALL, day2 + timedelta(days=1)) == []


def test_alert_states_replace_their_pair_and_changes_list_newest_first(database: SqlDatabase) -> None:
    firing = AlertState("usefulness_day", ALL, Severity.WARNING, 0.5, 30, T0, T0)
    resolved = AlertState(
        "usefulness_day", ALL, None, 0.7, 40, T0 + timedelta(hours=1), T0 + timedelta(hours=1)
    )
    other = AlertState("refusals", topic_scope("pv"), Severity.CRITICAL, 0.6, 20, T0, T0)
    fired = AlertChange("usefulness_day", ALL, None, Severity.WARNING, 0.5, 30, T0, "Hilfreich-Quote")
    ended = AlertChange(
        "usefulness_day", ALL, Severity.WARNING, None, 0.7, 40, T0 + timedelta(hours=1), "Hilfreich-Quote"
    )
    with database.unit_of_work() as uow:
        uow.alerts.put_states([firing, other])
        uow.alerts.add_changes([fired])
        uow.commit()
    with database.unit_of_work() as uow:
        uow.alerts.put_states([resolved])
        uow.alerts.add_changes([ended])
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.alerts.states() == {("usefulness_day", ALL): resolved, ("refusals", "topic:pv"): other}
        assert uow.alerts.changes(limit=10) == [ended, fired]
        assert uow.alerts.changes(limit=1) == [ended]
