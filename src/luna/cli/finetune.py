"""`luna finetune …`: train a LoRA adapter, see runs and versions, promote and roll back.

`run` trains in this process with a progress bar, or, when a `luna serve` runs (it owns the embedded
stores the evaluation needs), as the job `finetune.run` of that server, followed here (to cancel cleanly
after a checkpoint, cancel that job: `luna jobs cancel`). `status` lists
the runs under the data folder, `list` the registered versions, `eval` a version's stored evaluation
and gates, `promote`/`rollback` change which version the llama.cpp chat backend serves. Each command
that reads the registry migrates the database first, so it works on a fresh or just upgraded install.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from luna.cli.context import fail, refused, state
from luna.cli.server_client import ServerClient, ServerError, follow_job
from luna.domain.errors import LunaError
from luna.domain.finetune.registry import AdapterVersion
from luna.domain.german_numbers import de_exact, de_number
from luna.domain.storable import MAX_VERSION
from luna.services.finetune.registry import AdapterRegistry
from luna.services.finetune.run_params import read_outcome

app = typer.Typer(
    help="LoRA fine-tuning: runs, gates, versions, promotion and rollback.", no_args_is_help=True
)
console = Console(emoji=False)
T = TypeVar("T")
ACTOR = "cli"
_VERSION = typer.Argument(..., min=1, max=MAX_VERSION, help="The version number")


@app.command("run")
def run(
    ctx: typer.Context,
    config: Path = typer.Option(
        None, "--config", help="A LoRA template (default: config/finetune/lora.yaml)"
    ),
    resume: str = typer.Option(None, "--resume", help="Continue a stopped run from its last checkpoint"),
    as_json: bool = typer.Option(False, "--json", help="The run's whole result (metrics, gates) as JSON"),
) -> None:
    """Train, evaluate, register and (when every gate passes and promote is auto) promote an adapter.

    With a `luna serve` running, the run is its job `finetune.run` (`--config` then names a template
    the server may read); a gate that could not be measured exits 1, as the candidate was not judged.
    """
    out = Console(stderr=True, emoji=False) if as_json else console
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        _report(_run_on_server(client, config, resume, out), as_json, out)
        return
    if config is not None and not config.exists():  # a command-line value it cannot take, as on a server
        raise fail(f"fine-tuning template not found: {str(config)[:300]}", 2)
    container = state(ctx).container()
    try:
        container.database.upgrade()
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), console=out
        ) as bar:
            task = bar.add_task("Feintuning", total=1.0)

            def progress(fraction: float, message: str) -> None:
                bar.update(task, completed=fraction, description=message)

            result = container.finetune.service.run(ACTOR, progress, config_file=config, resume=resume)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()
    _report(result, as_json, out)


def _run_on_server(
    client: ServerClient, config: Path | None, resume: str | None, out: Console
) -> dict[str, Any]:
    """Train as the server's job: run here, the evaluation could not open the vector folder the server
    holds and would fail its regression gate after the whole training."""
    params = {key: value for key, value in (("config", config), ("resume", resume)) if value is not None}
    try:
        job = client.post(
            "admin/jobs", {"name": "finetune.run", "params": {k: str(v) for k, v in params.items()}}
        )
    except ServerError as error:
        raise refused(error) from None
    out.print(
        f"Training as job {job['job_id']} of the running server at {client.base_url}; Ctrl-C stops "
        f"following (the job goes on: `luna jobs show {job['job_id']}`)."
    )
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), console=out)
    job = follow_job(client, job, progress)
    if job["status"] != "succeeded":
        message = f"Job {job['job_id']} {job['status']}: {job.get('error') or job.get('message') or ''}"
        raise fail(message)
    result: dict[str, Any] = job["result"]
    return result


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Runs under the data folder, newest first, with how each ended."""
    runs = state(ctx).settings().data_dir / "finetune" / "runs"
    folders = [p for p in runs.iterdir() if (p / "config.json").is_file()] if runs.is_dir() else []
    if not folders:
        console.print("No fine-tuning runs yet: `luna finetune run` starts one.")
        return
    table = Table(Column("run", no_wrap=True), Column("started (UTC)", no_wrap=True), "state", "checkpoints")
    for folder in sorted(folders, key=lambda p: (p / "config.json").stat().st_mtime, reverse=True):
        checkpoints = (
            sorted((folder / "checkpoints").glob("checkpoint-*")) if (folder / "checkpoints").is_dir() else []
        )
        started = datetime.fromtimestamp((folder / "config.json").stat().st_mtime, UTC)
        table.add_row(
            folder.name, f"{started:%Y-%m-%d %H:%M}", escape(_run_state(folder)), str(len(checkpoints))
        )
    console.print(table)


def _run_state(folder: Path) -> str:
    """How the run ended, from its outcome file; a run without one is running, or its process died."""
    ended = read_outcome(folder) or {}
    resume = f"resume: luna finetune run --resume {folder.name}"
    if ended.get("state") == "registered":
        return f"registered as {ended.get('label')}"
    if ended.get("state") == "stopped":
        return f"stopped after step {ended.get('steps')}: {ended.get('reason')} ({resume})"
    if ended.get("state") == "failed":
        return f"failed: {ended.get('error')}"
    return f"not ended: running, or its process died ({resume})"


@app.command("list")
def list_versions(ctx: typer.Context, name: str = typer.Argument(None, help="Only this adapter")) -> None:
    """Registered adapter versions with their state and gates."""
    versions = _with_registry(ctx, lambda r: r.list(name))
    if not versions and name is not None:  # "none yet" read as if the adapter were unknown to all
        known = sorted({v.name for v in _with_registry(ctx, lambda r: r.list(None))})
        raise fail(f"No adapter named {name!r}; registered: {', '.join(known) or 'none yet'}.")
    if not versions:
        console.print("No adapters registered yet.")
        return
    # The label (NAME@vN) is what eval, promote and rollback take: never cut, the others wrap instead.
    table = Table(
        Column("adapter", no_wrap=True),
        *("state", "dataset", "gates", "win vs base", "ROUGE-L", "created (UTC)"),
    )
    for v in versions:
        table.add_row(
            v.label,
            v.state.value,
            v.dataset,
            "passed" if v.gates.get("passed") else "failed",
            _figure(v.metrics.get("win_rate_vs_base")),
            _figure(v.metrics.get("rouge_l")),
            f"{v.created_at.astimezone(UTC):%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("eval")
def show_eval(ctx: typer.Context, name: str, version: int = _VERSION) -> None:
    """A version's evaluation as it was measured when it was registered: figures and each gate."""
    adapter = _with_registry(ctx, lambda r: r.get(name, version))
    _print_gates(adapter)


@app.command("promote")
def promote(
    ctx: typer.Context,
    name: str,
    version: int = _VERSION,
    force: bool = typer.Option(False, "--force", help="Promote although a gate failed (audited)"),
) -> None:
    """Make a version the champion that the llama.cpp chat backend serves."""
    adapter = _with_registry(ctx, lambda r: r.promote(name, version, ACTOR, force=force))
    console.print(f"{adapter.label} is now the champion.")


@app.command("rollback")
def rollback(ctx: typer.Context, name: str) -> None:
    """Archive the champion and restore the one promoted before it (or the base model)."""
    restored = _with_registry(ctx, lambda r: r.rollback(name, ACTOR))
    console.print(
        f"{restored.label} serves again." if restored else "No earlier champion: the base model serves."
    )


def _with_registry(ctx: typer.Context, use: Callable[[AdapterRegistry], T]) -> T:
    """``use`` on the adapter registry of a migrated database; a Luna error is one red line and its exit
    code (:func:`~luna.cli.context.exit_code`)."""
    container = state(ctx).container()
    try:
        container.database.upgrade()
        return use(container.finetune.registry)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()


def _report(result: dict[str, Any], as_json: bool, out: Console) -> None:
    """The run's result for a person, or whole as JSON; either way a gate that failed, or could not be
    measured (the candidate was not judged), exits 1, as a failed gate does in every command."""
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_result(result)
    checks = result.get("gates", {}).get("checks", [])
    unmeasured = [c["gate"] for c in checks if c["value"] is None and not c["passed"]]
    if unmeasured:
        message = f"Not judged: {', '.join(unmeasured)} could not be measured (see the reason above)."
        raise fail(message)
    if failed := [c["gate"] for c in checks if not c["passed"]]:
        raise fail(f"Not promoted: the gate {', '.join(failed)} failed; the version is kept as a candidate.")


def _print_result(result: dict[str, Any]) -> None:
    if result.get("stopped"):
        console.print(f"[yellow]{escape(result['alert'])}[/yellow]\nResume: [bold]{result['resume']}[/bold]")
        return
    label, where = f"{result['name']}@v{result['version']}", f"{result['device']}, {result['precision']}"
    console.print(f"Registered [bold]{label}[/bold] from {result['dataset']} ({where}).")
    for line in _target_lines(result["targets"]):
        console.print(line)
    _print_checks(result["gates"]["checks"])
    console.print(
        "Promoted: now the champion." if result["promoted"] else "Kept as a candidate (not promoted)."
    )


def _target_lines(targets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The template's absolute targets next to what was measured, in German figures; they are shown,
    never gated, so they stand apart from the gate lines that decide promotion."""
    if not targets:
        return []
    lines = ["Ziele der Vorlage (nur angezeigt, keine Gates):"]
    for name, target in targets.items():
        mark = "[green]✓[/green]" if target["met"] else "[red]✗[/red]"
        value = "nicht gemessen" if target["value"] is None else de_number(target["value"], 3)
        lines.append(f"  {mark} {name}: {value} (Ziel {de_exact(target['target'])})")
    return lines


def _print_gates(adapter: AdapterVersion) -> None:
    console.print(
        f"[bold]{escape(adapter.label)}[/bold] ({adapter.state.value}), dataset {escape(adapter.dataset)}"
    )
    for key in (
        "bleu",
        "rouge_l",
        "base_bleu",
        "base_rouge_l",
        "citation_validity",
        "refusal_correctness",
        "win_rate_vs_base",
        "win_rate_vs_champion",
        "canary_leaks",
        "pii_leaks",
        "regression_score",
        "regression_opponent_score",
        "train_seconds",
    ):
        console.print(f"  {key}: {_figure(adapter.metrics.get(key))}")
    _print_checks(adapter.gates.get("checks", []), indent="  ")


def _print_checks(checks: Sequence[Mapping[str, Any]], indent: str = "") -> None:
    """Each gate with what was measured and its threshold ("≥/≤ 0.65" said neither)."""
    for check in checks:
        mark = "[green]✓[/green]" if check["passed"] else "[red]✗[/red]"
        note = f" – {escape(check['note'])}" if check.get("note") else ""
        value = f"{_figure(check.get('value'))} (threshold {check['threshold']:g})"
        console.print(f"{indent}{mark} {check['gate']}: {value}{note}")


def _figure(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "–"
