"""`luna data --pipeline vector-ingest`: the flywheel's normalisation alone, on demand.

The hourly cycle embeds questions anyway; an operator runs this after a bulk import of sessions or
to read the topics and knowledge gaps now, without recomputing KPIs or judging thresholds. With a
running `luna serve` (it owns the vector folder) the run is the job flywheel.vector_ingest there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import typer

from luna.cli.context import state, with_services
from luna.cli.flywheel import echo_result, run_on_server
from luna.cli.server_client import ServerClient
from luna.domain.german_numbers import de_count, de_number
from luna.services.flywheel.cycle import VECTOR_INGEST_DAYS, VECTOR_INGEST_JOB
from luna.settings import Settings
from luna.settings.backends import S3BlobSettings

#: Topics named in the summary line, largest first; the report lists them all.
TOPICS_SHOWN: Final = 10


class Pipeline(StrEnum):
    VECTOR_INGEST = "vector-ingest"


def data(
    ctx: typer.Context,
    pipeline: Pipeline = typer.Option(..., "--pipeline", help="Which data pipeline to run."),
    days: int = typer.Option(VECTOR_INGEST_DAYS, min=1, max=366, help="Sessions of this many days back."),
    as_json: bool = typer.Option(False, "--json", help="The run's counts, topics and gaps as JSON."),
) -> None:
    """Run a data pipeline now; vector-ingest embeds session questions into topics and finds gaps."""
    del pipeline  # one pipeline so far; the option names it so scripts stay readable when more come
    settings = state(ctx).settings()
    client = ServerClient(settings)
    if client.is_running():
        result = run_on_server(client, VECTOR_INGEST_JOB, {"days": days})
    else:
        now = datetime.now(UTC)
        result = with_services(ctx, lambda s: s.normaliser.run(now - timedelta(days=days), now).as_dict())
    report = _blob_place(settings, str(result["report"]))
    echo_result(result, as_json, lambda shown: [*_ingest_lines(shown), f"Bericht: {report}"])


def _blob_place(settings: Settings, key: str) -> str:
    """Where a blob key is for the reader: a file path on this machine, or the key in the S3 bucket (the
    key alone read as a path relative to the current folder, which it is not)."""
    if isinstance(settings.blobs, S3BlobSettings):
        return f"{key} (im S3-Bucket {settings.blobs.bucket})"
    return str(settings.blobs_path / key)


def _ingest_lines(result: Mapping[str, Any]) -> list[str]:
    """A vector-ingest run (``NormaliseRun.as_dict``, also the job's result) in short German lines."""
    topics = sorted(result["topics"], key=lambda topic: -topic["questions"])
    gaps = result["knowledge_gaps"]
    named = ", ".join(f"{t['topic']} ({de_number(t['questions'])})" for t in topics[:TOPICS_SHOWN])
    more = f" und {len(topics) - TOPICS_SHOWN} weitere" if len(topics) > TOPICS_SHOWN else ""
    return [
        f"Vektor-Ingest: {de_count(result['sessions'], 'Sitzung', 'Sitzungen')}, "
        f"{de_count(result['questions'], 'Frage', 'Fragen')} eingebettet, "
        f"{de_count(len(topics), 'Thema', 'Themen')}.",
        *([f"Themen (Fragen): {named}{more}."] if topics else []),
        f"Wissenslücken: {len(gaps) or 'keine'}.",
        *(f"  - {gap['topic']}, z. B. „{gap['examples'][0]}“" for gap in gaps),
    ]
