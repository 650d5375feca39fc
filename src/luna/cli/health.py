"""`luna health`: is every component of this installation up?"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from luna.cli.context import ANOTHER_PORT, fail, state
from luna.cli.server_client import ServerClient, ServerError
from luna.domain.storable import printable


def health(
    ctx: typer.Context,
    direct: bool = typer.Option(
        False, "--direct", help="Check the backends from this process even when `luna serve` is running."
    ),
) -> None:
    """Show each component's status, backend, latency and version; exit code 1 when one is down.

    With a running `luna serve` the server is asked (it owns the embedded vector folder);
    otherwise the backends are opened and checked from this process. The output says which.
    """
    cli = state(ctx)
    settings = cli.settings()
    client = ServerClient(settings)
    console = Console(emoji=False)
    if not direct and client.is_running():
        try:
            report: dict[str, Any] = client.get("admin/health")
        except ServerError as error:
            raise fail(f"the running server refused the health request: {error}") from None
        source = f"asked the running server at {client.base_url}"
    else:
        container = cli.container()
        try:
            checked = container.services.health.check()
        finally:
            container.close()
        report = {
            "status": checked.status,
            "components": {
                name: {
                    "status": str(c.status),
                    "backend": c.backend,
                    "latency_ms": c.latency_ms,
                    "version": c.version,
                    "detail": c.detail,
                }
                for name, c in checked.components.items()
            },
        }
        source = "checked directly (no running server)" if not direct else "checked directly"
    table = Table(
        Column("component", no_wrap=True),
        Column("status", no_wrap=True),
        "backend",
        "latency",
        "version",
        Column("detail", overflow="fold"),
        title=f"Luna health — {source}",
    )
    for name, component in report["components"].items():
        colour = {"up": "green", "down": "red"}.get(component["status"], "yellow")
        latency = component.get("latency_ms")
        table.add_row(
            name,
            f"[{colour}]{component['status']}[/{colour}]",
            component.get("backend") or "",
            f"{latency:.1f} ms" if latency is not None else "",
            component.get("version") or "",
            escape(printable(component.get("detail") or "")),  # the whole reason: the end says why
        )
    console.print(table)
    if any("vector folder" in (c.get("detail") or "") for c in report["components"].values()):
        # Only beside --direct is the server asked now: without it a server found was asked above.
        console.print(_locked_folder_note(direct and client.is_running(), client.base_url), style="yellow")
    console.print(f"overall: [bold]{report['status']}[/bold]")
    raise typer.Exit(0 if report["status"] == "ok" else 1)


def _locked_folder_note(running: bool, base_url: str) -> str:
    """Why the vector folder could not be opened: the server this command found holds it (``--direct``
    beside it), or one it did not find, on another port."""
    if running:
        return (
            f"The running server at {base_url} holds the vector folder, so --direct cannot open it: "
            "`luna health` without --direct asks the server."
        )
    return ANOTHER_PORT.strip()
