"""Who is calling: customers by JWT (or ``X-Dev-User`` in development), operators by admin key,
machines by service account key (``X-Service-Key``) or a signed webhook body.

Missing or invalid credentials answer 401; valid credentials that do not allow the request answer
403. Secrets are compared in constant time. A secret that is not configured disables its way in
instead of accepting anything.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from luna.api.deps import get_container
from luna.api.errors import Forbidden, Unauthorized
from luna.container import Container
from luna.domain.errors import InvalidInput, Unavailable
from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.users import PLACEHOLDER_USER_IDS, User
from luna.settings import AuthSettings

ADMIN_KEY_HEADER = "X-Admin-Key"
DEV_USER_HEADER = "X-Dev-User"

_admin_key = APIKeyHeader(
    name=ADMIN_KEY_HEADER,
    scheme_name="AdminKey",
    auto_error=False,
    description="Operator key (ADMIN_API_KEY)",
)
_bearer = HTTPBearer(
    scheme_name="CustomerJWT",
    auto_error=False,
    description="Customer JWT (HS256, `sub` = user UUID, `exp` required)",
)
_dev_user = APIKeyHeader(
    name=DEV_USER_HEADER,
    scheme_name="DevUser",
    auto_error=False,
    description="Development only: act as this user UUID",
)


_scrape_bearer = HTTPBearer(
    scheme_name="ScrapeToken", auto_error=False, description="The admin key as a bearer token (Prometheus)"
)


def check_admin_key(key: str | None, request: Request) -> None:
    """A missing key is 401, a wrong one (or admin access not configured) 403, guessing 429.

    Shared by :func:`require_admin` and the request middleware, which checks the key of every admin
    request before its body is read, so both answer alike. Wrong keys count against the client's
    address in the container's :class:`~luna.domain.login_throttle.LoginThrottle`, which the
    dashboards' admin login shares.
    """
    if not key:
        if _is_customer(request):
            raise Forbidden(
                f"A customer's credentials do not open admin routes; they need the {ADMIN_KEY_HEADER}."
            )
        raise Unauthorized(f"Admin routes need the {ADMIN_KEY_HEADER} header.")
    container = get_container(request)
    expected = container.settings.auth.admin_api_key
    if expected is None:
        raise Forbidden("Admin access is disabled: no admin key is configured.")
    client = request.client.host if request.client else "unknown"
    container.admin_key_throttle.check(client)
    if not hmac.compare_digest(key.encode(), expected.get_secret_value().encode()):
        container.admin_key_throttle.failed(client)
        raise Forbidden(f"The {ADMIN_KEY_HEADER} is not valid.")
    container.admin_key_throttle.succeeded(client)


def check_admin_key_or_bearer(
    key: str | None, bearer: HTTPAuthorizationCredentials | None, request: Request
) -> None:
    """The admin key, as ``X-Admin-Key`` or as the bearer token machine clients send (OpenAI SDKs,
    Prometheus). A token Luna signed for a customer is refused as such (403) and not counted as a
    guessed key: five calls of a logged-in customer would otherwise lock the operator's address out
    of every admin route (behind a reverse proxy, that address is everyone's)."""
    if key is None and bearer is not None and _signed_by_luna(bearer.credentials, request):
        raise Forbidden(f"A customer's token does not open this endpoint; it needs the {ADMIN_KEY_HEADER}.")
    check_admin_key(key or (bearer.credentials if bearer else None), request)


def _is_customer(request: Request) -> bool:
    """Whether the request names a customer Luna knows how to recognise (its signed token, or the
    development header where that is allowed): such a caller is known, just not allowed (403, not 401)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and _signed_by_luna(token.strip(), request):
        return True
    return DEV_USER_HEADER in request.headers and get_container(request).settings.auth.allow_dev_user


def _signed_by_luna(token: str, request: Request) -> bool:
    """Whether ``token`` is a JWT with Luna's signature (expired or not): a customer, not a guess."""
    auth = get_container(request).settings.auth
    secret = auth.jwt_secret
    if secret is None or token.count(".") != 2:
        return False
    try:
        jwt.decode(
            token, secret.get_secret_value(), algorithms=[auth.jwt_algorithm], options={"verify_exp": False}
        )
    except jwt.PyJWTError:
        return False
    return True


def require_admin(request: Request, key: Annotated[str | None, Depends(_admin_key)]) -> None:
    """Admin routes: the key again, as a dependency, so the OpenAPI schema shows it on each route."""
    check_admin_key(key, request)


def require_scraper(
    request: Request,
    key: Annotated[str | None, Depends(_admin_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_scrape_bearer)],
) -> None:
    """``/metrics``: the admin key, as ``X-Admin-Key`` or as the bearer token Prometheus sends.

    The usage gauges (items, users, ingest failures) are operator facts; Prometheus' scrape config
    passes the key with ``authorization: {credentials_file: …}`` (see deploy/prometheus.yml).
    """
    check_admin_key_or_bearer(key, bearer, request)


def _user_id_from(value: str, source: str) -> str:
    try:
        user_id = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise Unauthorized(f"The {source} does not name a user UUID.") from None
    if user_id in PLACEHOLDER_USER_IDS:
        raise Unauthorized(f"The {source} names the placeholder UUID {user_id}, which is no user.")
    return str(user_id)


def issue_user_token(user_id: str, auth: AuthSettings, lifetime: timedelta, now: datetime) -> str:
    """A customer's Bearer token as :func:`user_id_from_jwt` reads it (``sub``, ``iat``, ``exp``), signed
    with this install's secret: what a chat tool or script acting for one customer sends where no
    identity provider issues tokens. ``InvalidInput`` for no user UUID, ``Unavailable`` without a secret."""
    if auth.jwt_secret is None:
        raise Unavailable("No JWT secret is configured (auth.jwt_secret): no token can be signed.")
    try:
        subject = _user_id_from(user_id, "argument")
    except Unauthorized as refused:
        raise InvalidInput(refused.message) from None
    claims = {"sub": subject, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, auth.jwt_secret.get_secret_value(), algorithm=auth.jwt_algorithm)


def _token_refusal(error: jwt.PyJWTError, algorithm: str) -> str:
    """Why a token was refused, in words a caller can act on: the parser's own ("Not enough segments",
    "'utf-8' codec can't decode byte 0xb7") said nothing to someone who sent the admin key as a token."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(error, jwt.InvalidSignatureError):
        return "The token's signature does not match this install's JWT secret."
    if isinstance(error, jwt.InvalidAlgorithmError):
        return f"The token is signed with another algorithm than {algorithm}."
    if isinstance(error, jwt.DecodeError) and "claim" in str(error):  # signed by us, a claim malformed
        return f"The token's claims are not valid: {error}"
    if isinstance(error, jwt.DecodeError):
        return (
            "The Bearer token is no JWT (three base64url parts joined by dots). The admin key goes in the "
            "X-Admin-Key header, not in Authorization."
        )
    return f"The token is not valid: {error}."


def user_id_from_jwt(token: str, auth: AuthSettings) -> str:
    """The user UUID in a valid token's ``sub``; anything else (expired, bad signature …) is 401."""
    if auth.jwt_secret is None:
        raise Unauthorized("Bearer tokens are not accepted: no JWT secret is configured.")
    try:
        claims = jwt.decode(
            token,
            auth.jwt_secret.get_secret_value(),
            algorithms=[auth.jwt_algorithm],
            leeway=auth.jwt_leeway_sec,
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized(_token_refusal(error, auth.jwt_algorithm)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise Unauthorized("The token's sub claim does not name a user UUID.")
    return _user_id_from(subject, "token's sub claim")


def current_user(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    dev_user: Annotated[str | None, Depends(_dev_user)],
) -> User:
    """The customer making the request, created on first sight. An operator's valid admin key is known
    but acts for no customer (403); a wrong one counts as a guess, as on the admin routes."""
    auth = container.settings.auth
    if bearer is not None:
        user_id = user_id_from_jwt(bearer.credentials, auth)
    elif dev_user is not None:
        if not auth.allow_dev_user:
            raise Unauthorized(f"The {DEV_USER_HEADER} header is only accepted in development.")
        user_id = _user_id_from(dev_user, f"{DEV_USER_HEADER} header")
    elif admin_key := request.headers.get(ADMIN_KEY_HEADER):
        check_admin_key(admin_key, request)
        raise Forbidden("The admin key acts for no customer; this endpoint needs a customer's Bearer token.")
    else:
        # In development (one machine) the ways to a customer's identity are named; a server's clients
        # get their tokens from its identity provider, and the operator's command means nothing to them.
        dev = (
            f" (`luna token <user-id>` signs one), or in development the {DEV_USER_HEADER} header with a "
            "user UUID"
            if auth.allow_dev_user
            else ""
        )
        raise Unauthorized(f"This endpoint needs a customer's Bearer token (Authorization header){dev}.")
    return container.services.users.ensure(user_id)


SERVICE_KEY_HEADER = "X-Service-Key"
SIGNATURE_HEADER = "X-Luna-Signature"

_service_key = APIKeyHeader(
    name=SERVICE_KEY_HEADER,
    scheme_name="ServiceKey",
    auto_error=False,
    description="A service account's key (created under /admin/service-accounts)",
)


def service_account(scope: Scope) -> Callable[..., ServiceAccount]:
    """A dependency: the service account whose key came with the request, allowed ``scope``.

    No key or an unknown/revoked one is 401, a key without the scope 403.
    """

    def dependency(
        container: Annotated[Container, Depends(get_container)],
        key: Annotated[str | None, Depends(_service_key)],
    ) -> ServiceAccount:
        if not key:
            raise Unauthorized(f"This route needs a service account key ({SERVICE_KEY_HEADER}).")
        account = container.services.accounts.identify(key)
        if account is None:
            raise Unauthorized("The service account key is unknown or revoked.")
        if not account.allows(scope):
            raise Forbidden(f"The service account {account.name!r} lacks the scope {scope.value!r}.")
        return account

    return dependency


async def session_sender(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    key: Annotated[str | None, Depends(_service_key)],
) -> str:
    """Who may post sessions: a service account with ``sessions:write``, or an HMAC-signed body.

    The signature is ``sha256=<hex HMAC-SHA256 of the raw body>`` under ``flywheel.webhook_secret``,
    the form n8n's Crypto node and GitHub-style webhooks produce. Returns the sender for the audit log.
    """
    signature = request.headers.get(SIGNATURE_HEADER)
    if key or not signature:
        return "service:" + service_account(Scope.SESSIONS_WRITE)(container, key).name
    secret = container.settings.flywheel.webhook_secret
    if secret is None:
        raise Forbidden("Signed webhooks are disabled: no flywheel.webhook_secret is configured.")
    expected = (
        "sha256="
        + hmac.new(secret.get_secret_value().encode(), await request.body(), hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(signature.strip().lower(), expected):
        raise Unauthorized(f"The {SIGNATURE_HEADER} does not match the body.")
    return "webhook:signed"
