"""Routes that both customers and operators use (ingest, search, ask): whoever calls, named once.

An ``X-Admin-Key`` header makes the caller the operator (the CLI and the admin dashboard send it); a
wrong key is refused, never silently downgraded to a customer. Without it the caller must be a
customer (JWT, or ``X-Dev-User`` in development), exactly as on customer-only routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from luna.api.auth import (
    ADMIN_KEY_HEADER,
    DEV_USER_HEADER,
    check_admin_key,
    check_admin_key_or_bearer,
    current_user,
)
from luna.api.deps import get_container
from luna.api.errors import Forbidden
from luna.container import Container

_admin_key = APIKeyHeader(name=ADMIN_KEY_HEADER, scheme_name="AdminKey", auto_error=False)
_bearer = HTTPBearer(scheme_name="CustomerJWT", auto_error=False)
_dev_user = APIKeyHeader(name=DEV_USER_HEADER, scheme_name="DevUser", auto_error=False)


@dataclass(frozen=True, slots=True)
class Caller:
    #: ``admin`` or ``user:<uuid>``: the key rate limits and audit entries use.
    key: str
    user_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.user_id is None


def current_caller(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    admin_key: Annotated[str | None, Depends(_admin_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    dev_user: Annotated[str | None, Depends(_dev_user)],
) -> Caller:
    if admin_key is not None:
        check_admin_key(admin_key, request)
        return Caller(key="admin")
    user = current_user(request, container, bearer, dev_user)
    return Caller(key=f"user:{user.user_id}", user_id=user.user_id)


def admin_key_caller(
    request: Request,
    admin_key: Annotated[str | None, Depends(_admin_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The operator by the admin key, sent as ``X-Admin-Key`` or as an OpenAI client's Bearer API key:
    for machine endpoints that OpenAI clients call (``/v1/embeddings``), which send only the latter."""
    check_admin_key_or_bearer(admin_key, bearer, request)
    return Caller(key="admin")


def operator_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """Routes that change the shared knowledge base: operators only (customers get 403).

    What one customer uploads would be quoted to every other customer, so adding documents is an
    operator's act (admin key; service accounts later), recorded on the item and in the audit log.
    """
    if not caller.is_admin:
        raise Forbidden(
            "Customers cannot add documents to the shared knowledge base; an operator can (X-Admin-Key)."
        )
    return caller
