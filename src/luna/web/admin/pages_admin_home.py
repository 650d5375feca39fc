"""``/admin``: is every component of Luna running, and which version is deployed."""

from __future__ import annotations

from nicegui import ui

from luna.services.operations.system import system_info
from luna.web.admin.system_status import component_table, overall_status, version_lines
from luna.web.components.errors import failure_shown
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, loading


@admin_page("/admin")
async def admin_home(view: AdminView) -> None:
    container = view.web.container
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("grow min-w-[36rem] basis-[48rem]"):
            card_title("Komponenten", "monitor_heart")
            health_area = ui.column().classes("w-full")
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
        waiting.delete()
        with health_area:
            overall_status(report)
            component_table(report, technical=True)
            ui.button("Erneut prüfen", icon="refresh", on_click=refresh).props("flat no-caps")

    await refresh()
