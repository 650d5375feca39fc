"""The job list of the admin dashboard: German names and states, a progress bar per job, cancelling.

Jobs record their progress messages in German already; their errors are technical (``Type: message``)
and are shown as such, marked as technical, on one line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from luna.domain.jobs import Job, JobStatus
from luna.web.components.errors import recorded_failure
from luna.web.components.formats import de_datetime

#: German names of the jobs ``luna.workers.registry`` registers (every one; a test checks).
JOB_NAMES: Final = {
    "kb.reindex": "Neuindexierung",
    "kb.reread": "Dokumente neu lesen",
    "kb.verify": "Speicherabgleich",
    "kb.refine_vectors": "Suche verfeinern (EmbeddingGemma)",
    "kb.ingest_paths": "Ordner einlesen",
    "kb.ingest_samples": "Beispieldokumente einlesen",
    "sim.live": "Live-Simulation",
    "sim.backfill": "Simulierte Historie",
    "learn.run": "Lernlauf",
    "feeds.scan_csv": "CSV-Import der Zählerdaten",
    "maintenance.refresh_events_daily": "Tagesstatistik der Ereignisse",
    "eval.run": "Evaluation",
    "flywheel.hourly": "Auswertung des Daten-Schwungrads",
    "flywheel.dry_run": "Probelauf des Daten-Schwungrads",
    "flywheel.vector_ingest": "Themen und Wissenslücken",
    "datasets.run": "Datenpipeline",
    "datasets.partition": "Datenpipeline: Teil einlesen",
    "datasets.merge": "Datenpipeline: zusammenführen",
    "finetune.run": "Feintuning",
}
_CREATORS: Final = {
    "admin": "Administration",
    "admin-api": "API (Admin)",
    "sim-api": "API (Admin)",
    "schedule": "Zeitplan",
    "luna-serve": "Start von Luna",
    "worker": "Worker",
}
_STATES: Final = {
    JobStatus.QUEUED: ("Wartet", "grey-8"),
    JobStatus.RUNNING: ("Läuft", "primary"),
    JobStatus.SUCCEEDED: ("Erfolgreich", "positive"),
    JobStatus.FAILED: ("Fehlgeschlagen", "negative"),
    JobStatus.CANCELLED: ("Gestoppt", "grey-8"),
}
STATUS_FILTER: Final = {"": "Alle", **{status.value: label for status, (label, _) in _STATES.items()}}
_MAX_ERROR: Final = 240

_COLUMNS: Final = [
    {"name": "name", "label": "Job", "field": "name", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "progress", "label": "Fortschritt", "field": "percent", "align": "left"},
    {"name": "created_by", "label": "Gestartet von", "field": "created_by", "align": "left"},
    {"name": "created", "label": "Erstellt", "field": "created", "align": "left"},
    {"name": "duration", "label": "Dauer", "field": "duration", "align": "right"},
    {"name": "actions", "label": "Aktion", "field": "job_id", "align": "right"},
]
_STATUS_SLOT: Final = r"""
<q-td :props="props"><q-badge :color="props.row.color" :label="props.row.status" /></q-td>
"""
_PROGRESS_SLOT: Final = r"""
<q-td :props="props">
  <div class="column q-gutter-y-xs" style="min-width: 12rem; max-width: 28rem; white-space: normal">
    <q-linear-progress :value="props.row.progress" :color="props.row.color" size="8px" rounded
                       :aria-label="'Fortschritt ' + props.row.percent" />
    <div class="text-caption luna-muted">{{ props.row.percent }}<span v-if="props.row.message">
      · {{ props.row.message }}</span></div>
    <div v-if="props.row.error" class="text-caption text-negative">
      {{ props.row.error }}</div>
  </div>
</q-td>
"""
_ACTIONS_SLOT: Final = r"""
<q-td :props="props">
  <q-btn v-if="props.row.cancellable" flat dense no-caps color="negative" icon="cancel"
         label="Abbrechen" :aria-label="'Abbrechen: ' + props.row.name"
         @click="() => $parent.$emit('cancel', props.row.job_id)" />
</q-td>
"""


def job_label(name: str, params: dict[str, Any] | None = None) -> str:
    """The job's German name; a pipeline run also names its pipeline (three runs of three pipelines
    would otherwise read the same)."""
    label = JOB_NAMES.get(name, name)
    pipeline = (params or {}).get("pipeline")
    if name == "datasets.run" and isinstance(pipeline, str) and pipeline:
        return f"{label} „{pipeline}“"
    return label


def job_state(job: Job) -> tuple[str, str]:
    """German state and its colour; a running job asked to stop says so, and so does one that finished
    with some of its parts failed."""
    if job.status is JobStatus.RUNNING and job.cancel_requested:
        return "Wird abgebrochen", "warning"
    if job.status is JobStatus.SUCCEEDED and _failures(job.result):
        return "Mit Fehlern", "warning"
    return _STATES[job.status]


def _failures(result: dict[str, Any] | None) -> bool:
    """Whether a finished job reports parts that failed (files of a folder, CSV drops, documents read
    again): it succeeded as a whole, and a green "Erfolgreich" would hide them."""
    failed = (result or {}).get("failed")
    return bool(failed) and isinstance(failed, (int, list)) and not isinstance(failed, bool)


def duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def job_row(job: Job, now: datetime | None = None) -> dict[str, Any]:
    state, color = job_state(job)
    took = None
    if job.started_at is not None:
        end = job.finished_at or now or datetime.now(UTC)
        took = duration(max(0.0, (end - job.started_at).total_seconds()))
    error = recorded_failure(" ".join(job.error.split())) if job.error else ""
    return {
        "job_id": job.job_id,
        "name": job_label(job.name, job.params),
        "status": state,
        "color": color,
        "progress": round(job.progress, 4),
        "percent": _percent(job),
        "message": job.message or "",
        "error": error[: _MAX_ERROR - 1] + "…" if len(error) > _MAX_ERROR else error,
        "created_by": _CREATORS.get(job.created_by or "", job.created_by or "–"),
        "created": de_datetime(job.created_at) if job.created_at is not None else "–",
        "duration": took or "–",
        "cancellable": not job.status.is_finished and not job.cancel_requested,
    }


def job_table(on_cancel: Callable[[str], Awaitable[None]]) -> ui.table:
    """An empty job table; fill it with :func:`show_jobs`. ``on_cancel(job_id)`` runs on "Abbrechen"."""
    table = (
        ui.table(columns=_COLUMNS, rows=[], row_key="job_id")
        .props("flat dense wrap-cells")
        .classes("w-full")
        .mark("job-table")
    )
    table.add_slot("body-cell-status", _STATUS_SLOT)
    table.add_slot("body-cell-progress", _PROGRESS_SLOT)
    table.add_slot("body-cell-actions", _ACTIONS_SLOT)
    table.add_slot("no-data", '<div class="full-width text-center luna-muted q-pa-md">Keine Jobs.</div>')

    async def cancel(event: GenericEventArguments) -> None:
        if isinstance(event.args, str):
            await on_cancel(event.args)

    table.on("cancel", cancel)
    return table


def show_jobs(table: ui.table, jobs: Sequence[Job]) -> None:
    now = datetime.now(UTC)
    table.rows = [job_row(job, now) for job in jobs]
    table.update()


def _percent(job: Job) -> str:
    """The share done; a stopped job that never counted (the live simulation runs until stopped) has
    none, rather than a misleading "0 %"."""
    if job.status is JobStatus.CANCELLED and job.progress == 0:
        return "–"
    return f"{round(job.progress * 100)} %"
