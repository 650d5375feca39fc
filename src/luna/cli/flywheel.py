"""`luna flywheel run|kpis` and `luna alerts`: the flywheel's cycle, its KPIs and its alerts.

Everything here is SQL (sessions, KPIs, alert states) or a report in the blob store (the newest search
for knowledge gaps), so the commands work directly, also while `luna serve` runs; `run` does what the
hourly job does, in this process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from luna.cli.context import refused, state, with_services
from luna.cli.server_client import ServerClient, ServerError, follow_job
from luna.domain.flywheel.alerts import AlertState
from luna.domain.flywheel.kpi_values import Window
from luna.domain.german_numbers import de_count, de_number
from luna.services.flywheel.cycle import FLYWHEEL_DRY_RUN_JOB, FLYWHEEL_JOB

app = typer.Typer(help="The data flywheel: sessions, KPIs, thresholds and alerts.", no_args_is_help=True)
console = Console(emoji=False)
T = TypeVar("T")


@app.command("run")
def run(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Judge the thresholds without storing or sending alerts."
    ),
    as_json: bool = typer.Option(False, "--json", help="The cycle's counts as one JSON document."),
) -> None:
    """One cycle now: own sessions in, questions embedded into topics, gaps found, KPIs, thresholds.

    With a running `luna serve` (it owns the vector folder) the cycle runs there as the job
    flywheel.hourly (with --dry-run: flywheel.dry_run) and is followed here; otherwise in this process.
    """
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        result = run_on_server(client, FLYWHEEL_DRY_RUN_JOB if dry_run else FLYWHEEL_JOB, {})
    else:
        result = with_services(ctx, lambda services: services.flywheel.run(dry_run=dry_run)).as_dict()
    echo_result(result, as_json, lambda counts: _cycle_lines(counts, dry_run))


def echo_result(
    result: Mapping[str, Any], as_json: bool, readable: Callable[[Mapping[str, Any]], list[str]]
) -> None:
    """A run's result as short lines for a person, or with ``--json`` as the one JSON document on stdout
    that scripts (deploy/github/flywheel.yml) keep and parse."""
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False) if as_json else "\n".join(readable(result)))


def _cycle_lines(result: Mapping[str, Any], dry_run: bool) -> list[str]:
    """A cycle's counts (``CycleResult.as_dict``, also the job's result) in the summary's German words."""
    gaps: list[str] = result["knowledge_gaps"]
    found = f"{len(gaps)} ({', '.join(gaps)})" if gaps else "keine"
    lines = [
        f"Zyklus gelaufen: {de_count(result['sessions'], 'Sitzung', 'Sitzungen')}, "
        f"{de_count(result['turns'], 'Frage', 'Fragen')}, "
        f"{de_count(result['kpi_values'], 'Kennzahl', 'Kennzahlen')} berechnet.",
        f"Eigene Gespräche gelesen: {de_number(result['own_conversations'])}; "
        f"als Sitzung neu oder geändert: {de_number(result['own_sessions_changed'])}.",
        f"Themen: {de_number(result['topics'])}; Wissenslücken: {found}.",
        f"Alarme aktiv: {result['alerts_firing']}; Änderungen: {result['alert_changes']}.",
        f"Neue Maßnahmen: {result['actions_opened']}.",
    ]
    if dry_run:
        lines.append("Probelauf: Alarmänderungen weder gespeichert noch versandt, keine Maßnahme eröffnet.")
    return lines


def run_on_server(client: ServerClient, name: str, params: dict[str, object]) -> dict[str, object]:
    """Queue the job ``name`` on the running server, follow its progress here, return its result."""
    try:
        job = client.post("admin/jobs", {"name": name, "params": params})
    except ServerError as error:
        raise refused(error) from None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, emoji=False),
    )
    job = follow_job(client, job, progress)
    if job["status"] != "succeeded":
        typer.secho(f"The job ended {job['status']}: {job.get('error') or ''}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    result: dict[str, object] = job["result"]
    return result


@app.command("kpis")
def kpis(
    ctx: typer.Context,
    # Refused when unknown: a window no KPI is kept for would print an empty table, not an error.
    window: Window = typer.Option(Window.DAY, help="The window the KPIs are counted over."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """The newest value of every KPI for the window, overall and per topic."""
    values = [v for v in with_services(ctx, lambda s: s.kpis.latest()) if v.window == window]
    if as_json:
        rows = [
            {
                "kpi": v.kpi.value,
                "scope": v.scope,
                "bucket_start": v.bucket_start.isoformat(),
                "value": v.value,
                "samples": v.samples,
            }
            for v in values
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not values:
        console.print(f"No KPIs per {window} yet: `luna flywheel run` computes them from the sessions.")
        return
    table = Table("KPI", "scope", "bucket (UTC)", "value", "samples", title=f"KPIs per {window}")
    for v in values:
        table.add_row(v.kpi.value, v.scope, v.bucket_start.isoformat()[:16], f"{v.value:.3f}", str(v.samples))
    console.print(table)


def alerts(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Judge the current KPIs and show what would change, storing and sending nothing.",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """Judge the KPI thresholds (config/thresholds.yaml) now and show every alert's state."""
    thresholds, judgement = with_services(
        ctx, lambda services: (services.alerts.thresholds(), services.alerts.evaluate(dry_run=dry_run))
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "states": [_row(s) for s in judgement.states],
                    "changes": len(judgement.changes),
                    "delivered": judgement.delivered,
                },
                indent=2,
            )
        )
        return
    if not thresholds and not judgement.states:  # alerts retired by emptying the file are still shown
        console.print(
            "No thresholds to judge: the file flywheel.thresholds_file names (config/thresholds.yaml) "
            "sets none."
        )
        return
    if not judgement.states:
        # A threshold judges only a KPI value with enough samples (its min_samples): none has one yet.
        console.print(
            f"No alert state yet: no threshold ({len(thresholds)} in the file) has a KPI value with "
            "enough samples to judge. `luna flywheel run` computes the KPIs from the sessions."
        )
        return
    table = Table("threshold", "scope", "state", "value", "samples", "since (UTC)", title="Alerts")
    for row in map(_row, judgement.states):
        table.add_row(
            *(str(row[key]) for key in ("threshold", "scope", "state", "value", "samples", "since"))
        )
    console.print(table)
    prefix = "would change" if dry_run else "changed"
    typer.echo(f"{sum(s.firing for s in judgement.states)} firing; {len(judgement.changes)} {prefix}.")


def _row(state_: AlertState) -> dict[str, object]:
    return {
        "threshold": state_.threshold,
        "scope": state_.scope,
        "state": "ok" if state_.severity is None else f"firing ({state_.severity})",
        "value": round(state_.value, 4),
        "samples": state_.samples,
        "since": state_.since.isoformat()[:19],
    }


def progress(
    ctx: typer.Context,
    export: Path | None = typer.Option(
        None,
        "--export",
        help="Write the report to this Markdown file (e.g. progress_report.md) instead of printing it.",
    ),
) -> None:
    """The flywheel's progress report: KPI trends, alerts, actions, knowledge gaps, consent."""
    _write(with_services(ctx, lambda services: services.progress.progress_report()), export)


def summary(ctx: typer.Context) -> None:
    """A few lines: sessions, usefulness, firing alerts, open actions."""
    typer.echo(with_services(ctx, lambda services: services.progress.summary()))


consent_app = typer.Typer(help="Consent to learning, as documented for the GDPR.", no_args_is_help=True)


@consent_app.command("log")
def consent_log(
    ctx: typer.Context,
    export: Path | None = typer.Option(
        None,
        "--export",
        help="Write the log to this Markdown file (e.g. consent_log.md) instead of printing it.",
    ),
) -> None:
    """Every decision on consent to learning, and the sessions counted without consent."""
    _write(with_services(ctx, lambda services: services.progress.consent_log()), export)


def _write(text: str, export: Path | None) -> None:
    if export is None:
        typer.echo(text, nl=False)
        return
    try:
        export.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.secho(f"Cannot write {export}: {error.strerror}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Written to {export}.")
