"""Confirmation before an admin action that cannot be undone (deleting a document, restoring a snapshot)."""

from __future__ import annotations

from nicegui import ui

from luna.web.components.widgets import discard


async def confirmed(title: str, text: str, action: str, *, icon: str = "warning") -> bool:
    """Ask ``text`` under ``title``; True only when the person chose ``action`` (not on Escape)."""
    with ui.dialog() as dialog, ui.card().classes("max-w-lg gap-3").props('role="alertdialog"'):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="md").classes("text-negative").props('aria-hidden="true"')
            ui.label(title).classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        ui.label(text)
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Abbrechen", on_click=lambda: dialog.submit(False)).props("flat no-caps autofocus")
            ui.button(action, on_click=lambda: dialog.submit(True)).props('no-caps color="negative"')
    answer = await dialog
    discard(dialog)
    return answer is True
