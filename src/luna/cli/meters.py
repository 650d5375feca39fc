"""`luna meters claim-code`: the code a customer links their meter with, for a letter or a bill.

Claim codes are derived from the meter ID and ``auth.jwt_secret`` (nothing is stored), so this reads
only the meter from the database and works while `luna serve` runs; it prints the same code as
``GET /api/v1/admin/meters/{meter_id}/claim-code``.
"""

from __future__ import annotations

import json

import typer

from luna.cli.context import with_services

app = typer.Typer(
    help="Smart meters: the claim codes customers link their meters with.", no_args_is_help=True
)


@app.command("claim-code")
def claim_code(
    ctx: typer.Context,
    meter_id: str = typer.Argument(..., help="The meter's ID (its Zählernummer in Luna)"),
    as_json: bool = typer.Option(False, "--json", help='{"meter_id", "code"} instead of the code alone.'),
) -> None:
    """Print the meter's claim code (Freischaltcode), e.g. K7MQ-3XTB; exit 1 for an unknown meter."""
    code = with_services(ctx, lambda s: s.meter_links.claim_code(meter_id))
    typer.echo(json.dumps({"meter_id": meter_id, "code": code}) if as_json else code)
