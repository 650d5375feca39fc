"""The admin mark of a dashboard session: it holds for ``web.session_hours`` from the login, and only
for the admin key configured now (an open tab keeps its session however old its cookie is)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from luna.domain.login_throttle import LoginThrottle
from luna.web import session

KEY = "admin-key-0123456789abcdef"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One browser's stored record, the settings and a clock the test moves."""
    record: dict[str, Any] = {}
    now = [1_000_000.0]
    context = SimpleNamespace(
        settings=SimpleNamespace(
            auth=SimpleNamespace(admin_api_key=SecretStr(KEY)), web=SimpleNamespace(session_hours=2.0)
        ),
        session_secret="session-secret",
        container=SimpleNamespace(admin_key_throttle=LoginThrottle()),
    )
    monkeypatch.setattr(session, "_store", lambda: record)
    monkeypatch.setattr(session, "web_context", lambda: context)
    monkeypatch.setattr(session.time, "time", lambda: now[0])
    return {"record": record, "now": now, "context": context}


def test_the_admin_login_ends_after_the_session_hours(browser: dict[str, Any]) -> None:
    session.log_in_admin(KEY, "127.0.0.1")
    browser["now"][0] += 2 * 3600 - 1
    assert session.is_admin()

    browser["now"][0] += 2
    assert not session.is_admin()
    assert "admin" not in browser["record"]  # forgotten, not only refused


def test_a_changed_admin_key_or_an_older_mark_is_no_login(browser: dict[str, Any]) -> None:
    session.log_in_admin(KEY, "127.0.0.1")
    browser["context"].settings.auth.admin_api_key = SecretStr("another-key-0123456789abcd")
    assert not session.is_admin()

    browser["record"]["admin"] = "a-fingerprint-as-earlier-versions-kept-it"
    assert not session.is_admin()
