"""Confirmation before an action that cannot be undone (an operator deleting a document or restoring a
snapshot; a customer erasing their data or unlinking a meter)."""

from __future__ import annotations

from nicegui import context, ui

from luna.web.components.widgets import discard

#: Browser tabs (NiceGUI clients) that show a confirmation now: a double click on "Löschen" opened two.
_ASKING: set[str] = set()


async def confirmed(
    title: str, text: str, action: str, *, icon: str = "warning", danger: bool = True
) -> bool:
    """Ask ``text`` under ``title``; True only when the person chose ``action`` (not on Escape). While one
    confirmation is open in a tab, a second one is not asked (False). ``danger``: the action destroys or
    cannot be undone, shown red; otherwise in the primary colour (starting a run is no deletion)."""
    client = context.client.id
    if client in _ASKING:
        return False
    _ASKING.add(client)
    try:
        return await _ask(title, text, action, icon, "negative" if danger else "primary")
    finally:
        _ASKING.discard(client)


async def _ask(title: str, text: str, action: str, icon: str, color: str) -> bool:
    with ui.dialog() as dialog, ui.card().classes("max-w-lg gap-3").props('role="alertdialog"'):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="md").classes(f"text-{color}").props('aria-hidden="true"')
            ui.label(title).classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        ui.label(text)
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Abbrechen", on_click=lambda: dialog.submit(False)).props("flat no-caps autofocus")
            ui.button(action, on_click=lambda: dialog.submit(True)).props(f'no-caps color="{color}"')
    answer = await dialog
    discard(dialog)
    return answer is True
