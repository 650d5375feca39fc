"""Logging in to the dashboards: tokens and the admin key are checked as the API checks them."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from pydantic import SecretStr

from luna.settings import AuthSettings, Settings, WebSettings
from luna.web.credentials import LoginRefused, check_admin_key, key_fingerprint, login_with_token
from luna.web.mount import session_secret

SECRET = "jwt-secret-0123456789abcdef-0123456789"
AUTH = AuthSettings(jwt_secret=SecretStr(SECRET), admin_api_key=SecretStr("admin-key-0123456789"))


def _token(claims: dict[str, object], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def test_a_valid_token_logs_in_its_user_until_it_expires() -> None:
    user = str(uuid.uuid4())
    expires = int(time.time()) + 600

    login = login_with_token(f"Bearer {_token({'sub': user.upper(), 'exp': expires})}", AUTH)

    assert login.user_id == user and login.expires_at == expires


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (_token({"sub": str(uuid.uuid4()), "exp": 1}), "abgelaufen"),
        (
            _token({"sub": str(uuid.uuid4()), "exp": int(time.time()) + 86_400}, "x" * 40),
            "ungültig",
        ),
        (_token({"sub": str(uuid.uuid4())}), "ungültig"),
        (_token({"sub": "not-a-uuid", "exp": int(time.time()) + 86_400}), "keine gültige Benutzer-ID"),
        ("   ", "fügen Sie Ihr Zugangs-Token ein"),
    ],
)
def test_a_bad_token_is_refused_with_a_german_reason(token: str, reason: str) -> None:
    with pytest.raises(LoginRefused, match=reason):
        login_with_token(token, AUTH)


def test_tokens_are_refused_when_no_secret_is_configured() -> None:
    with pytest.raises(LoginRefused, match="nicht eingerichtet"):
        login_with_token(_token({"sub": str(uuid.uuid4()), "exp": int(time.time()) + 86_400}), AuthSettings())


def test_only_the_configured_admin_key_passes() -> None:
    check_admin_key(" admin-key-0123456789 ", AUTH)
    with pytest.raises(LoginRefused, match="nicht korrekt"):
        check_admin_key("admin-key-0123456780", AUTH)
    with pytest.raises(LoginRefused, match="nicht eingerichtet"):
        check_admin_key("admin-key-0123456789", AuthSettings())


def test_a_session_keeps_a_fingerprint_that_changes_with_the_key() -> None:
    first = key_fingerprint("admin-key-0123456789", "session-secret")

    assert "admin-key" not in first
    assert first == key_fingerprint("admin-key-0123456789", "session-secret")
    assert first != key_fingerprint("admin-key-0123456780", "session-secret")


def test_the_session_secret_is_the_setting_or_derived_from_the_jwt_secret() -> None:
    derived = session_secret(Settings(auth=AUTH))
    configured = session_secret(Settings(auth=AUTH, web=WebSettings(storage_secret=SecretStr("w" * 20))))

    assert derived == session_secret(Settings(auth=AUTH)) and SECRET not in derived
    assert configured == "w" * 20
