"""`luna feeds import|list`: CSV drops of readings and prices from the shell.

The commands work on the database and the blob store directly (neither needs the vector folder that a
running `luna serve` owns), so they work with and without a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from luna.cli.context import state
from luna.domain.energy import FeedFile
from luna.domain.errors import InvalidInput, LunaError
from luna.domain.storable import printable
from luna.services.knowledge.ingest_files import shown_path

app = typer.Typer(
    help="Real meter and price feeds: CSV drops (MQTT runs in the worker).", no_args_is_help=True
)
console = Console(emoji=False)

_COUNTS = (
    ("inserted", "stored"),
    ("already_stored", "already stored"),
    ("duplicates", "repeated in the file"),
    ("late", "late"),
    ("out_of_order", "out of order"),
    ("counter_resets", "counter resets"),
    ("conflicts", "conflicts"),
)


def _where(problem: dict[str, Any]) -> str:
    return str(
        problem.get("meter_id") or "/".join(filter(None, (problem.get("market"), problem.get("product"))))
    )


def _rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """The listed rows; their values are the file's text, so ``[`` is printed, never read as markup, and
    control characters (an ESC sequence) become spaces."""
    table = Table("line", "meter / series", "ts", "field", "reason", title=title, title_justify="left")
    for row in rows:
        cells = (_where(row), row.get("ts", ""), row["field"], row["reason"])
        table.add_row(str(row["line"]), *(escape(printable(str(cell))) for cell in cells))
    return table


def _print_report(path: Path, record: FeedFile) -> None:
    report = record.report
    colour = "green" if record.rows_bad == 0 else "yellow"
    console.print(
        f"[bold]{escape(path.name)}[/bold] → {escape(record.key)}: "
        f"[{colour}]rows: {record.rows_ok} accepted, {record.rows_bad} refused[/{colour}]"
    )
    console.print("  " + ", ".join(f"{report.get(key, 0)} {label}" for key, label in _COUNTS))
    if report.get("problems"):
        listed = len(report["problems"])
        more = f" (the first {listed} of {record.rows_bad})" if listed < record.rows_bad else ""
        console.print(_rows_table(f"Refused rows{more}", report["problems"]))
    if report.get("notices"):
        console.print(_rows_table("Notices (rows accepted)", report["notices"]))


def import_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="smart_meter_readings*.csv or market_prices*.csv",
    ),
) -> None:
    """Import CSV files now; each is kept under feeds.csv_prefix and reported with refused lines.

    Exit code 1 when a file was refused as a whole (wrong name, header or size, or not one row could
    be imported); refused rows alone do not fail the command, the report lists them.
    """
    container = state(ctx).container()
    max_bytes = container.settings.feeds.csv_max_mb * 1024 * 1024
    refused = 0
    try:
        container.database.upgrade()
        for path in files:
            try:
                record = container.services.csv_feeds.upload(path.name, _read(path, max_bytes))
            except LunaError as error:
                refused += 1
                name, reason = escape(printable(path.name)), escape(printable(error.message))
                console.print(f"[bold]{name}[/bold]: [red]refused: {reason}[/red]")
                if problems := (error.details or {}).get("problems"):
                    console.print(_rows_table("Refused rows", problems))
                continue
            _print_report(path, record)
    finally:
        container.close()
    raise typer.Exit(1 if refused else 0)


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, one more than allowed at most (enough to refuse it); a FIFO or a device is
    refused, since reading one waits for a writer or never ends."""
    if not path.is_file():
        raise InvalidInput(f"{shown_path(path)} is not a regular file.")
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def list_files(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many drops to show"),
) -> None:
    """The CSV drops under feeds.csv_prefix and what their import did, newest uploads first."""
    container = state(ctx).container()
    try:
        container.database.upgrade()
        drops, total = container.services.csv_feeds.drops(limit=limit)
    finally:
        container.close()
    table = Table(
        "key", "status", "kind", "rows ok", "refused", "imported at", title=f"{len(drops)} of {total}"
    )
    for drop in drops:
        record = drop.record
        if record is None:
            table.add_row(escape(drop.key), "[yellow]pending[/yellow]", "", "", "", "")
            continue
        status = "[green]imported[/green]" if record.status == "imported" else "[red]failed[/red]"
        table.add_row(
            escape(drop.key),
            status,
            record.kind,
            str(record.rows_ok),
            str(record.rows_bad),
            record.imported_at.isoformat(timespec="seconds"),
        )
    console.print(table)


app.command("import")(import_files)
app.command("list")(list_files)
