"""`luna admin verify|reindex|reread`: keeping the knowledge base consistent from the shell.

Each command asks a running `luna serve` when there is one (it owns the embedded vector folder) and
otherwise works on the stores directly from this process. Either way it shows the progress and prints
the same result: on a server, the command follows the job it queued (Ctrl-C stops following, not the
job).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from luna.cli.context import queued_and_followed, state
from luna.cli.knowledge import console, progress_bar
from luna.cli.server_client import ServerClient
from luna.container import Container

app = typer.Typer(
    help="Keep the knowledge base consistent: verify, repair, reindex, read again.", no_args_is_help=True
)

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
            repaired = queued_and_followed(client, "admin/verify", {"fix": True}, progress_bar(), "Repair")
            clean, fixed, lost = repaired.pop("clean"), repaired.pop("fixed"), repaired.pop("lost_files")
            counts, repairable = repaired, False
        else:
            report: dict[str, Any] = client.post("admin/verify", {})
            counts, clean, fixed, repairable = report["counts"], report["clean"], False, report["repairable"]
            lost = report["lost_files"]
    else:
        container = cli.container()
        try:
            result = container.services.knowledge.maintenance.verify(fix=fix)
        finally:
            container.close()
        counts, clean, fixed, lost = result.summary(), result.clean, result.fixed, result.lost_files
        repairable = result.repairable
    table = Table("check", "count", title="Knowledge base consistency")
    for name, count in counts.items():
        table.add_row(name.replace("_", " "), f"[{'green' if count == 0 else 'red'}]{count}[/]")
    console.print(table)
    console.print(_verdict(clean, fixed, lost, repairable=repairable))
    raise typer.Exit(0 if clean or (fixed and not lost) else 1)


def _verdict(clean: bool, fixed: bool, lost: list[str], *, repairable: bool) -> str:
    """What the report means, and what to do; lost files are named, because --fix cannot help them."""
    if clean:
        return "[green]SQL, vectors and blobs agree.[/green]"
    lines = []
    if fixed:
        lines.append("[green]Repaired[/green] what can be repaired; `luna admin verify` again confirms it.")
    elif repairable:
        lines.append("Drift found; `luna admin verify --fix` repairs it.")
    if lost:
        lines.append(
            f"{len(lost)} document(s) lack their uploaded file or extracted text, which nothing brings back: "
            "delete them (DELETE /api/v1/admin/item/ID or the admin view) and upload them again: "
            + escape(", ".join(lost[:20]))
            + (f" and {len(lost) - 20} more" if len(lost) > 20 else "")
        )
    return "\n".join(lines)


def _maintenance(
    ctx: typer.Context,
    route: str,
    label: str,
    item: list[str],
    work: Callable[[Container, _Step], dict[str, Any]],
) -> dict[str, Any]:
    """Run the job on the running server and follow it, else run ``work`` here with a progress bar."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    if client.is_running():
        return queued_and_followed(client, route, {"item_ids": item} if item else {}, progress_bar(), label)
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
        lambda c, progress: c.services.knowledge.rereader.reread(item or None, None, progress).as_dict(),
    )
    console.print(
        f"{report['items']} documents read again: {report['new_versions']} new versions, "
        f"{report['unchanged']} unchanged, {len(report['failed'])} failed."
    )
    for failure in report["failed"]:
        console.print(f"[red]{escape(str(failure['item_id']))}[/red]: {escape(str(failure['error']))}")
    raise typer.Exit(1 if report["failed"] else 0)
