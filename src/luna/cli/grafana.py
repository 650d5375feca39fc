"""`luna grafana sync`: the dashboards of ``deploy/grafana/dashboards`` into the configured Grafana.

For a Grafana that ``deploy/docker-compose.yml`` does not provision (it loads the same files itself).
Grafana's answers decide the exit code: 0 when every dashboard was stored, 1 when Grafana refused or
could not be reached, 2 when no Grafana is configured.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from luna.cli.context import state, with_services
from luna.services.flywheel.grafana import DashboardFile

app = typer.Typer(help="Luna's Grafana dashboards (deploy/grafana/dashboards).", no_args_is_help=True)
console = Console(emoji=False)


@app.command("sync")
def sync(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Read and check the dashboards and list them; talk to no Grafana."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """Create the folder flywheel.grafana_folder when missing and create or update every dashboard in it."""
    flywheel = state(ctx).settings().flywheel
    target = {"url": flywheel.grafana_url, "folder": flywheel.grafana_folder}
    if dry_run:
        _show_plan(with_services(ctx, lambda services: services.grafana.plan()), target, as_json)
        return
    if flywheel.grafana_url is None:
        typer.secho(
            "No Grafana configured: set flywheel.grafana_url (LUNA_FLYWHEEL__GRAFANA_URL) and "
            "flywheel.grafana_token (LUNA_FLYWHEEL__GRAFANA_TOKEN).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    published = with_services(ctx, lambda services: services.grafana.sync())
    rows = [
        {"uid": p.uid, "title": p.title, "status": p.status, "version": p.version, "url": p.url}
        for p in published
    ]
    if as_json:
        typer.echo(json.dumps({**target, "dashboards": rows}, indent=2, ensure_ascii=False))
        return
    table = Table(
        "uid", "title", "status", "version", "url", title=f"Grafana folder {flywheel.grafana_folder!r}"
    )
    for row in rows:
        table.add_row(*(str(row[key]) for key in ("uid", "title", "status", "version", "url")))
    console.print(table)


def _show_plan(dashboards: list[DashboardFile], target: dict[str, str | None], as_json: bool) -> None:
    rows = [{"uid": d.uid, "title": d.title, "file": d.path.name} for d in dashboards]
    if as_json:
        typer.echo(json.dumps({**target, "dry_run": True, "dashboards": rows}, indent=2, ensure_ascii=False))
        return
    table = Table("uid", "title", "file", title="Would push (dry run)")
    for row in rows:
        table.add_row(row["uid"], row["title"], row["file"])
    console.print(table)
    where = target["url"] or "no Grafana yet (flywheel.grafana_url is not set)"
    typer.echo(f"{len(rows)} dashboards for folder {target['folder']!r} at {where}.")
