"""``/admin/jobs``: background work with live progress, and the buttons that start it.

Reindexing, the live simulation and the learning run are worker jobs, so they all show in the job list
(refreshed every ``web.refresh_sec``) and can be cancelled there; snapshots are written directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from nicegui import ui

from luna.domain.jobs import JobStatus
from luna.services.learning import LearningOverview
from luna.services.simulation_control import SimulationStatus
from luna.web.formats import de_datetime, de_int
from luna.web.layout import AdminView, admin_page
from luna.web.offload import in_thread
from luna.web.pages_admin_jobs_parts import STATUS_FILTER, job_state, job_table, show_jobs
from luna.web.pages_admin_snapshot_parts import snapshot_card
from luna.web.widgets import card_title, error_state, loading, notify_error

#: Jobs the list shows (newest first).
LIST_SIZE: Final = 25
#: Documents offered for reindexing one by one (the newest; the corpus view reaches every one).
_ITEM_CHOICES: Final = 100
#: Who the job records and audit entries name when an operator acts in the dashboard.
ACTOR: Final = "admin"


@admin_page("/admin/jobs")
async def jobs(view: AdminView) -> None:
    services = view.web.services
    refresh_sec = view.web.settings.web.refresh_sec

    with ui.card().classes("w-full"):
        with ui.row().classes("w-full items-center gap-2"):
            card_title("Jobliste", "work_history")
            ui.space()
            status = (
                ui.select(STATUS_FILTER, value="", label="Status").props("outlined dense").classes("w-48")
            )
        list_problem = ui.column().classes("w-full")
        table = job_table(lambda job_id: cancel(job_id))
        ui.label(f"Die neuesten {LIST_SIZE} Jobs, alle {refresh_sec:g} s aktualisiert.").classes(
            "text-xs luna-muted"
        )
    with ui.row().classes("w-full gap-4 items-stretch"):
        with ui.card().classes("grow basis-80"):
            card_title("Suchindex neu aufbauen", "manage_search")
            ui.label(
                "Berechnet die Vektoren aus der Datenbank neu. Der ganze Korpus wird in einem neuen Index "
                "aufgebaut und dann umgeschaltet; bis dahin sucht Luna im bisherigen."
            ).classes("text-sm luna-muted")
            full = ui.button("Gesamten Korpus neu indexieren", icon="refresh").props("no-caps")
            item = (
                ui.select({}, label="Einzelnes Dokument", with_input=True)
                .props("outlined dense")
                .classes("w-full")
                .mark("reindex-item")
            )
            one = ui.button("Dokument neu indexieren", icon="find_replace").props("outline no-caps")
        with ui.card().classes("grow basis-80"):
            card_title("Simulation", "electric_meter")
            sim_area = ui.column().classes("w-full gap-2").mark("sim-status")
            with sim_area:
                loading("Stand wird geladen …")
            with ui.row().classes("gap-2"):
                sim_start = ui.button("Simulation starten", icon="play_arrow").props("no-caps")
                sim_stop = ui.button("Simulation stoppen", icon="stop").props(
                    'no-caps color="negative" outline'
                )
        with ui.card().classes("grow basis-80"):
            card_title("Lernlauf", "psychology")
            learn_area = ui.column().classes("w-full gap-2").mark("learn-status")
            with learn_area:
                loading("Stand wird geladen …")
            learn_start = ui.button("Lernlauf starten", icon="model_training").props("no-caps")
            ui.link("Versionen und Protokoll unter „Aktivität“", "/admin/activity").classes("text-sm")

    # Listeners go on before the first await: added later, they make the browser draw the elements again.
    full.on_click(lambda: reindex_all())
    one.on_click(lambda: reindex_one())
    sim_start.on_click(lambda: start_simulation())
    sim_stop.on_click(lambda: stop_simulation())
    learn_start.on_click(lambda: start_learning())
    status.on_value_change(lambda: refresh_jobs())

    try:
        job_service, sim, learning, corpus, snapshots = await in_thread(
            lambda: (
                services.jobs,
                services.simulation_control,
                services.learning_control,
                services.corpus,
                services.snapshots,
            )
        )
    except Exception as error:
        with list_problem:
            error_state(error, "Die Steuerung der Jobs")
        return

    async def refresh_jobs() -> None:
        try:
            found, _ = await in_thread(job_service.list, status.value or None, None, LIST_SIZE, 0)
        except Exception as error:
            list_problem.clear()
            with list_problem:
                error_state(error, "Die Jobliste")
            return
        list_problem.clear()
        show_jobs(table, found)

    async def refresh_sim() -> None:
        try:
            current = await in_thread(sim.status)
        except Exception as error:
            sim_area.clear()
            with sim_area:
                error_state(error, "Der Stand der Simulation")
            return
        _show_sim(current)

    def _show_sim(current: SimulationStatus) -> None:
        sim_area.clear()
        live = current.live
        with sim_area:
            if live is None:
                _status_line("pause_circle", "Die Live-Simulation läuft nicht.", "luna-muted")
            else:
                state, _ = job_state(live)
                text = {
                    "Wartet": "Die Live-Simulation wird gestartet …",
                    "Wird abgebrochen": "Die Live-Simulation wird beendet …",
                }.get(state, "Die Live-Simulation läuft.")
                _status_line("play_circle", text, "text-positive")
            newest = de_datetime(current.newest_reading) if current.newest_reading is not None else "–"
            _facts(
                [
                    ("Zähler", de_int(current.meters)),
                    ("Messwerte", de_int(current.readings)),
                    ("Marktpreise", de_int(current.prices)),
                    ("Neuester Messwert", newest),
                ]
            )
        sim_start.set_enabled(live is None)
        sim_stop.set_enabled(live is not None and not live.cancel_requested)

    async def refresh_learning() -> None:
        try:
            overview = await in_thread(learning.overview, 1, 1)
        except Exception as error:
            learn_area.clear()
            with learn_area:
                error_state(error, "Der Stand des Lernens")
            return
        _show_learning(overview)

    def _show_learning(overview: LearningOverview) -> None:
        learn_area.clear()
        with learn_area:
            if overview.versions:
                latest = overview.versions[0]
                _facts(
                    [
                        ("Aktuelle Version", str(latest.version)),
                        ("Berechnet", de_datetime(latest.computed_at)),
                        ("Bewertete Abschnitte", de_int(latest.chunks)),
                        ("Bewertete Dokumente", de_int(latest.items)),
                    ]
                )
            else:
                ui.label("Noch keine Version: Luna hat noch nicht aus der Nutzung gelernt.").classes(
                    "luna-muted"
                )
            job = overview.job
            if job is not None:
                label = "wartet" if job.status is JobStatus.QUEUED else f"{round(job.progress * 100)} %"
                _status_line("autorenew", f"Ein Lernlauf läuft ({label}).", "text-primary")
        learn_start.set_enabled(overview.job is None)

    async def refresh_all() -> None:
        await refresh_jobs()
        await refresh_sim()
        await refresh_learning()

    async def submit(action: Callable[[], object], done: str) -> None:
        try:
            await in_thread(action)
        except Exception as error:
            notify_error(error)
            return
        ui.notify(done, type="positive", position="top")
        await refresh_all()

    async def cancel(job_id: str) -> None:
        await submit(lambda: job_service.cancel(job_id), "Der Job wird abgebrochen.")

    async def reindex_all() -> None:
        await submit(lambda: job_service.submit("kb.reindex", {}, ACTOR), "Neuindexierung gestartet.")

    async def reindex_one() -> None:
        if not item.value:
            ui.notify("Bitte wählen Sie zuerst ein Dokument aus.", type="warning", position="top")
            return
        params = {"item_ids": [item.value]}
        await submit(lambda: job_service.submit("kb.reindex", params, ACTOR), "Neuindexierung gestartet.")

    async def start_simulation() -> None:
        await submit(lambda: sim.start(None, None, ACTOR), "Die Simulation wird gestartet.")

    async def stop_simulation() -> None:
        await submit(sim.stop, "Die Simulation wird gestoppt.")

    async def start_learning() -> None:
        await submit(lambda: learning.start(ACTOR), "Der Lernlauf wurde gestartet.")

    async def load_items() -> None:
        try:
            page = await in_thread(corpus.page, limit=_ITEM_CHOICES)
        except Exception as error:
            notify_error(error)
            return
        item.set_options(
            {entry.item.item_id: entry.item.title or "Unbenanntes Dokument" for entry in page.items}
        )

    await refresh_all()
    await load_items()
    ui.timer(refresh_sec, refresh_all)
    await snapshot_card(snapshots)


def _status_line(icon: str, text: str, tone: str) -> None:
    with ui.row().classes("items-center gap-2 no-wrap").props('role="status"'):
        ui.icon(icon, size="sm").classes(tone).props('aria-hidden="true"')
        ui.label(text).classes(f"font-medium {tone}")


def _facts(pairs: list[tuple[str, str]]) -> None:
    with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-sm"):
        for label, value in pairs:
            ui.label(label).classes("luna-muted")
            ui.label(value)
