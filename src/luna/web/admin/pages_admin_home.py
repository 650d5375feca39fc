"""``/admin``: is every component of Luna running, which version is deployed, and Luna in figures
(documents, passages, users, today's events, useful answers)."""

from __future__ import annotations

from nicegui import ui

from luna.services.learning.metrics import Overview
from luna.services.operations.system import system_info
from luna.web.admin.system_status import component_table, overall_status, version_lines
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_int, de_percent
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, discard, figure, loading


@admin_page("/admin")
async def admin_home(view: AdminView) -> None:
    container = view.web.container
    # The components take the whole width: beside the version card their details column was cut off
    # at 1280 px ("EmbeddingGemma ist nicht vo…"), with nothing saying that the table scrolls.
    with ui.card().classes("w-full min-w-0"):
        card_title("Komponenten", "monitor_heart")
        health_area = ui.column().classes("w-full")
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("grow min-w-0 basis-[40rem]"):
            card_title("Luna in Zahlen", "insights")
            figures = ui.row().classes("w-full gap-8").mark("overview-figures")
        with ui.card().classes("grow basis-80"):
            card_title("Version", "info")
            version_lines(system_info(container.settings, container.model_names()))

    async def refresh() -> None:
        health_area.clear()
        with health_area:
            waiting = loading("Komponenten werden geprüft …")
        with failure_shown(health_area, what="Der Zustand der Komponenten") as attempt:
            report = await in_thread(view.web.services.health.check)
        if attempt.failed:
            return
        discard(waiting)
        with health_area:
            overall_status(report)
            component_table(report, technical=True)
            ui.button("Erneut prüfen", icon="refresh", on_click=refresh).props("flat no-caps")

    async def refresh_figures() -> None:
        with failure_shown(figures, what="Die Kennzahlen") as attempt:
            numbers = await in_thread(view.web.services.metrics.overview)
        if attempt.failed:
            return
        figures.clear()
        with figures:
            _figures(numbers)

    await refresh()
    await refresh_figures()
    ui.timer(view.web.settings.web.refresh_sec, refresh_figures, immediate=False)


def _figures(numbers: Overview) -> None:
    rated = numbers.feedback.overall
    useful = de_percent(rated.useful_ratio) if rated.useful_ratio is not None else "–"
    figure("Dokumente", de_int(numbers.items))
    figure("Abschnitte", de_int(numbers.chunks))
    figure("Nutzer", de_int(numbers.users))
    figure("Ereignisse heute", de_int(sum(numbers.events_today.values())))
    figure(
        "Nützliche Antworten",
        useful,
        f"{rated.useful} von {rated.total} Bewertungen" if rated.total else "noch keine Bewertungen",
    )
