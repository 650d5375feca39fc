"""`luna datasets …`: pipeline files into versioned, quality-checked datasets, and where they went.

`run` runs a pipeline (sources, cleaning steps, quality gates, consumers) with a progress bar and
prints the version it made: as the job of a running `luna serve`, followed here (a knowledge consumer
writes into the vector folder the server holds), otherwise in this process; `--queue` queues the job
`datasets.run` without following it. `list`, `show` and `lineage` read the database directly;
`deliver` and `rollback` (through a running server, likewise) hand a version to the consumers again
or point one consumer back at an earlier version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from luna.cli.context import fail, percent_bar, queued_and_followed, refused, state
from luna.cli.server_client import ServerClient, ServerError
from luna.container import Container
from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, LineageEdge
from luna.domain.errors import LunaError
from luna.domain.storable import MAX_VERSION
from luna.services.datasets.datasets import DATASETS_JOB
from luna.workers.datasets import check_run

app = typer.Typer(
    help="Datasets: pipeline files into versioned, quality-checked datasets; lineage and consumers.",
    no_args_is_help=True,
)
console = Console(emoji=False)

#: (label, key) of the quality figures `show` prints, in reading order.
QUALITY_ROWS: tuple[tuple[str, str], ...] = (
    ("confidence", "confidence"),
    ("completeness", "completeness"),
    ("validity", "validity"),
    ("uniqueness", "uniqueness"),
    ("consistency", "consistency"),
    ("timeliness", "timeliness"),
    ("records in", "input_records"),
    ("records out", "output_records"),
    ("newest record (days)", "newest_age_days"),
)


def _container(ctx: typer.Context) -> Container:
    container = state(ctx).container()
    container.database.upgrade()
    return container


def _figure(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _score(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f} / 100"


@app.command("pipelines")
def pipelines(ctx: typer.Context) -> None:
    """The pipeline files (config/pipelines, the data dir's pipelines/), each loaded or with its problems."""
    container = state(ctx).container()
    try:
        files = container.services.datasets.pipelines()
    finally:
        container.close()
    if not files:
        console.print("No pipeline files: put one into config/pipelines/ or the data dir's pipelines/.")
        return
    table = Table("pipeline", "record", "schedule", "sources", "steps", "consumers", title="Pipelines")
    for file in files:
        if file.pipeline is None:
            table.add_row(file.name, f"[red]{escape(file.error or 'cannot be loaded')}[/red]", "", "", "", "")
            continue
        p = file.pipeline
        table.add_row(
            escape(file.name),
            p.record,
            p.schedule or "on request",
            escape(", ".join(f"{s.name} ({s.kind})" for s in p.sources)),
            escape(", ".join(s.step for s in p.steps)) or "-",
            escape(", ".join(c.name for c in p.consumers)) or "-",
        )
    console.print(table)


@app.command("run")
def run(
    ctx: typer.Context,
    pipeline: str = typer.Argument(..., help="The pipeline's name (see `luna datasets pipelines`)"),
    queue: bool = typer.Option(False, "--queue", help="Queue the job datasets.run instead of running here"),
) -> None:
    """Run a pipeline into a new dataset version (or find the unchanged one) and hand it to its consumers.

    Beside a running `luna serve`, the run is the server's job, followed here: a knowledge consumer
    writes into the vector folder the server holds, which this process cannot open."""
    if queue:
        _queue(ctx, pipeline)
        return
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        _run_on_server(ctx, client, pipeline)
        return
    container = _container(ctx)
    try:
        container.services.datasets.pipeline(pipeline)  # unknown or faulty: one line, before the progress bar
        with percent_bar(console) as progress:
            task = progress.add_task(pipeline, total=1000)

            def report(fraction: float, message: str) -> None:
                progress.update(task, completed=int(fraction * 1000), description=escape(message[:60]))

            result = container.services.datasets.run(pipeline, progress=report)
        problem = _print_run(container, result)
    except LunaError as error:
        raise refused(error) from None
    except Exception as error:  # a failing step: the run is recorded as failed with this reason
        raise fail(f"The run of {pipeline} failed: {type(error).__name__}: {error}") from None
    finally:
        container.close()
    if problem is not None:
        raise fail(problem)


def _run_on_server(ctx: typer.Context, client: ServerClient, pipeline: str) -> None:
    with percent_bar(console) as progress:
        result = queued_and_followed(
            client, "admin/datasets/runs", {"pipeline": pipeline}, progress, f"Run of {pipeline}"
        )
    if result.get("status") == "partitioned":
        console.print(
            f"Run {result['run_id']} reads its sources in partition jobs; a merge job makes the version."
        )
        return
    container = _container(ctx)
    try:
        problem = _print_run(container, container.services.datasets.get_run(str(result["run_id"])))
    finally:
        container.close()
    if problem is not None:
        raise fail(problem)


def _queue(ctx: typer.Context, pipeline: str) -> None:
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        try:
            job = client.post("admin/datasets/runs", {"pipeline": pipeline})
        except ServerError as error:
            raise refused(error) from None
        where = f"on the running server at {client.base_url}"
    else:
        container = _container(ctx)
        try:
            queued = container.services.jobs.submit(
                DATASETS_JOB,
                {"pipeline": pipeline},
                created_by="cli",
                check=lambda params: check_run(container, **params),
            )
        except LunaError as error:
            raise refused(error) from None
        finally:
            container.close()
        job = {"job_id": queued.job_id}
        # No server answers: in the embedded profile the job runs once `luna serve` starts (its worker
        # lives there), with jobs.kind redis any `luna worker` takes it.
        if container.settings.jobs.kind == "redis":
            where = "for `luna worker` (no running `luna serve`)"
        else:
            where = "for `luna serve` to run once it starts (its worker runs jobs; none runs now)"
    console.print(
        f"Run of {pipeline} queued as job {job['job_id']} {where} (`luna jobs show {job['job_id']}`)."
    )


def _print_run(container: Container, result: DatasetRun) -> str | None:
    """Show the run's version; what failed, if anything: its gates, or a consumer that did not get it (a run
    without a version: whether it succeeded)."""
    service = container.services.datasets
    version = next((v for v in service.versions(result.pipeline) if v.version_id == result.version_id), None)
    if version is None:
        console.print(f"Run {result.run_id}: {result.status}.")
        return None if result.status == "succeeded" else f"The run ended {result.status}."
    quality = version.quality
    # The values fold rather than being cut: a webhook consumer's name is its URL, which rollback takes.
    table = Table("", Column("", overflow="fold"), title=f"Dataset {version.dataset}", show_header=False)
    table.add_row("run", result.run_id)
    table.add_row("version", str(version.number))
    table.add_row("records", f"{version.records:,}")
    table.add_row("quality score", _score(quality.get("score")))
    table.add_row("confidence", _figure(quality.get("confidence")))
    table.add_row(
        "gates",
        "[green]passed[/green]"
        if version.gates_passed
        else f"[red]failed: {escape('; '.join(version.gate_texts))}[/red]",
    )
    deliveries = [d for d in service.deliveries(version.dataset) if d.version_id == version.version_id]
    table.add_row(
        "deliveries",
        escape(", ".join(f"{d.consumer}: {d.status}" for d in deliveries))
        or ("none (gates failed)" if not version.gates_passed else "no consumers"),
    )
    console.print(table)
    console.print(f"Details: `luna datasets show {version.dataset} {version.number}`.")
    if not version.gates_passed:
        return "The version failed its gates: it is kept, and no consumer got it."
    if failed := [d.consumer for d in deliveries if d.status == "failed"]:
        return f"Not handed over to {'; '.join(failed)}: `luna datasets deliver {version.dataset}` retries."
    return None


@app.command("list")
def list_datasets(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="A dataset: list its versions instead of the datasets"),
) -> None:
    """The datasets with their newest version, or the versions of one dataset."""
    found: list[tuple[str, int, datetime]] = []
    versions: list[DatasetVersion] = []
    container = _container(ctx)
    try:
        if name is None:
            found = container.services.datasets.datasets()
        else:
            versions = container.services.datasets.versions(name)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()
    if name is None:
        if not found:
            console.print("No datasets yet: `luna datasets run <pipeline>` makes the first version.")
            return
        table = Table("dataset", "newest version", "made (UTC)", title="Datasets")
        for dataset, number, at in found:
            table.add_row(dataset, str(number), f"{at:%Y-%m-%d %H:%M:%S}")
        console.print(table)
        return
    table = Table("version", "made (UTC)", "records", "score", "gates", "sha256", title=f"Versions of {name}")
    for version in versions:
        table.add_row(
            str(version.number),
            f"{version.created_at:%Y-%m-%d %H:%M:%S}",
            f"{version.records:,}",
            _score(version.quality.get("score")),
            "passed" if version.gates_passed else f"failed: {escape('; '.join(version.gate_texts))}",
            version.content_sha256[:12],
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset"),
    number: int = typer.Argument(..., min=1, max=MAX_VERSION, help="The version number"),
) -> None:
    """One version: its quality report, the steps with what each changed, gate failures."""
    container = _container(ctx)
    try:
        version = container.services.datasets.version(name, number)
        run = container.services.datasets.get_run(version.run_id)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()
    console.print(
        f"[bold]{escape(name)} v{number}[/bold]: {version.records:,} records ({version.record_type}), "
        f"made {version.created_at:%Y-%m-%d %H:%M:%S} UTC by code {escape(version.code_version)}, "
        f"sha256 {version.content_sha256[:12]}"
    )
    quality = Table("figure", "value", title="Quality")
    quality.add_row("score", _score(version.quality.get("score")))
    for label, key in QUALITY_ROWS:
        quality.add_row(label, _figure(version.quality.get(key)))
    for group, drift in sorted((version.quality.get("drift") or {}).items()):
        quality.add_row(f"drift {escape(group)}", _figure(drift))
    console.print(quality)
    steps = Table("step", "parameters", "flagged", "dropped", title="Steps")
    for step in run.report.get("steps") or version.steps:
        steps.add_row(
            escape(str(step.get("step"))),
            escape(str(step.get("parameters", {k: v for k, v in step.items() if k != "step"}))),
            _figure(step.get("flagged")),
            _figure(step.get("dropped")),
        )
    console.print(steps)
    if version.gate_failures:
        console.print(f"[red]Gates failed: {escape('; '.join(version.gate_texts))}[/red] (not distributed)")
    else:
        console.print("[green]Gates passed.[/green]")


@app.command("lineage")
def lineage(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="The dataset whose inputs to show"),
    number: int | None = typer.Argument(None, min=1, max=MAX_VERSION, help="Its version number"),
    input_ref: str | None = typer.Option(
        None, "--input", help="Instead: where this source went (`blob:drops/…`, `file:…`, `luna:feedback`)"
    ),
) -> None:
    """The inputs of a version (NAME NUMBER), or every version made from a source (--input ADDRESS)."""
    asks_source, asks_version = input_ref is not None, name is not None
    if asks_source == asks_version or (asks_version and number is None):
        raise fail(
            "Name one: a version (`luna datasets lineage NAME NUMBER`) or a source (`--input ADDRESS`).",
            2,
        )
    uses: list[tuple[LineageEdge, DatasetVersion | None]] = []
    edges: list[LineageEdge] = []
    container = _container(ctx)
    try:
        if input_ref is not None:
            uses = container.services.datasets.uses(input_ref)
        elif name is not None and number is not None:
            edges = container.services.datasets.lineage(name, number)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()
    if input_ref is not None:
        if not uses:
            console.print(f"No version was made from {escape(input_ref)}.")
            return
        table = Table(
            "dataset", "version", "made (UTC)", "records", "input sha256", title=f"Uses of {input_ref}"
        )
        for edge, version in uses:
            table.add_row(
                version.dataset if version else "(gone)",
                str(version.number) if version else "-",
                f"{version.created_at:%Y-%m-%d %H:%M:%S}" if version else "-",
                f"{edge.records:,}",
                edge.input_version[:12],
            )
        console.print(table)
        return
    table = Table("kind", "input", "records", "input version", title=f"Inputs of {name} v{number}")
    for edge in edges:
        table.add_row(edge.input_kind, escape(edge.input_ref), f"{edge.records:,}", edge.input_version[:12])
    console.print(table)


@app.command("deliver")
def deliver(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset"),
    version: int | None = typer.Option(
        None, "--version", min=1, max=MAX_VERSION, help="This version; default: the newest that passed"
    ),
) -> None:
    """Hand a version to every consumer of the pipeline again (e.g. after a consumer failed); through a
    running `luna serve`, which holds the vector folder a knowledge consumer writes into."""
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        try:
            answer = client.post(f"admin/datasets/{quote(name, safe='')}/deliver", {"version": version})
        except ServerError as error:
            raise refused(error) from None
        deliveries = [_delivery(row) for row in answer["deliveries"]]
    else:
        container = _container(ctx)
        try:
            deliveries = container.services.datasets.deliver(name, version)
        except LunaError as error:
            raise refused(error) from None
        finally:
            container.close()
    if not deliveries:
        console.print(f"The pipeline {escape(name)} has no consumers.")
        return
    _deliveries_table(deliveries, f"Deliveries of {name}")
    if any(d.status == "failed" for d in deliveries):
        raise typer.Exit(1)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset"),
    number: int = typer.Argument(
        ..., min=1, max=MAX_VERSION, help="The earlier version the consumer goes back to"
    ),
    consumer: str = typer.Option(
        ...,
        "--consumer",
        help="The consumer: energy, finetune, eval, knowledge, recommender or webhook:<url> (as 'luna "
        "datasets show' lists a version's deliveries)",
    ),
) -> None:
    """Point one consumer back at an earlier version (and hand that version over again); through a
    running `luna serve`, as `deliver`."""
    client = ServerClient(state(ctx).settings())
    if client.is_running():
        body = {"consumer": consumer, "version": number}
        try:
            delivery = _delivery(client.post(f"admin/datasets/{quote(name, safe='')}/rollback", body))
        except ServerError as error:
            raise refused(error) from None
    else:
        container = _container(ctx)
        try:
            delivery = container.services.datasets.rollback(name, consumer, number)
        except LunaError as error:
            raise refused(error) from None
        finally:
            container.close()
    _deliveries_table([delivery], f"{consumer} uses {name} v{number} again")


def _delivery(row: dict[str, Any]) -> Delivery:
    """A delivery as the server answered it."""
    fields = ("consumer", "dataset", "version_id", "status", "attempts", "error", "detail")
    return Delivery(
        **{name: row[name] for name in fields}, updated_at=datetime.fromisoformat(row["updated_at"])
    )


def _deliveries_table(deliveries: list[Delivery], title: str) -> None:
    table = Table("consumer", "status", "attempts", "detail", title=escape(title))
    for d in deliveries:
        status = f"[red]failed: {escape(d.error or '')}[/red]" if d.status == "failed" else d.status
        table.add_row(d.consumer, status, str(d.attempts), escape(str(d.detail)))
    console.print(table)
