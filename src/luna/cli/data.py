"""`luna data --pipeline vector-ingest`: the flywheel's normalisation alone, on demand.

The hourly cycle embeds questions anyway; an operator runs this after a bulk import of sessions or
to read the topics and knowledge gaps now, without recomputing KPIs or judging thresholds. With a
running `luna serve` (it owns the vector folder) the run is the job flywheel.vector_ingest there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import typer

from luna.cli.context import state, with_services
from luna.cli.flywheel import run_on_server
from luna.cli.server_client import ServerClient
from luna.services.flywheel.cycle import VECTOR_INGEST_DAYS, VECTOR_INGEST_JOB


class Pipeline(StrEnum):
    VECTOR_INGEST = "vector-ingest"


def data(
    ctx: typer.Context,
    pipeline: Pipeline = typer.Option(..., "--pipeline", help="Which data pipeline to run."),
    days: int = typer.Option(VECTOR_INGEST_DAYS, min=1, max=366, help="Sessions of this many days back."),
) -> None:
    """Run a data pipeline now; vector-ingest embeds session questions into topics and finds gaps."""
    del pipeline  # one pipeline so far; the option names it so scripts stay readable when more come
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        typer.echo(
            json.dumps(run_on_server(client, VECTOR_INGEST_JOB, {"days": days}), indent=2, ensure_ascii=False)
        )
        return
    now = datetime.now(UTC)
    result = with_services(ctx, lambda s: s.normaliser.run(now - timedelta(days=days), now).as_dict())
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
