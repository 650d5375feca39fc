"""`luna admin verify|reindex|reread`: keeping the knowledge base consistent from the shell.

Each command asks a running `luna serve` when there is one (it owns the embedded vector folder) and
otherwise works on the stores directly from this process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from luna.cli.context import state
from luna.cli.knowledge import console, progress_bar
from luna.cli.server_client import ServerClient
from luna.container import Container

app = typer.Typer(
    help="Keep the knowledge base consistent: verify, repair, reindex, read again.", no_args_is_help=True
)

_T = TypeVar("_T")
#: A maintenance step's progress report: (share done, what is happening).
_Step = Callable[[float, str], None]


@app.command("verify")
def verify(
    ctx: typer.Context,
    fix: bool = typer.Option(False, "--fix", help="Repair the drift that was found"),
) -> None:
    """Report drift between SQL, vectors and blobs (exit code 1 when there is any); --fix repairs it."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    if client.is_running():
        if fix:
            job = client.post("admin/verify", {"fix": True})
            console.print(
                f"Repair queued as job {job['job_id']} (follow it with `luna jobs show {job['job_id']}`)."
            )
            return
        report: dict[str, Any] = client.post("admin/verify", {})
        counts, clean, fixed = report["counts"], report["clean"], False
    else:
        container = cli.container()
        try:
            result = container.services.knowledge.maintenance.verify(fix=fix)
        finally:
            container.close()
        counts, clean, fixed = result.summary(), result.clean, result.fixed
    table = Table("check", "count", title="Knowledge base consistency")
    for name, count in counts.items():
        table.add_row(name.replace("_", " "), f"[{'green' if count == 0 else 'red'}]{count}[/]")
    console.print(table)
    if clean:
        console.print("[green]SQL, vectors and blobs agree.[/green]")
    elif fixed:
        console.print("[green]Repaired.[/green] Run `luna admin verify` again to confirm.")
    else:
        console.print("Drift found; `luna admin verify --fix` repairs it.")
    raise typer.Exit(0 if clean or fixed else 1)


def _maintenance(
    ctx: typer.Context, route: str, label: str, item: list[str], work: Callable[[Container, _Step], _T]
) -> _T | None:
    """Queue the job on the running server (None), else run ``work`` here with a progress bar."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    if client.is_running():
        job = client.post(route, {"item_ids": item} if item else {})
        follow = f"follow it with `luna jobs show {job['job_id']}`"
        console.print(f"{label} queued as job {job['job_id']} ({follow}).")
        return None
    container = cli.container()
    try:
        with progress_bar() as progress:
            task = progress.add_task(label, total=1000)
            return work(
                container,
                lambda fraction, message: progress.update(
                    task, completed=int(fraction * 1000), description=message[:60]
                ),
            )
    finally:
        container.close()


@app.command("reindex")
def reindex(
    ctx: typer.Context,
    item: list[str] = typer.Option([], "--item", help="Only this item, in place (repeatable)"),
) -> None:
    """Rebuild the vectors from SQL (all: new collection swapped in; --item: in place)."""
    result = _maintenance(
        ctx,
        "admin/reindex",
        "Reindex",
        item,
        lambda c, progress: c.services.knowledge.maintenance.reindex(item or None, None, progress),
    )
    if result is not None:
        console.print(_reindexed(result), markup=False)


def _reindexed(result: dict[str, Any]) -> str:
    """One line for a reindex's summary: what was embedded again and into which collection."""
    done = f"{result.get('items', 0)} documents, {result.get('chunks', 0)} chunks embedded again"
    if result.get("mode") == "in_place":
        return f"{done} in place in {result.get('collection')}."
    return f"{done} into {result.get('collection')}, now active (was {result.get('previous') or 'none'})."


@app.command("reread")
def reread(
    ctx: typer.Context,
    item: list[str] = typer.Option([], "--item", help="Only this item (repeatable)"),
) -> None:
    """Read stored documents again with the current extractor; a changed reading becomes a new version."""
    report = _maintenance(
        ctx,
        "admin/reread",
        "Re-read",
        item,
        lambda c, progress: c.services.knowledge.rereader.reread(item or None, None, progress),
    )
    if report is None:
        return
    console.print(
        f"{report.items} documents read again: {len(report.new_versions)} new versions, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed."
    )
    for failure in report.failed:
        console.print(f"[red]{failure['item_id']}[/red]: {escape(str(failure['error']))}")
    raise typer.Exit(1 if report.failed else 0)
