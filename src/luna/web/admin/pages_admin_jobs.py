"""``/admin/jobs``: background work with live progress, and the buttons that start it.

Reindexing, the live simulation and the learning run are worker jobs, so they all show in the job list
(refreshed every ``web.refresh_sec``) and can be cancelled there; snapshots are written directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from nicegui import ui

from luna.domain.jobs import JobStatus
from luna.services.energy.simulation_control import SimulationControl, SimulationStatus
from luna.services.knowledge.corpus import CorpusService
from luna.services.learning.learning import LearningControl, LearningOverview
from luna.services.operations.jobs import JobService
from luna.web.admin.pages_admin_jobs_parts import STATUS_FILTER, job_state, job_table, show_jobs
from luna.web.admin.pages_admin_snapshot_parts import snapshot_card
from luna.web.components.clicks import one_at_a_time
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime, de_int
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, loading

#: Jobs the list shows (newest first).
LIST_SIZE: Final = 25
#: Documents offered for reindexing one by one (the newest; the corpus view reaches every one).
_ITEM_CHOICES: Final = 100
#: Who the job records and audit entries name when an operator acts in the dashboard.
ACTOR: Final = "admin"

#: Runs an action in a worker thread, then says ``done`` and refreshes every card (or shows why not).
Submit = Callable[[Callable[[], object], str], Awaitable[None]]


@admin_page("/admin/jobs")
async def jobs(view: AdminView) -> None:
    services = view.web.services
    job_service = services.jobs

    @one_at_a_time
    async def submit(action: Callable[[], object], done: str) -> None:
        with failure_shown() as attempt:
            await in_thread(action)
        if attempt.failed:
            return
        ui.notify(done, type="positive", position="top")
        await refresh_all()

    job_list = _JobList(job_service, view.web.settings.web.refresh_sec, submit)
    with ui.row().classes("w-full gap-4 items-stretch"):
        reindexing = _ReindexCard(job_service, submit)
        simulation = _SimulationCard(submit)
        learning_card = _LearningCard(submit)

    with failure_shown(job_list.problem, what="Die Steuerung der Jobs") as attempt:
        sim, learning, corpus, snapshots = await in_thread(
            lambda: (
                services.simulation_control,
                services.learning_control,
                services.corpus,
                services.snapshots,
            )
        )
    if attempt.failed:
        return
    simulation.control = sim
    learning_card.control = learning

    async def refresh_all() -> None:
        await job_list.refresh()
        await simulation.refresh()
        await learning_card.refresh()

    await refresh_all()
    await reindexing.load_items(corpus)
    ui.timer(job_list.refresh_sec, refresh_all, immediate=False)
    await snapshot_card(snapshots)


class _JobList:
    """The newest jobs, filtered by status, each cancellable."""

    def __init__(self, job_service: JobService, refresh_sec: float, submit: Submit) -> None:
        self.job_service = job_service
        self.refresh_sec = refresh_sec
        self.submit = submit
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center gap-2"):
                card_title("Jobliste", "work_history")
                ui.space()
                self.status = (
                    ui.select(STATUS_FILTER, value="", label="Status").props("outlined dense").classes("w-48")
                )
            self.problem = ui.column().classes("w-full")
            self.table = job_table(self.cancel)
            ui.label(f"Die neuesten {LIST_SIZE} Jobs, alle {refresh_sec:g} s aktualisiert.").classes(
                "text-xs luna-muted"
            )
        # Listeners go on before the first await: added later, they make the browser draw the elements again.
        self.status.on_value_change(self.refresh)

    async def refresh(self) -> None:
        with failure_shown(self.problem, what="Die Jobliste") as attempt:
            found, _ = await in_thread(self.job_service.list, self.status.value or None, None, LIST_SIZE, 0)
        if attempt.failed:
            return
        self.problem.clear()
        show_jobs(self.table, found)

    async def cancel(self, job_id: str) -> None:
        await self.submit(lambda: self.job_service.cancel(job_id), "Der Job wird abgebrochen.")


class _ReindexCard:
    """Rebuilds the search index: the whole corpus, or one document."""

    def __init__(self, job_service: JobService, submit: Submit) -> None:
        self.job_service = job_service
        self.submit = submit
        with ui.card().classes("grow basis-80"):
            card_title("Suchindex neu aufbauen", "manage_search")
            ui.label(
                "Berechnet die Vektoren aus der Datenbank neu. Der ganze Korpus wird in einem neuen Index "
                "aufgebaut und dann umgeschaltet; bis dahin sucht Luna im bisherigen."
            ).classes("text-sm luna-muted")
            ui.button("Gesamten Korpus neu indexieren", icon="refresh", on_click=self.reindex_all).props(
                "no-caps"
            )
            self.item = (
                ui.select({}, label="Einzelnes Dokument", with_input=True)
                .props("outlined dense")
                .classes("w-full")
                .mark("reindex-item")
            )
            ui.button("Dokument neu indexieren", icon="find_replace", on_click=self.reindex_one).props(
                "outline no-caps"
            )
            ui.label(
                "Nach einem Update liest Luna Dokumente womöglich besser (Tabellen, Rechnungsbeträge, "
                "Überschriften). „Neu lesen“ liest die gespeicherten Dateien noch einmal; wo sich etwas "
                "ändert, entsteht eine neue Version des Dokuments."
            ).classes("text-sm luna-muted")
            ui.button("Alle Dokumente neu lesen", icon="plagiarism", on_click=self.reread_all).props(
                "outline no-caps"
            )

    async def reindex_all(self) -> None:
        await self.submit(
            lambda: self.job_service.submit("kb.reindex", {}, ACTOR), "Neuindexierung gestartet."
        )

    async def reread_all(self) -> None:
        await self.submit(lambda: self.job_service.submit("kb.reread", {}, ACTOR), "Neu lesen gestartet.")

    async def reindex_one(self) -> None:
        if not self.item.value:
            ui.notify("Bitte wählen Sie zuerst ein Dokument aus.", type="warning", position="top")
            return
        params = {"item_ids": [self.item.value]}
        await self.submit(
            lambda: self.job_service.submit("kb.reindex", params, ACTOR), "Neuindexierung gestartet."
        )

    async def load_items(self, corpus: CorpusService) -> None:
        with failure_shown() as attempt:
            page = await in_thread(corpus.page, limit=_ITEM_CHOICES)
        if attempt.failed:
            return
        self.item.set_options(
            {entry.item.item_id: entry.item.title or "Unbenanntes Dokument" for entry in page.items}
        )


class _SimulationCard:
    """The live simulation: whether it runs, what it has written, start and stop."""

    control: SimulationControl  # set once the page's controls are built

    def __init__(self, submit: Submit) -> None:
        self.submit = submit
        with ui.card().classes("grow basis-80"):
            self.area = _status_area("Simulation", "electric_meter", "sim-status")
            with ui.row().classes("gap-2"):
                self.start = ui.button(
                    "Simulation starten", icon="play_arrow", on_click=self.start_simulation
                )
                self.start.props("no-caps")
                self.stop = ui.button("Simulation stoppen", icon="stop", on_click=self.stop_simulation)
                self.stop.props("no-caps outline")
                self._stoppable(False)  # until the first status says the simulation runs

    async def start_simulation(self) -> None:
        await self.submit(lambda: self.control.start(None, None, ACTOR), "Die Simulation wird gestartet.")

    async def stop_simulation(self) -> None:
        await self.submit(self.control.stop, "Die Simulation wird gestoppt.")

    async def refresh(self) -> None:
        with failure_shown(self.area, what="Der Stand der Simulation") as attempt:
            current = await in_thread(self.control.status)
        if not attempt.failed:
            self.show(current)

    def show(self, current: SimulationStatus) -> None:
        self.area.clear()
        live = current.live
        with self.area:
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
        self.start.set_enabled(live is None)
        self._stoppable(live is not None and not live.cancel_requested)

    def _stoppable(self, running: bool) -> None:
        """Quasar only dims a disabled button, and a dimmed red outline still reads as a live "stop":
        with nothing to stop it turns grey as well."""
        self.stop.set_enabled(running)
        self.stop.props('color="negative"' if running else 'color="grey-7"')


class _LearningCard:
    """The learning run: the current version, a running run, and the button that starts one."""

    control: LearningControl  # set once the page's controls are built

    def __init__(self, submit: Submit) -> None:
        self.submit = submit
        with ui.card().classes("grow basis-80"):
            self.area = _status_area("Lernlauf", "psychology", "learn-status")
            self.start = ui.button("Lernlauf starten", icon="model_training", on_click=self.start_learning)
            self.start.props("no-caps")
            ui.link("Versionen und Protokoll unter „Aktivität“", "/admin/activity").classes("text-sm")

    async def start_learning(self) -> None:
        await self.submit(lambda: self.control.start(ACTOR), "Der Lernlauf wurde gestartet.")

    async def refresh(self) -> None:
        with failure_shown(self.area, what="Der Stand des Lernens") as attempt:
            overview = await in_thread(self.control.overview, 1, 1)
        if not attempt.failed:
            self.show(overview)

    def show(self, overview: LearningOverview) -> None:
        self.area.clear()
        with self.area:
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
        self.start.set_enabled(overview.job is None)


def _status_area(title: str, icon: str, mark: str) -> ui.column:
    """A card's title and the area its status goes into, loading until the first refresh."""
    card_title(title, icon)
    area = ui.column().classes("w-full gap-2").mark(mark)
    with area:
        loading("Stand wird geladen …")
    return area


def _status_line(icon: str, text: str, tone: str) -> None:
    with ui.row().classes("items-center gap-2 no-wrap").props('role="status"'):
        ui.icon(icon, size="sm").classes(tone).props('aria-hidden="true"')
        ui.label(text).classes(f"font-medium {tone}")


def _facts(pairs: list[tuple[str, str]]) -> None:
    with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-sm"):
        for label, value in pairs:
            ui.label(label).classes("luna-muted")
            ui.label(value)
