"""Small pieces every view uses alike: card titles, figures, empty and loading states (failures:
:mod:`luna.web.components.errors`)."""

from __future__ import annotations

from nicegui import ui


def card_title(text: str, icon: str | None = None) -> None:
    with ui.row().classes("items-center gap-2 no-wrap"):
        if icon:
            ui.icon(icon, size="sm").classes("text-primary").props('aria-hidden="true"')
        ui.label(text).classes("luna-card-title").props('role="heading" aria-level="2"')


def figure(label: str, value: str, hint: str | None = None) -> None:
    """One key figure: a large value with its label (and an optional hint underneath)."""
    with ui.column().classes("gap-0 min-w-[9rem]"):
        ui.label(label).classes("text-sm luna-muted")
        ui.label(value).classes("luna-figure")
        if hint:
            ui.label(hint).classes("text-xs luna-muted")


def empty_state(title: str, text: str, icon: str = "inbox") -> None:
    with ui.column().classes("w-full items-center text-center gap-1 py-6").props('role="status"'):
        ui.icon(icon, size="lg").classes("luna-muted").props('aria-hidden="true"')
        ui.label(title).classes("text-base font-medium")
        ui.label(text).classes("text-sm luna-muted max-w-prose")


def loading(text: str = "Wird geladen …") -> ui.row:
    with ui.row().classes("items-center gap-2 luna-muted").props('role="status"') as row:
        ui.spinner(size="sm")
        ui.label(text)
    return row


def discard(element: ui.element) -> None:
    """Delete ``element`` unless NiceGUI has already done so.

    Code that awaits (a dialog, a search in a thread) may resume after its page is gone: when the tab
    was closed or the person navigated away, NiceGUI deletes the client's elements, and deleting one
    a second time fails (``list.remove(x): x not in list``), logged as a server error.
    """
    if not element.is_deleted:
        element.delete()


def say_address_ignored(ignored: list[str], shown_url: str) -> None:
    """Say which parts of the address a view cannot show (German names: "Zähler", "Zeitraum" …), and put
    what it shows in the address: a bad link showed the default without a word."""
    if not ignored:
        return
    named = " und ".join([", ".join(ignored[:-1]), ignored[-1]] if len(ignored) > 1 else ignored)
    ui.notify(
        f"Die Adresse enthält einen ungültigen Wert für {named}; gezeigt wird die Voreinstellung.",
        type="warning",
        position="top",
    )
    ui.navigate.history.replace(shown_url)
