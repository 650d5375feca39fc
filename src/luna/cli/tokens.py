"""`luna token USER_ID`: a customer's Bearer token, signed with this install's JWT secret.

Customers reach the API and `/v1` (a chat tool's "API key") with a JWT whose ``sub`` is their user
UUID. Where no identity provider issues them (one machine, a test of Open WebUI, a script acting for one
customer), the operator makes one here. It needs only the settings, so it works while `luna serve`
runs; whoever can read ``secrets.json`` can sign tokens anyway, so this grants nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from luna.api.auth import issue_user_token
from luna.cli.context import refused, state
from luna.domain.errors import LunaError

#: A token lives a year at most: one that leaks should not open an account for longer.
MAX_DAYS = 365


def token(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The customer's user UUID (the token's sub)."),
    days: int = typer.Option(30, "--days", min=1, max=MAX_DAYS, help="Days until the token expires."),
) -> None:
    """Print a customer's Bearer token (HS256, sub = the user UUID) for the API and /v1; exit 2 for no
    UUID. The token alone goes to stdout, so `TOKEN=$(luna token …)` works."""
    settings = state(ctx).settings()
    now = datetime.now(UTC)
    try:
        signed = issue_user_token(user_id, settings.auth, timedelta(days=days), now)
    except LunaError as error:
        raise refused(error) from None
    typer.echo(signed)
    expires = now + timedelta(days=days)
    typer.echo(
        f"valid until {expires:%Y-%m-%d %H:%M} UTC; send it as Authorization: Bearer <token>", err=True
    )
