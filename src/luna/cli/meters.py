"""`luna meters list|interval|claim-code`: the stored meters, their reading interval, and the code a
customer links their meter with, for a letter or a bill.

Meters live in SQL only, so these commands open the database directly, also while `luna serve` runs.
Claim codes are derived from the meter ID and ``auth.jwt_secret`` (nothing is stored); this prints the
same code as ``GET /api/v1/admin/meters/{meter_id}/claim-code``.
"""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from luna.cli.context import with_services
from luna.domain.energy import MeterInfo
from luna.domain.energy_validation import every

app = typer.Typer(
    help="Smart meters: list them, correct their reading interval, print their claim codes.",
    no_args_is_help=True,
)
console = Console(emoji=False)
#: Meters listed at most; the API pages through more.
LISTED: int = 1000


@app.command("list")
def list_meters(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """The stored meters (up to 1,000) with their type, reading interval, source and readings' span."""
    page = with_services(ctx, lambda s: s.energy_data.meters(None, LISTED, 0))
    if as_json:
        typer.echo(json.dumps({"meters": [_row(m) for m in page.meters], "total": page.total}, indent=2))
        return
    if not page.meters:
        console.print("No meters yet: readings from the simulation, a CSV drop or MQTT create them.")
        return
    table = Table(Column("meter", no_wrap=True), "type", "PV", "every", "source", "first (UTC)", "last (UTC)")
    for meter in page.meters:
        row = _row(meter)
        cells = (row["meter_id"], row["kind"], "yes" if meter.has_pv else "no", every(meter.interval_s))
        shown = (*cells, meter.source, row["first_ts"] or "—", row["last_ts"] or "—")
        table.add_row(*(escape(str(cell)) for cell in shown))
    console.print(table)
    if page.total > len(page.meters):
        console.print(
            f"{len(page.meters)} of {page.total} meters; GET /api/v1/data/meters pages through all."
        )


@app.command("interval")
def interval(
    ctx: typer.Context,
    meter_id: str = typer.Argument(..., help="The meter's ID"),
    seconds: int = typer.Argument(..., help="Seconds one reading covers: 60, 120, 300, 600, 900, 1800, 3600"),
) -> None:
    """Correct a meter's reading interval; the kWh of all its rollups are recomputed.

    A meter first seen over MQTT, or in a file with one row of it, is stored as reading every minute;
    a feed's report says when its rows are further apart. Exit 2 for an interval Luna does not take,
    1 for an unknown meter or one whose readings are closer together than the interval.
    """
    meter = with_services(ctx, lambda s: s.energy_data.set_interval(meter_id, seconds))
    typer.echo(f"Meter {meter.meter_id} reads every {every(meter.interval_s)}; its kWh follow.")


def _row(meter: MeterInfo) -> dict[str, object]:
    def when(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()[:19]

    return {
        "meter_id": meter.meter_id,
        "kind": meter.kind,
        "has_pv": meter.has_pv,
        "interval_s": meter.interval_s,
        "source": meter.source,
        "first_ts": when(meter.first_ts),
        "last_ts": when(meter.last_ts),
    }


@app.command("claim-code")
def claim_code(
    ctx: typer.Context,
    meter_id: str = typer.Argument(..., help="The meter's ID (its Zählernummer in Luna)"),
    as_json: bool = typer.Option(False, "--json", help='{"meter_id", "code"} instead of the code alone.'),
) -> None:
    """Print the meter's claim code (Freischaltcode), e.g. K7MQ-3XTB; exit 1 for an unknown meter."""
    code = with_services(ctx, lambda s: s.meter_links.claim_code(meter_id))
    typer.echo(json.dumps({"meter_id": meter_id, "code": code}) if as_json else code)
