"""`luna accounts create|list|revoke`: service accounts (machine keys with scopes) from the shell.

They live in SQL only, so these commands open the database directly, also while `luna serve` runs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table

from luna.cli.context import with_services
from luna.domain.flywheel.accounts import Scope, ServiceAccount

if TYPE_CHECKING:
    from luna.container_services import Services

app = typer.Typer(
    help="Service accounts: named keys with scopes for n8n, Grafana and data teams.", no_args_is_help=True
)
console = Console(emoji=False)
T = TypeVar("T")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Lower-case letters, digits, '.', '_', '-' (e.g. n8n-prod)"),
    scope: list[Scope] = typer.Option(..., "--scope", "-s", help="Repeat for several scopes."),
) -> None:
    """Create an account and print its key once (it is never shown again)."""
    created = with_services(
        ctx, lambda services: services.accounts.create(name, [s.value for s in scope], created_by="cli")
    )
    typer.echo(
        f"Service account {created.account.name!r} created with {', '.join(sorted(created.account.scopes))}."
    )
    typer.echo("Key (store it now, it is not shown again):")
    typer.echo(created.key)


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """Every account, revoked ones included, with its last use."""
    accounts = with_services(ctx, lambda s: s.accounts.list())
    if as_json:
        typer.echo(json.dumps([_row(a) for a in accounts], indent=2))
        return
    if not accounts:
        console.print("No accounts yet: `luna accounts create NAME --scope SCOPE` makes one.")
        return
    # The ID is what revoke takes: never cut, the other columns wrap instead.
    headers = ("name", "scopes", "key", "created (UTC)", "last used (UTC)", "revoked (UTC)")
    table = Table(Column("ID", no_wrap=True), *headers)
    for row in map(_row, accounts):
        table.add_row(
            *(
                str(row[k] or "—")
                for k in (
                    "account_id",
                    "name",
                    "scopes",
                    "key_hint",
                    "created_at",
                    "last_used_at",
                    "revoked_at",
                )
            )
        )
    console.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="The account's name or ID, as `luna accounts list` shows them."),
) -> None:
    """Revoke an account: its key stops working at once."""

    def revoked(services: Services) -> ServiceAccount:
        # Names are unique, so one names the account as well as its ID does (and is what one remembers).
        named = [a.account_id for a in services.accounts.list() if a.name == account]
        return services.accounts.revoke(named[0] if named else account, revoked_by="cli")

    account_row = with_services(ctx, revoked)
    # Revoking twice changes nothing: the time says when it was revoked (now, or before).
    typer.echo(f"Service account {account_row.name!r} revoked at {str(account_row.revoked_at)[:19]}.")


def _row(account: ServiceAccount) -> dict[str, str | None]:
    def when(value: object) -> str | None:
        return None if value is None else str(value)[:19]

    return {
        "account_id": account.account_id,
        "name": account.name,
        "scopes": ", ".join(sorted(account.scopes)),
        "key_hint": account.key_hint,
        "created_at": when(account.created_at),
        "last_used_at": when(account.last_used_at),
        "revoked_at": when(account.revoked_at),
    }
