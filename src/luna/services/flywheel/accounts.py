"""Service accounts: create (the key shown once), list, revoke, and authenticate a key for a scope.

Every raw read of session texts goes through :meth:`AccountService.audit_raw_read`, so the audit
log says which account read what and why (the blueprint's "raw data only through service accounts
with an audit log").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from luna.domain.errors import InvalidInput, NotFound, field_problem
from luna.domain.flywheel.accounts import NAME_PATTERN, Scope, ServiceAccount, key_hint, key_sha256, new_key
from luna.domain.scores import AuditEntry
from luna.ports.sql import Database


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CreatedAccount:
    account: ServiceAccount
    #: The key itself: shown this once, never stored.
    key: str


class AccountService:
    def __init__(self, database: Database, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self._database = database
        self._clock = clock

    def create(self, name: str, scopes: Iterable[str], *, created_by: str) -> CreatedAccount:
        chosen = _scopes(scopes)
        if not NAME_PATTERN.match(name):
            rule = "2-63 characters: lower-case letters, digits, '.', '_' and '-'"
            raise InvalidInput(f"A service account name is {rule}.", details=field_problem("name", rule))
        key = new_key()
        account = ServiceAccount(
            account_id=str(uuid.uuid4()),
            name=name,
            scopes=chosen,
            key_sha256=key_sha256(key),
            key_hint=key_hint(key),
            created_at=self._clock(),
            created_by=created_by,
        )
        with self._database.unit_of_work() as uow:
            uow.service_accounts.add(account)
            uow.audit.add(
                _audit(
                    self._clock(),
                    created_by,
                    "service_account.create",
                    account.name,
                    {"scopes": sorted(chosen)},
                )
            )
            uow.commit()
        return CreatedAccount(account, key)

    def list(self) -> list[ServiceAccount]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.service_accounts.list())

    def revoke(self, account_id: str, *, revoked_by: str) -> ServiceAccount:
        with self._database.unit_of_work() as uow:
            account = uow.service_accounts.get(account_id)
            if account is None:
                raise NotFound(f"No service account with id {account_id!r}.")
            # Revoking again changes nothing, so it is not audited again (nor is the loser of two at once).
            if uow.service_accounts.revoke(account_id, self._clock()):
                uow.audit.add(_audit(self._clock(), revoked_by, "service_account.revoke", account.name, {}))
                uow.commit()
            revoked = uow.service_accounts.get(account_id)
        assert revoked is not None
        return revoked

    def identify(self, key: str) -> ServiceAccount | None:
        """The active account behind ``key`` (its use recorded), or None for an unknown or revoked key.

        Whether the account may do what it asks is the caller's check (``account.allows(scope)``), so
        the API can answer an unknown key 401 and a missing scope 403.
        """
        with self._database.unit_of_work() as uow:
            account = uow.service_accounts.by_key(key_sha256(key))
            if account is None or not account.active:
                return None
            uow.service_accounts.touch(account.account_id, self._clock())
            uow.commit()
        return account

    def audit_raw_read(self, account: ServiceAccount, what: str, reason: str) -> None:
        with self._database.unit_of_work() as uow:
            uow.audit.add(
                _audit(
                    self._clock(), f"service:{account.name}", "sessions.read_raw", what, {"reason": reason}
                )
            )
            uow.commit()


def _scopes(scopes: Iterable[str]) -> frozenset[Scope]:
    known = {scope.value for scope in Scope}
    chosen = set(scopes)
    unknown = sorted(chosen - known)
    if unknown or not chosen:
        raise InvalidInput(
            f"Unknown or missing scopes {unknown}; choose from {sorted(known)}."
            if unknown
            else f"A service account needs at least one scope: {sorted(known)}."
        )
    return frozenset(Scope(scope) for scope in chosen)


def _audit(at: datetime, actor: str, action: str, target: str, details: dict[str, object]) -> AuditEntry:
    return AuditEntry(
        audit_id=str(uuid.uuid4()), ts=at, actor=actor, action=action, target=target, details=details
    )
