"""`luna db …`: schema migrations of the SQL store."""

from __future__ import annotations

import typer

from luna.cli.context import state

app = typer.Typer(
    help="Database schema: migrate to the newest version or show the current one.", no_args_is_help=True
)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the SQL schema to the newest revision (safe to run again; migrations only move forward).
    It sets up an install in a data dir that holds none."""
    container = state(ctx).container(new_install=True)
    try:
        before = container.database.current_revision()
        after = container.database.upgrade()
    finally:
        container.close()
    backend = container.settings.database.kind
    if before == after:
        typer.echo(f"{backend}: schema already at revision {after}")
    else:
        typer.echo(f"{backend}: schema migrated from {before or 'empty'} to {after}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision the database is at."""
    container = state(ctx).container()
    try:
        revision = container.database.current_revision()
    finally:
        container.close()
    typer.echo(revision or "empty (run `luna db upgrade`)")
