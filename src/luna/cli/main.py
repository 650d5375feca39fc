"""`luna`: the command line of Luna (also `python -m luna`)."""

from __future__ import annotations

import sys

import typer

import luna
from luna.cli import (
    accounts,
    data,
    datasets,
    db,
    evaluate,
    feeds,
    finetune,
    flywheel,
    grafana,
    health,
    jobs,
    kb_admin,
    knowledge,
    learn,
    meters,
    models,
    serve,
    sim,
    smoke,
    snapshots,
    tokens,
    worker,
)
from luna.cli.context import CliState, hint, refusal_code
from luna.cli.server_client import ServerError
from luna.domain.errors import LunaError
from luna.domain.storable import printable
from luna.settings import SettingsError

app = typer.Typer(
    name="luna",
    help=(
        "Luna — local AI platform for energy documents, data and recommendations.\n\n"
        "Start with `luna serve` (the API on http://127.0.0.1:8000). Settings come from "
        "config/<profile>.yaml, .env and LUNA_* environment variables (see docs/settings.md)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"luna {luna.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    profile: str = typer.Option(
        None,
        "--profile",
        "-p",
        envvar="LUNA_PROFILE",
        help="Settings profile: default, quality, test or server.",
    ),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print Luna's version and stop."
    ),
) -> None:
    ctx.obj = CliState(profile=profile)


app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("health")(health.health)
app.command("ingest")(knowledge.ingest)
app.command("ask")(knowledge.ask)
app.command("smoke")(smoke.smoke)
app.add_typer(db.app, name="db")
app.add_typer(jobs.app, name="jobs")
app.add_typer(kb_admin.app, name="admin")
app.add_typer(snapshots.app, name="snapshot")
app.add_typer(sim.app, name="sim")
app.add_typer(feeds.app, name="feeds")
app.add_typer(learn.app, name="learn")
app.add_typer(evaluate.app, name="eval")
app.add_typer(accounts.app, name="accounts")
app.add_typer(flywheel.app, name="flywheel")
app.add_typer(grafana.app, name="grafana")
app.add_typer(datasets.app, name="datasets")
app.add_typer(meters.app, name="meters")
app.add_typer(finetune.app, name="finetune")
app.add_typer(models.app, name="models")
app.command("alerts")(flywheel.alerts)
app.command("progress")(flywheel.progress)
app.command("summary")(flywheel.summary)
app.add_typer(flywheel.consent_app, name="consent")
app.command("data")(data.data)
app.command("token")(tokens.token)


def main() -> None:
    """Entry point: settings, server and Luna errors become one clear line and an exit code, never a
    traceback (a traceback tells a new user nothing the message does not)."""
    try:
        app()
    except SettingsError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        sys.exit(2)
    except ServerError as error:
        # A command that talks to the running server: it refused (an unknown ID: its message is the
        # answer) or was lost half-way or failed (the server stopped: then `luna health` helps).
        lost = error.status_code == 0 or error.status_code >= 500
        check = " Check it with `luna health`." if lost else ""
        typer.secho(printable(f"{error}{check}"), fg=typer.colors.RED, err=True)
        sys.exit(refusal_code(error))
    except LunaError as error:
        # A service refused or failed (unknown id, busy store …) in a command that runs in-process.
        typer.secho(printable(f"{error.message}{hint(error)}"), fg=typer.colors.RED, err=True)
        sys.exit(refusal_code(error))
    except PermissionError as error:
        # A data dir made read-only (its vector lock, its database): one line naming the file.
        where = error.filename or "a file of the data dir"
        typer.secho(
            f"Permission denied: {where}. Luna reads and writes its data dir as the user it runs as.",
            fg=typer.colors.RED,
            err=True,
        )
        sys.exit(1)
