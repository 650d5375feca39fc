"""``/admin/datasets`` ("Daten"): pipelines, their runs with live status, datasets with the quality
report of their newest version, what each step flagged or removed (with examples), the gates that
failed, the lineage of the version and which version each consumer uses.

Runs start as jobs (progress also on the jobs page); the view refreshes every few seconds while a run
is running or the job it started has not ended, and otherwise on the dashboard's usual interval.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from nicegui import ui

from luna.domain.datasets.versions import DatasetRun, DatasetVersion, Delivery, LineageEdge
from luna.domain.errors import NotFound
from luna.services.datasets.datasets import DATASETS_JOB, DatasetService
from luna.services.datasets.pipeline_files import PipelineFile
from luna.services.operations.jobs import JobService
from luna.web.admin.dataset_wording import quality_line, quality_score, schedule_text
from luna.web.admin.dataset_words import step_label
from luna.web.components.clicks import one_at_a_time
from luna.web.components.errors import failure_shown, recorded_failure
from luna.web.components.formats import de_datetime, de_number, de_percent
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state

_RUNS_SHOWN: Final = 10
_FAST_REFRESH_SEC: Final = 3.0
_STATUS: Final = {
    "running": ("läuft", "info"),
    "succeeded": ("fertig", "positive"),
    "failed": ("fehlgeschlagen", "negative"),
}
_DELIVERY: Final = {"delivered": "übergeben", "failed": "fehlgeschlagen", "rolled_back": "zurückgerollt"}


@dataclass(frozen=True, slots=True)
class _Dataset:
    newest: DatasetVersion
    lineage: list[LineageEdge]
    run: DatasetRun | None
    deliveries: list[Delivery]
    #: The versions before the newest (a few), and every version's number by id (consumers may use an
    #: older one after a rollback).
    earlier: list[DatasetVersion]
    numbers: dict[str, int]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    pipelines: list[PipelineFile]
    runs: list[DatasetRun]
    datasets: list[_Dataset]
    #: Progress (0–1) and message of the job of each running run.
    progress: dict[str, tuple[float, str]]


def _read(service: DatasetService, jobs: JobService) -> _Snapshot:
    datasets = []
    for name, number, _ in service.datasets():
        versions = service.versions(name)
        newest = versions[0]
        runs = [
            r for r in service.runs(pipeline=name, limit=_RUNS_SHOWN) if r.version_id == newest.version_id
        ]
        numbers = {v.version_id: v.number for v in versions}
        made = runs[0] if runs else None
        datasets.append(
            _Dataset(
                newest, service.lineage(name, number), made, service.deliveries(name), versions[1:6], numbers
            )
        )
    runs = service.runs(limit=_RUNS_SHOWN)
    progress = {}
    for run in runs:
        if run.status == "running" and run.job_id:
            job = jobs.get(run.job_id)
            progress[run.run_id] = (job.progress or 0.0, job.message or "")
    return _Snapshot(service.pipelines(), runs, datasets, progress)


@admin_page("/admin/datasets")
async def datasets(view: AdminView) -> None:
    services = view.web.services
    with ui.card().classes("w-full"):
        card_title("Pipelines", "account_tree")
        pipelines = ui.column().classes("w-full gap-2").mark("dataset-pipelines")
    with ui.card().classes("w-full"):
        card_title("Läufe", "history")
        runs = ui.column().classes("w-full gap-1").mark("dataset-runs")
    with ui.card().classes("w-full"):
        card_title("Datensätze und ihre neueste Version", "dataset")
        versions = ui.column().classes("w-full gap-3").mark("dataset-versions")
    stamp = ui.label().classes("text-xs luna-muted")
    # "started": the job this view queued, refreshed for until it ends (its run appears only once a
    # worker takes it up, so the runs alone would stop the fast refresh before it shows).
    state: dict[str, Any] = {"running": False, "started": None}
    shown: dict[str, _Snapshot] = {}

    async def refresh() -> None:
        with failure_shown(pipelines, runs, versions, what="Die Datenübersicht"):
            if state["started"] and not await in_thread(_job_open, services.jobs, state["started"]):
                state["started"] = None  # read before the runs, so its last state is in this snapshot
            snapshot = await in_thread(_read, services.datasets, services.jobs)
            if snapshot != shown.get("snapshot"):  # unchanged: keep what the operator opened
                _pipelines(pipelines, snapshot.pipelines, start)
                _runs(runs, snapshot.runs, snapshot.progress)
                _datasets(versions, snapshot.datasets)
                shown["snapshot"] = snapshot
            state["running"] = bool(state["started"]) or any(run.status == "running" for run in snapshot.runs)
            stamp.set_text(f"Stand: {de_datetime(datetime.now(UTC))}")

    @one_at_a_time
    async def start(name: str) -> None:
        with failure_shown(what="Der Start"):
            await in_thread(services.datasets.pipeline, name)  # a faulty file is refused here, not queued
            job = await in_thread(services.jobs.submit, DATASETS_JOB, {"pipeline": name}, "admin")
            ui.notify(f"Pipeline „{name}“ gestartet (Job {job.job_id[:8]}).")
            state["running"], state["started"] = True, job.job_id
        await refresh()

    async def tick() -> None:
        if state["running"]:
            await refresh()

    await refresh()
    ui.timer(_FAST_REFRESH_SEC, tick, immediate=False)
    ui.timer(max(view.web.settings.web.refresh_sec, 30.0), refresh, immediate=False)


def _job_open(jobs: JobService, job_id: str) -> bool:
    try:
        return not jobs.get(job_id).status.is_finished
    except NotFound:  # removed meanwhile: nothing left to wait for
        return False


def _pipelines(area: ui.column, found: list[PipelineFile], start: Callable[[str], Awaitable[None]]) -> None:
    area.clear()
    with area:
        if not found:
            empty_state(
                "Keine Pipelines",
                "Legen Sie YAML-Dateien in config/pipelines oder im Datenordner ab.",
                "account_tree",
            )
            return
        for entry in found:
            _pipeline(entry, start)


def _pipeline(entry: PipelineFile, start: Callable[[str], Awaitable[None]]) -> None:
    with ui.column().classes("w-full gap-0").mark("dataset-pipeline"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(entry.name).classes("font-semibold").props('role="heading" aria-level="3"')
            p = entry.pipeline
            ui.badge(p.record if p else "fehlerhaft", color="grey-7" if p else "negative")
            ui.space()
            if p is not None:
                ui.button(
                    "Jetzt ausführen", icon="play_arrow", on_click=lambda _, n=entry.name: start(n)
                ).props(f'flat dense no-caps aria-label="Jetzt ausführen: {entry.name}"')
        if p is None:
            ui.label(f"Die Datei ist so nicht gültig. Technische Meldung: {entry.error or ''}").classes(
                "text-sm text-negative whitespace-pre-line"
            )
            return
        ui.label(
            f"{p.description} · Quellen: {', '.join(s.name for s in p.sources)} · "
            f"Abnehmer: {', '.join(c.name for c in p.consumers) or 'keine'} · "
            f"Zeitplan: {schedule_text(p.schedule)}"
        ).classes("text-sm luna-muted")


def _runs(area: ui.column, found: list[DatasetRun], progress: dict[str, tuple[float, str]]) -> None:
    area.clear()
    with area:
        if not found:
            empty_state("Noch keine Läufe", "Starten Sie oben eine Pipeline.", "history")
            return
        for run in found:
            text, color = _STATUS[run.status]
            with ui.row().classes("w-full items-center gap-2").mark("dataset-run"):
                ui.badge(text, color=color)
                ui.label(f"{run.pipeline} · {de_datetime(run.started_at)}").classes("text-sm")
                if run.run_id in progress:
                    share, message = progress[run.run_id]
                    ui.linear_progress(value=share, show_value=False).classes("w-32").props(
                        f'aria-label="Fortschritt {de_percent(share)}"'
                    )
                    ui.label(f"{de_percent(share)} {message}").classes("text-sm luna-muted")
                if run.error:
                    ui.label(recorded_failure(run.error)).classes("text-sm text-negative")


def _datasets(area: ui.column, found: list[_Dataset]) -> None:
    area.clear()
    with area:
        if not found:
            empty_state(
                "Noch keine Datensätze", "Ein erfolgreicher Lauf legt die erste Version an.", "dataset"
            )
            return
        for dataset in found:
            _dataset(dataset)


def _dataset(dataset: _Dataset) -> None:
    version, quality = dataset.newest, dataset.newest.quality
    with ui.card().classes("w-full py-2").props("flat bordered").mark("dataset-version"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(f"{version.dataset} · Version {version.number}").classes("font-semibold").props(
                'role="heading" aria-level="3"'
            )
            ui.badge(
                "verteilt" if version.gates_passed else "zurückgehalten",
                color="positive" if version.gates_passed else "warning",
            )
            ui.label(f"{de_number(version.records)} Datensätze · {de_datetime(version.created_at)}").classes(
                "text-sm luna-muted"
            )
        ui.label(quality_line(quality, version.records)).classes("text-sm")
        for failure in version.failed_gates:
            ui.label(f"Schranke nicht erreicht: {failure.message}").classes("text-sm text-negative")
        for name, distance in (quality.get("drift") or {}).items():
            ui.label(
                f"Verschiebung gegenüber der Vorversion bei {name}: {de_percent(float(distance))}"
            ).classes("text-sm")
        _steps(dataset.run)
        if dataset.earlier:
            older = " · ".join(_version_line(v) for v in dataset.earlier)
            ui.label(f"Frühere Versionen: {older}").classes("text-sm luna-muted")
        inputs = " · ".join(f"{edge.input_ref} ({de_number(edge.records)})" for edge in dataset.lineage)
        ui.label(f"Herkunft: {inputs or '—'}").classes("text-sm luna-muted")
        with ui.expansion("Herkunft und Abnehmer als Graph", icon="account_tree").classes("w-full"):
            ui.mermaid(lineage_graph(dataset.newest, dataset.lineage, dataset.deliveries)).mark(
                "dataset-lineage"
            )
        for delivery in dataset.deliveries:
            when = de_datetime(delivery.updated_at)
            used = dataset.numbers.get(delivery.version_id, "?")
            line = f"Abnehmer {delivery.consumer}: Version {used}, {_DELIVERY[delivery.status]} ({when})"
            ui.label(line + (f" – {delivery.error}" if delivery.error else "")).classes(
                "text-sm " + ("text-negative" if delivery.status == "failed" else "")
            )


def lineage_graph(version: DatasetVersion, edges: list[LineageEdge], deliveries: list[Delivery]) -> str:
    """Mermaid source: each input → the version → each consumer with the version it uses."""

    def label(text: str) -> str:
        return '"' + text.replace('"', "'").replace("\n", " ")[:80] + '"'

    lines = ["graph LR", f"  v[{label(f'{version.dataset} · Version {version.number}')}]"]
    for index, edge in enumerate(edges):
        lines.append(f"  i{index}[{label(f'{edge.input_ref} ({edge.records})')}] --> v")
    for index, delivery in enumerate(deliveries):
        state = _DELIVERY[delivery.status]
        own = "" if delivery.version_id == version.version_id else " (ältere Version)"
        lines.append(f"  v --> c{index}[{label(f'{delivery.consumer}: {state}{own}')}]")
    return "\n".join(lines)


def _version_line(version: DatasetVersion) -> str:
    held = "" if version.gates_passed else " (zurückgehalten)"
    score = quality_score(version.quality, version.records)
    return f"v{version.number}: {de_number(version.records)} Datensätze, {score}{held}"


def _steps(run: DatasetRun | None) -> None:
    steps = (run.report.get("steps") if run else None) or []
    if not steps:
        return
    with ui.expansion("Was die Schritte gefunden haben", icon="rule").classes("w-full").mark("dataset-steps"):
        for step in steps:
            flagged, dropped = de_number(step["flagged"]), de_number(step["dropped"])
            ui.label(f"{step_label(step['step'])}: {flagged} markiert, {dropped} entfernt").classes(
                "text-sm font-medium"
            )
            for example in step.get("examples", [])[:3]:
                shown = " · ".join(
                    f"{k}: {de_number(v, 3) if isinstance(v, float) else v}"
                    for k, v in example.items()
                    if not str(k).startswith("_")
                )
                ui.label(shown).classes("text-xs luna-muted break-all")
