"""``/api/v1/admin/service-accounts``: machine keys with scopes; the key is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.path_ids import uuid_or_404
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.flywheel import AccountIn, AccountListOut, AccountOut, CreatedAccountOut
from luna.services.flywheel.accounts import AccountService

router = APIRouter(prefix="/service-accounts", tags=["flywheel"])
Accounts = Annotated[AccountService, from_services(lambda s: s.accounts)]
AccountId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "",
    status_code=201,
    summary="Create a service account; the answer holds its key, which is never shown again",
    responses={409: error_response("The name is taken")},
)
def create_account(body: AccountIn, accounts: Accounts) -> Envelope[CreatedAccountOut]:
    created = accounts.create(body.name, [scope.value for scope in body.scopes], created_by="admin")
    out = CreatedAccountOut(**AccountOut.from_account(created.account).model_dump(), key=created.key)
    return ok(out, "Service account created. Store the key now: it is not shown again.")


@router.get("", summary="Every service account, revoked ones included")
def list_accounts(accounts: Accounts) -> Envelope[AccountListOut]:
    listed = [AccountOut.from_account(account) for account in accounts.list()]
    return ok(AccountListOut(accounts=listed), f"{len(listed)} service account(s).")


@router.delete(
    "/{account_id}",
    summary="Revoke a service account: its key stops working at once",
    responses={404: error_response("No such account")},
)
def revoke_account(account_id: AccountId, accounts: Accounts) -> Envelope[AccountOut]:
    return ok(
        AccountOut.from_account(
            accounts.revoke(uuid_or_404(account_id, "service account"), revoked_by="admin")
        ),
        "Service account revoked.",
    )
