"""Who is logged in to the dashboards, kept in the session of the browser.

NiceGUI's ``app.storage.user`` is a server-side record per browser, found by a signed session
cookie. It holds a customer (user ID, how they logged in and, for a token, when it expires) and
an admin mark (a fingerprint of the admin key, never the key). Every page checks the record again
against the settings, so an expired token, a changed admin key or a dev login after
``auth.allow_dev_user`` was switched off ends the session at the next page.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from nicegui import app

from luna.domain.errors import RateLimited
from luna.domain.german_numbers import de_count
from luna.web.context import web_context
from luna.web.credentials import (
    LoginRefused,
    TokenLogin,
    check_admin_key,
    key_fingerprint,
    normalized_user_id,
)

_CUSTOMER = "customer"
_ADMIN = "admin"
_RECENT_DEV_USERS = "recent_dev_users"
_MAX_RECENT = 5
_REVIEWER = "reviewer"
#: The longest reviewer name the dashboards keep.
MAX_REVIEWER_NAME = 80

LoginKind = Literal["jwt", "dev"]


@dataclass(frozen=True, slots=True)
class Customer:
    user_id: str
    via: LoginKind


def _store() -> Any:
    return app.storage.user


def current_customer() -> Customer | None:
    """The logged-in customer, if their login is still valid (an invalid one is forgotten)."""
    record = _store().get(_CUSTOMER)
    if not isinstance(record, dict):
        return None
    auth = web_context().settings.auth
    via: LoginKind | None = record.get("via")
    expires_at = record.get("expires_at")
    valid = (via == "dev" and auth.allow_dev_user) or (
        via == "jwt" and isinstance(expires_at, (int, float)) and expires_at > time.time()
    )
    if via is None or not valid or not isinstance(record.get("user_id"), str):
        _store().pop(_CUSTOMER, None)
        return None
    return Customer(user_id=record["user_id"], via=via)


def log_in_with_token(login: TokenLogin) -> None:
    _store()[_CUSTOMER] = {"user_id": login.user_id, "via": "jwt", "expires_at": login.expires_at}


def log_in_dev_user(user_id: str) -> str:
    """Log in as ``user_id`` (development only) and remember it among the recent dev users."""
    canonical = normalized_user_id(user_id)
    _store()[_CUSTOMER] = {"user_id": canonical, "via": "dev", "expires_at": None}
    recent = [canonical, *(u for u in recent_dev_users() if u != canonical)][:_MAX_RECENT]
    _store()[_RECENT_DEV_USERS] = recent
    return canonical


def recent_dev_users() -> list[str]:
    recent = _store().get(_RECENT_DEV_USERS)
    return [u for u in recent if isinstance(u, str)] if isinstance(recent, list) else []


def log_out_customer() -> None:
    _store().pop(_CUSTOMER, None)


def is_admin() -> bool:
    """Whether this browser logged in with the admin key that is configured now, within the last
    ``web.session_hours``. The cookie's age alone does not end an admin tab that stays open: its
    connection keeps the session it was opened with, so the login's own time is checked here."""
    login = _store().get(_ADMIN)
    context = web_context()
    expected = context.settings.auth.admin_api_key
    if not isinstance(login, dict) or expected is None:
        return False
    current = key_fingerprint(expected.get_secret_value(), context.session_secret)
    since = login.get("since")
    fresh = (
        isinstance(since, (int, float)) and time.time() - since < context.settings.web.session_hours * 3600
    )
    if login.get("key") != current or not fresh:
        _store().pop(_ADMIN, None)
        return False
    return True


def log_in_admin(key: str, client: str) -> None:
    """Log in with the admin key (raises LoginRefused with a German reason).

    ``client`` (the browser's address) is throttled like the API's admin-key checks, so the login
    form cannot be used to guess the key at full speed either.
    """
    context = web_context()
    throttle = context.container.admin_key_throttle
    try:
        throttle.check(client)
    except RateLimited as limited:
        wait = de_count(math.ceil(float(limited.details["retry_after_sec"])), "Sekunde", "Sekunden")
        raise LoginRefused(
            f"Zu viele falsche Schlüssel von dieser Adresse. Bitte warten Sie {wait}."
        ) from None
    try:
        check_admin_key(key, context.settings.auth)
    except LoginRefused:
        throttle.failed(client)
        raise
    throttle.succeeded(client)
    _store()[_ADMIN] = {"key": key_fingerprint(key.strip(), context.session_secret), "since": time.time()}


def log_out_admin() -> None:
    _store().pop(_ADMIN, None)


def reviewer_name() -> str | None:
    """The name this browser reviews fine-tuned answers under, when one was given.

    The admin login knows a key, not a person; a name per browser lets several people vote on the same
    version, each counted once, which is what validating the reference judge against people needs.
    """
    name = _store().get(_REVIEWER)
    return name if isinstance(name, str) and name else None


def remember_reviewer_name(name: str) -> str | None:
    """Keep ``name`` (spaces collapsed, control characters dropped, at most :data:`MAX_REVIEWER_NAME`
    characters); empty forgets it."""
    cleaned = " ".join("".join(c for c in name if c.isprintable() or c.isspace()).split())[:MAX_REVIEWER_NAME]
    if cleaned:
        _store()[_REVIEWER] = cleaned
    else:
        _store().pop(_REVIEWER, None)
    return cleaned or None
