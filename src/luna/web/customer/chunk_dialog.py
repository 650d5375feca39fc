"""A chunk of the knowledge base in full: its document, section and text, in a dialog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nicegui import ui


def chunk_dialog(payload: Mapping[str, Any], number: int | None = None) -> ui.dialog:
    """A dialog (not yet open) showing the chunk in ``payload``; it removes itself when closed."""
    with ui.dialog() as dialog, ui.card().classes("w-[48rem] max-w-full gap-3").mark("source-dialog"):
        with ui.row().classes("items-center gap-2 no-wrap w-full"):
            if number is not None:
                ui.badge(str(number), color="secondary")
            ui.label(str(payload.get("title") or "Ohne Titel")).classes("text-lg font-semibold").props(
                'role="heading" aria-level="2"'
            )
        details = [
            ("Abschnitt", payload.get("section")),
            ("Seite", payload.get("page")),
            ("Version", payload.get("version")),
        ]
        with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-sm"):
            for label, value in details:
                if value not in (None, ""):
                    ui.label(label).classes("luna-muted")
                    ui.label(str(value))
        url = payload.get("url")
        if url:
            ui.link(str(url), str(url), new_tab=True).classes("text-sm break-all")
        with ui.scroll_area().classes("w-full h-72 border rounded p-2"):
            ui.label(str(payload.get("text") or "")).classes("whitespace-pre-line text-sm")
        with ui.row().classes("w-full justify-end"):
            ui.button("Schließen", on_click=dialog.close).props("no-caps")
    dialog.on("hide", dialog.delete)
    return dialog
