"""Checking what a person types into a login form: a customer token or the admin key.

The rules are the API's (:mod:`luna.api.auth`): HS256 tokens with ``sub`` (a user UUID) and ``exp``,
the admin key compared in constant time, and a secret that is not configured closes its way in.
They are restated here because the dashboards may not import the API layer; the refusals are
German sentences for the login form.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

import jwt

from luna.domain.users import PLACEHOLDER_USER_IDS
from luna.settings import AuthSettings


class LoginRefused(Exception):
    """The credentials do not let this person in; ``str(error)`` is the German reason."""


@dataclass(frozen=True, slots=True)
class TokenLogin:
    user_id: str
    #: Unix time at which the token (and with it the dashboard login) ends.
    expires_at: float


def normalized_user_id(value: str) -> str:
    """``value`` as a canonical user UUID, or a refusal saying what a user ID looks like (or, when the
    field is empty, asking for one, as the token and admin-key logins do)."""
    if not value or not value.strip():
        raise LoginRefused("Bitte geben Sie Ihre Benutzer-ID ein.")
    try:
        user_id = uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        user_id = None
    if user_id is None or user_id in PLACEHOLDER_USER_IDS:
        raise LoginRefused(
            "Das ist keine gültige Benutzer-ID (erwartet wird eine UUID wie "
            "3f2b8c1e-5d4a-4b7e-9c1a-2e6f8d0b7a91)."
        )
    return str(user_id)


def login_with_token(token: str, auth: AuthSettings) -> TokenLogin:
    """The customer a pasted token names, if the token is valid now."""
    if auth.jwt_secret is None:
        raise LoginRefused(
            "Die Anmeldung mit Token ist nicht eingerichtet (kein JWT-Schlüssel konfiguriert)."
        )
    cleaned = token.strip().removeprefix("Bearer ").strip()
    if not cleaned:
        raise LoginRefused("Bitte fügen Sie Ihr Zugangs-Token ein.")
    try:
        claims = jwt.decode(
            cleaned,
            auth.jwt_secret.get_secret_value(),
            algorithms=[auth.jwt_algorithm],
            leeway=auth.jwt_leeway_sec,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise LoginRefused("Dieses Token ist abgelaufen. Bitte fordern Sie ein neues an.") from None
    except jwt.PyJWTError:
        raise LoginRefused(
            "Dieses Token ist ungültig. Bitte prüfen Sie, ob es vollständig kopiert wurde."
        ) from None
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise LoginRefused("Dieses Token nennt keinen Benutzer.")
    return TokenLogin(user_id=normalized_user_id(subject), expires_at=float(claims["exp"]))


def check_admin_key(key: str, auth: AuthSettings) -> None:
    """Pass silently for the configured admin key; refuse anything else (compared in constant time)."""
    expected = auth.admin_api_key
    if expected is None:
        raise LoginRefused("Der Admin-Zugang ist nicht eingerichtet (kein Admin-Schlüssel konfiguriert).")
    if not key.strip():
        raise LoginRefused("Bitte geben Sie den Admin-Schlüssel ein.")
    if not hmac.compare_digest(key.strip().encode(), expected.get_secret_value().encode()):
        raise LoginRefused("Der Admin-Schlüssel ist nicht korrekt.")


def key_fingerprint(key: str, session_secret: str) -> str:
    """What a session keeps instead of the admin key: changing the key ends every admin session."""
    return hmac.new(session_secret.encode(), key.encode(), hashlib.sha256).hexdigest()
