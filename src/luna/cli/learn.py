"""`luna learn …`: run the learning job and see its score versions.

`run` goes through the running `luna serve` when one answers (as the job `learn.run` of its worker,
followed with a progress bar), and otherwise computes in this process against the database, saying
which; `--local` computes here even when a server runs. `status` lists the score versions, read through
the server or, without one, from the database directly.
"""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from luna.cli.context import fail, percent_bar, queued_and_followed, refused, state
from luna.cli.server_client import ServerClient, ServerError
from luna.container import Container
from luna.domain.errors import LunaError
from luna.services.learning.learning import parse_as_of

app = typer.Typer(
    help="The learning loop: popularity and quality scores from events and ratings.", no_args_is_help=True
)
console = Console(emoji=False)

_AS_OF_HELP = "Score as of this moment (ISO-8601 with a time zone); default: the newest event or rating"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment (a container without passwd entry)
        return "cli"


@app.command("run")
def run(
    ctx: typer.Context,
    as_of: str = typer.Option(None, "--as-of", help=_AS_OF_HELP),
    local: bool = typer.Option(False, "--local", help="Compute in this process even when a server runs"),
) -> None:
    """Compute popularity and quality scores; a rerun on unchanged data reports `unchanged`."""
    cli = state(ctx)
    try:
        moment = parse_as_of(as_of)
    except LunaError as error:
        raise fail(error.message, 2) from None
    client = ServerClient(cli.settings())
    if not local and client.is_running():
        result, where = _run_on_server(client, as_of), f"as a job of the running server at {client.base_url}"
    else:
        reason = "--local" if local else "no running `luna serve` found"
        console.print(f"[dim]{escape(reason)}: learning in this process[/dim]")
        container = cli.container()
        try:
            result = _run_here(container, moment)
        except LunaError as error:
            raise refused(error) from None
        finally:
            container.close()
        where = f"in this process on the {container.settings.database.kind} database"
    _result_table(result, where)


def _run_on_server(client: ServerClient, as_of: str | None) -> dict[str, Any]:
    return queued_and_followed(
        client, "admin/learn", {"as_of": as_of} if as_of else {}, percent_bar(console), "Learning run"
    )


def _run_here(container: Container, as_of: Any) -> dict[str, Any]:
    container.database.upgrade()
    with percent_bar(console) as progress:
        task = progress.add_task("Lernen", total=1000)

        def report(fraction: float, message: str) -> None:
            progress.update(task, completed=int(fraction * 1000), description=message[:60])

        result = container.services.learning.run(_actor(), as_of=as_of, progress=report).as_dict()
    container.database.refresh_events_daily()
    return result


def _result_table(result: dict[str, Any], where: str) -> None:
    changes = result["changes"]
    state_text = "unchanged (same inputs as this version)" if result["unchanged"] else "new"
    table = Table("", "", title=f"Learning run — {where}", show_header=False)
    for label, value in (
        ("version", f"{result['version']} ({state_text})"),
        ("as of", result["as_of"]),
        ("events used", f"{result['events']:,}"),
        ("ratings used", f"{result['ratings']:,}"),
        ("chunks scored", f"{result['chunks']:,}"),
        ("items scored", f"{result['items']:,}"),
        (
            "chunks changed",
            f"{changes['changed']:,} ({changes['moved']:,} moved, {changes['added']:,} new, "
            f"{changes['removed']:,} gone)",
        ),
        ("inputs sha256", result["inputs_sha256"]),
    ):
        table.add_row(label, escape(str(value)))
    console.print(table)
    movers = changes["top_movers"]
    if movers:
        top = Table("chunk", "popularity", "quality", title="Largest changes")
        for mover in movers:
            (pop_before, pop_after), (q_before, q_after) = mover["popularity"], mover["quality"]
            top.add_row(
                mover["chunk_id"], f"{pop_before:.3f} → {pop_after:.3f}", f"{q_before:.3f} → {q_after:.3f}"
            )
        console.print(top)


@app.command("status")
def status(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", min=1, max=100, help="Versions to list"),
) -> None:
    """The score versions, newest first, and the run queued or running now."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    try:
        if client.is_running():
            data: dict[str, Any] = client.get("admin/learn", limit=limit)
        else:
            console.print("[dim]no running `luna serve` found: reading the database directly[/dim]")
            data = _status_directly(cli.container(), limit)
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    versions = data["versions"]
    if not versions:
        console.print("No score versions yet: `luna learn run` computes the first.")
    else:
        table = Table(
            "version", "computed (UTC)", "as of (UTC)", "actor", "chunks", "items", "inputs", title="Scores"
        )
        for version in versions:
            table.add_row(
                str(version["version"]),
                str(version["computed_at"])[:19],
                str(version["as_of"])[:19],
                escape(version["actor"]),
                f"{version['chunks']:,}",
                f"{version['items']:,}",
                version["inputs_sha256"][:12],
            )
        console.print(table)
    job = data.get("job")
    if job:
        console.print(f"Run {job['status']} as job {job['job_id']}.")


def _status_directly(container: Container, limit: int) -> dict[str, Any]:
    try:
        container.database.upgrade()
        versions = container.services.learning.versions(limit)
        active = container.services.learning_control.active_job()
    finally:
        container.close()
    return {
        "versions": [
            {
                "version": v.version,
                "computed_at": v.computed_at.isoformat(),
                "as_of": v.as_of.isoformat(),
                "actor": v.actor,
                "chunks": v.chunks,
                "items": v.items,
                "inputs_sha256": v.inputs_sha256,
            }
            for v in versions
        ],
        "job": {"status": active.status.value, "job_id": active.job_id} if active else None,
    }
