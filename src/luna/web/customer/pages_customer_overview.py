"""``/``: the global insight panel: is Luna running, which version, and what she knows and sees."""

from __future__ import annotations

from nicegui import ui

from luna.services.learning.metrics import Overview
from luna.services.operations.system import system_info
from luna.web.admin.system_status import overall_status, version_lines
from luna.web.components.charts import events_chart
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_int, de_percent
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure, loading

_EVENT_DAYS = 14


@customer_page("/")
async def overview(view: CustomerView) -> None:
    container = view.web.container
    with ui.row().classes("w-full gap-4 items-stretch"):
        with ui.card().classes("grow basis-[36rem]"):
            card_title("Luna in Zahlen", "insights")
            figures = ui.row().classes("w-full gap-8").mark("overview-figures")
        with ui.card().classes("grow basis-80"):
            card_title("Systemstatus", "monitor_heart")
            status_area = ui.column().classes("w-full gap-2")
            with status_area:
                loading("Dienste werden geprüft …")
            version_lines(system_info(container.settings, container.model_names()))
    with ui.card().classes("w-full"):
        card_title(f"Aktivität der letzten {_EVENT_DAYS} Tage", "bar_chart")
        activity = ui.column().classes("w-full")

    async def refresh_figures() -> None:
        activity.clear()
        with failure_shown(figures, what="Die Kennzahlen") as attempt:
            numbers = await in_thread(view.web.services.metrics.overview)
        if attempt.failed:
            return
        figures.clear()
        with figures:
            _figures(numbers)
        with activity:
            _activity(numbers)

    async def refresh_status() -> None:
        with failure_shown(status_area, what="Der Systemstatus"):
            report = await in_thread(view.web.services.health.check)
            status_area.clear()
            with status_area:
                overall_status(report)

    await refresh_figures()
    await refresh_status()
    ui.timer(view.web.settings.web.refresh_sec, refresh_figures)


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


def _activity(numbers: Overview) -> None:
    days = numbers.events_per_day[-_EVENT_DAYS:]
    if not any(day.total for day in days):
        empty_state(
            "Noch keine Aktivität",
            "Sobald Fragen gestellt, Quellen geöffnet oder Antworten bewertet werden, "
            "erscheint hier der Verlauf.",
            "timeline",
        )
        return
    chart = events_chart([(f"{day.day:%d.%m.}", day.by_type) for day in days])
    ui.echart(chart).classes("w-full h-72").mark("activity-chart")
