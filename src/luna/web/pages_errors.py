"""What a person sees instead of a page that does not exist or failed to build: German, no trace."""

from __future__ import annotations

from nicegui import ui

from luna.web.components.errors import german_message
from luna.web.components.theme import apply_theme


def _error_page(code: str, title: str, text: str) -> None:
    apply_theme()
    ui.page_title(f"{title} · Luna")
    with ui.column().classes("w-full items-center text-center gap-3 py-16").props('role="main"'):
        ui.icon("dark_mode", size="xl").classes("text-primary").props('aria-hidden="true"')
        ui.label(code).classes("text-5xl font-bold text-primary")
        ui.label(title).classes("text-xl font-semibold").props('role="heading" aria-level="1"')
        ui.label(text).classes("max-w-prose luna-muted")
        with ui.row().classes("gap-2"):
            ui.button("Zur Übersicht", icon="home").props('href="/" tag="a" no-caps')
            ui.button("Zur Administration", icon="admin_panel_settings").props(
                'href="/admin" tag="a" flat no-caps'
            )


def not_found_content() -> None:
    _error_page(
        "404",
        "Diese Seite gibt es nicht",
        "Die Adresse ist vielleicht falsch geschrieben oder die Seite wurde verschoben.",
    )


def failure_content(error: Exception) -> None:
    _error_page("500", "Diese Seite konnte nicht angezeigt werden", german_message(error))
