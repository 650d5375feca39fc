"""`luna sim …`: backfill simulated history, start and stop the live simulation, see its state.

A backfill writes straight into the database from this process (the energy store is plain SQL, so
it may run beside `luna serve`), or with `--job` as a job of the running server. The live loops are
a worker job, so `start` and `stop` go through the running server; `status` reads the database
directly when no server runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from luna.cli.context import CliState, fail, percent_bar, queued_and_followed, refused, state
from luna.cli.server_client import ServerClient, ServerError
from luna.container import Container
from luna.domain.errors import LunaError
from luna.services.energy.simulation import MAX_METERS, MAX_SEED, parse_instant

app = typer.Typer(
    help="Simulated smart meters and day-ahead prices: backfill history, run the live simulation.",
    no_args_is_help=True,
)
console = Console(emoji=False)

_FROM_HELP = "Start: a date (00:00 Europe/Berlin) or an ISO-8601 datetime with a time zone"
_TO_HELP = "End (excluded): a date (00:00 Europe/Berlin) or an ISO-8601 datetime with a time zone"


def _server(cli: CliState, what: str) -> ServerClient:
    client = ServerClient(cli.settings())
    if not client.is_running():
        raise fail(
            f"{what} needs a running `luna serve` (none answers at {client.base_url}): "
            "it runs as a job of that server's worker."
        )
    return client


@app.command("backfill")
def backfill(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help=_FROM_HELP),
    end: str = typer.Option(..., "--to", help=_TO_HELP),
    meters: int = typer.Option(None, "--meters", min=1, max=MAX_METERS, help="Meters (default: sim.meters)"),
    seed: int = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Seed (default: sim.seed)"),
    as_job: bool = typer.Option(False, "--job", help="Run it as a job of the running server"),
) -> None:
    """Write simulated readings and prices for a period; running it again stores nothing twice."""
    cli = state(ctx)
    try:
        start_at, end_at = parse_instant(start, "--from"), parse_instant(end, "--to")
    except LunaError as error:
        raise fail(error.message, 2) from None
    if end_at <= start_at:  # before a server is asked or a progress bar drawn
        raise fail(f"--to ({end_at.isoformat()}) must be after --from ({start_at.isoformat()}).", 2)
    if as_job:
        client = _server(cli, "--job")
        summary = _backfill_as_job(client, start_at, end_at, meters, seed)
        where = f"as a job of the running server at {client.base_url}"
    else:
        container = cli.container()
        try:
            container.database.upgrade()
            summary = _backfill_directly(container, start_at, end_at, meters, seed)
        except LunaError as error:
            raise fail(error.message, 2) from None
        finally:
            container.close()
        where = f"directly into the {container.settings.database.kind} database"
    _summary_table(summary, where)


def _backfill_directly(
    container: Container, start: datetime, end: datetime, meters: int | None, seed: int | None
) -> dict[str, Any]:
    simulation = container.services.simulation
    with percent_bar(console, remaining=True) as progress:
        task = progress.add_task("Simulation", total=1000)

        def report(fraction: float, message: str) -> None:
            progress.update(task, completed=int(fraction * 1000), description=message[:60])

        return simulation.backfill(start, end, meters, seed, progress=report).as_dict()


def _backfill_as_job(
    client: ServerClient, start: datetime, end: datetime, meters: int | None, seed: int | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
    params.update({key: value for key, value in (("meters", meters), ("seed", seed)) if value is not None})
    return queued_and_followed(
        client,
        "admin/jobs",
        {"name": "sim.backfill", "params": params},
        percent_bar(console, remaining=True),
        "Backfill",
    )


def _summary_table(summary: dict[str, Any], where: str) -> None:
    table = Table("", "", title=f"Backfill — {where}", show_header=False)
    for label, value in (
        ("period", f"{summary['from']} … {summary['to']}"),
        ("meters / seed", f"{summary['meters']} / {summary['seed']}"),
        ("readings stored", f"{summary['readings_inserted']:,}"),
        ("readings already there", f"{summary['readings_duplicates']:,}"),
        ("prices stored", f"{summary['prices_inserted']:,}"),
        ("seconds", f"{summary['seconds']:.1f}"),
        ("rows/s", f"{summary['rows_per_sec']:,.0f}"),
    ):
        table.add_row(label, value)
    console.print(table)
    console.print(
        f"{summary['readings_inserted']:,} readings stored, "
        f"{summary['readings_duplicates']:,} already there; {summary['prices_inserted']:,} prices stored "
        f"({summary['step_s'] // 60}-minute readings)."
    )


@app.command("start")
def start(
    ctx: typer.Context,
    meters: int = typer.Option(None, "--meters", min=1, max=MAX_METERS, help="Meters (default: sim.meters)"),
    seed: int = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Seed (default: sim.seed)"),
) -> None:
    """Start the live simulation (a job of the running server's worker)."""
    client = _server(state(ctx), "luna sim start")
    body: dict[str, Any] = {"action": "start"}
    body.update({key: value for key, value in (("meters", meters), ("seed", seed)) if value is not None})
    try:
        job = client.post("sim/run", body)
    except ServerError as error:
        live = error.details if error.status_code == 409 and "job_id" in error.details else None
        if live is not None and not live.get("stopping") and meters is None and seed is None:
            # What was asked for is so (the first start begins it): not a failure for a script.
            console.print(
                f"The live simulation is already {live.get('status')} as job {live['job_id']}; "
                "`luna sim stop` ends it."
            )
            return
        raise refused(error) from None
    console.print(f"Live simulation queued as job {job['job_id']}; `luna sim stop` ends it.")


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the live simulation (it ends within about a second)."""
    client = _server(state(ctx), "luna sim stop")
    try:
        job = client.post("sim/run", {"action": "stop"})
    except ServerError as error:
        raise refused(error) from None
    console.print(f"Live simulation (job {job['job_id']}) is stopping.")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """The live simulation's job and what the store holds (meters, readings, prices)."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    try:
        if client.is_running():
            data: dict[str, Any] = client.get("sim/status")
        else:
            console.print("[dim]no running `luna serve` found: reading the database directly[/dim]")
            data = _status_directly(cli.container())
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    live = data["live"]
    table = Table(title="Simulation", show_header=False)
    table.add_row("live", f"{live['status']} (job {live['job_id']})" if live else "not running")
    if live and live.get("message"):
        table.add_row("", escape(live["message"]))
    table.add_row("meters", f"{data['meters']:,}")
    table.add_row("readings", f"{data['readings']:,}")
    table.add_row("prices", f"{data['prices']:,}")
    table.add_row("newest reading", str(data["newest_reading"] or "—"))
    console.print(table)


def _status_directly(container: Container) -> dict[str, Any]:
    try:
        container.database.upgrade()
        current = container.services.simulation_control.status()
    finally:
        container.close()
    live = current.live
    return {
        "live": {"status": live.status.value, "job_id": live.job_id, "message": live.message}
        if live
        else None,
        "meters": current.meters,
        "readings": current.readings,
        "prices": current.prices,
        "newest_reading": current.newest_reading.isoformat() if current.newest_reading else None,
    }
