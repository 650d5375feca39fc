"""`luna snapshot create|list|restore|delete`: knowledge-base backups from the shell.

Through a running `luna serve` when there is one (it owns the embedded vector folder), else directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from luna.cli.context import fail, refused, state
from luna.cli.server_client import ServerClient, ServerError
from luna.domain.errors import LunaError
from luna.services.knowledge.snapshots import SNAPSHOT_ID, SnapshotInfo, SnapshotService

app = typer.Typer(help="Snapshots of SQL, vectors and documents, and restoring them.", no_args_is_help=True)
console = Console(emoji=False)


def _row(info: SnapshotInfo) -> dict[str, Any]:
    return {
        "id": info.snapshot_id,
        "created_at": info.created_at.isoformat(),
        "parts": list(info.parts),
        "counts": info.counts,
        "size_bytes": info.size_bytes,
    }


def _show(rows: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    # The ID is what restore and delete take: never cut, the counts and sizes wrap instead.
    table.add_column("id", no_wrap=True)
    for header in ("created (UTC)", "parts", "items", "chunks", "points", "blobs", "size"):
        table.add_column(header)
    for row in rows:
        counts = row["counts"]
        table.add_row(
            row["id"],
            str(row["created_at"])[:19],
            ", ".join(row["parts"]),
            *(str(counts.get(key, "")) for key in ("items", "chunks", "points", "blobs")),
            f"{row['size_bytes'] / 1e6:.1f} MB",
        )
    console.print(table)


def _run(
    ctx: typer.Context, via_server: Callable[[ServerClient], Any], directly: Callable[[SnapshotService], Any]
) -> Any:
    cli = state(ctx)
    client = ServerClient(cli.settings(), timeout_sec=3600)
    try:
        if client.is_running():
            return via_server(client)
        container = cli.container()
        try:
            return directly(container.services.snapshots)
        finally:
            container.close()
    except (ServerError, LunaError) as error:
        raise refused(error) from None


@app.command("create")
def create(
    ctx: typer.Context,
    vectors: bool = typer.Option(True, "--vectors/--no-vectors", help="Include the vector collections"),
    sql: bool = typer.Option(True, "--sql/--no-sql", help="Include the SQL dump"),
    blobs: bool = typer.Option(True, "--blobs/--no-blobs", help="Include the documents"),
    as_json: bool = typer.Option(False, "--json", help="Print the snapshot as JSON (its ID under `id`)."),
) -> None:
    """Take a snapshot; prints its ID."""
    row = _run(
        ctx,
        lambda c: c.post("admin/snapshots", {"qdrant": vectors, "pg_dump": sql, "blobs": blobs}),
        lambda snapshots: _row(snapshots.create(vectors=vectors, sql=sql, blobs=blobs)),
    )
    if as_json:
        typer.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    _show([row], "Snapshot written")
    console.print(f"Snapshot {row['id']} created.")


@app.command("list")
def list_snapshots(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the snapshots as a JSON list."),
) -> None:
    """All snapshots, newest first."""
    rows = _run(
        ctx, lambda c: c.get("admin/snapshots"), lambda snapshots: [_row(i) for i in snapshots.list()]
    )
    if as_json:  # for scripts: an empty list is an answer, too
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No snapshots yet: `luna snapshot create` takes one.")
        return
    _show(rows, "Snapshots")


def _snapshot_id(value: str) -> str:
    """Only an ID of the snapshots' own form goes into a URL: "../jobs/<id>/cancel?" cancelled a job."""
    if not SNAPSHOT_ID.match(value):
        raise typer.BadParameter(f"{value!r} is no snapshot ID; `luna snapshot list` shows them")
    return value


@app.command("restore")
def restore(
    ctx: typer.Context,
    snapshot_id: str = typer.Argument(..., help="ID from `luna snapshot list`", callback=_snapshot_id),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Replace the knowledge base (SQL, vectors, documents) with a snapshot."""
    if not yes:  # an unknown ID is said before the question, not after a "yes"
        listed = _run(ctx, lambda c: c.get("admin/snapshots"), lambda s: [_row(i) for i in s.list()])
        chosen = next((row for row in listed if row["id"] == snapshot_id), None)
        if chosen is None:
            raise fail(f"No snapshot with id {snapshot_id!r}; `luna snapshot list` shows them.")
        created = str(chosen["created_at"])[:16].replace("T", " ")
        typer.confirm(
            f"Replace the current knowledge base with snapshot {snapshot_id} of {created} UTC?", abort=True
        )
    row = _run(
        ctx,
        lambda c: c.post(f"admin/snapshots/{snapshot_id}/restore", {}),
        lambda snapshots: _row(snapshots.restore(snapshot_id)),
    )
    _show([row], "Restored")


@app.command("delete")
def delete(ctx: typer.Context, snapshot_id: str = typer.Argument(..., callback=_snapshot_id)) -> None:
    """Delete a snapshot."""
    _run(
        ctx,
        lambda c: c.delete(f"admin/snapshots/{snapshot_id}"),
        lambda snapshots: snapshots.delete(snapshot_id),
    )
    console.print(f"Snapshot {snapshot_id} deleted.")
