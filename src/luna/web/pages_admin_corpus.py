"""``/admin/corpus``: the knowledge base item by item: find, tag, see and add versions, reindex, delete.

``?q=`` opens the view with a search, ``?item=<id>`` with one item (the upload view links there).
"""

from __future__ import annotations

import math
from typing import Final

from nicegui import ui

from luna.domain.items import ItemStatus
from luna.services.corpus import CorpusItem, CorpusPage
from luna.web.formats import de_datetime, de_int
from luna.web.layout import AdminView, admin_page
from luna.web.offload import in_thread
from luna.web.pages_admin_corpus_parts import action_button, choose_new_version, edit_tags, show_versions
from luna.web.pages_admin_dialog_parts import confirmed
from luna.web.pages_admin_upload import KIND_LABELS, refusal
from luna.web.widgets import card_title, empty_state, error_state, loading, notify_error

PAGE_SIZE: Final = 20
STATUS_LABELS: Final = {
    ItemStatus.INDEXED: ("Indexiert", "positive"),
    ItemStatus.PENDING: ("In Arbeit", "warning"),
    ItemStatus.FAILED: ("Fehlgeschlagen", "negative"),
}
_STATUS_FILTER: Final = {"": "Alle", **{status.value: label for status, (label, _) in STATUS_LABELS.items()}}


@admin_page("/admin/corpus")
async def corpus(view: AdminView) -> None:
    params = ui.context.client.request.query_params
    only_item = params.get("item")
    max_mb = view.web.settings.api.max_upload_mb
    state = {"page": 1}

    with ui.card().classes("w-full"):
        card_title("Dokumente finden", "search")
        with ui.row().classes("w-full gap-4 items-start"):
            query = (
                ui.input("Suche in Titel und Adresse", value=params.get("q", ""))
                .props('outlined clearable debounce="400"')
                .classes("grow min-w-[18rem]")
                .mark("corpus-query")
            )
            tag = (
                ui.input("Schlagwort", value=params.get("tag", ""))
                .props('outlined clearable debounce="400"')
                .classes("min-w-[12rem]")
                .mark("corpus-tag")
            )
            status = (
                ui.select(_STATUS_FILTER, value="", label="Status").props("outlined").classes("min-w-[12rem]")
            )
    with ui.card().classes("w-full"):
        card_title("Korpus", "library_books")
        summary = ui.row().classes("w-full items-center gap-2")
        listing = ui.column().classes("w-full gap-2").mark("corpus-list")
        pages = ui.row().classes("w-full justify-center")
        with listing:
            loading("Dokumente werden geladen …")

    # Listeners go on before the first await: added later, they make the browser draw the elements again.
    for control in (query, tag, status):
        control.on_value_change(lambda: filter_changed())

    try:
        service = await in_thread(lambda: view.web.services.corpus)
    except Exception as error:
        listing.clear()
        with listing:
            error_state(error, "Der Korpus")
        return

    async def load() -> CorpusPage:
        if only_item:
            entry = await in_thread(service.get, only_item)
            return CorpusPage(items=[entry], total=1, limit=1, offset=0)
        wanted = ItemStatus(status.value) if status.value else None
        return await in_thread(
            service.page,
            query=query.value or None,
            tag=tag.value or None,
            status=wanted,
            limit=PAGE_SIZE,
            offset=(state["page"] - 1) * PAGE_SIZE,
        )

    async def refresh() -> None:
        try:
            found = await load()
        except Exception as error:
            listing.clear()
            pages.clear()
            with listing:
                error_state(error, "Die Dokumentliste")
            return
        _show(found)

    def _show(found: CorpusPage) -> None:
        summary.clear()
        with summary:
            if only_item:
                ui.label("Ein Dokument").classes("luna-muted")
                ui.button("Alle Dokumente anzeigen", icon="list", on_click=show_all).props(
                    "flat dense no-caps"
                )
            else:
                ui.label(f"{de_int(found.total)} Dokument{'' if found.total == 1 else 'e'}").classes(
                    "luna-muted"
                ).props('role="status"')
        listing.clear()
        with listing:
            if not found.items:
                filtered = bool(query.value or tag.value or status.value)
                empty_state(
                    "Keine Dokumente gefunden" if filtered else "Der Korpus ist leer",
                    "Ändern Sie die Suche oder die Filter."
                    if filtered
                    else "Laden Sie unter „Hochladen“ Dokumente hoch; sie erscheinen hier, sobald sie "
                    "eingelesen sind.",
                    "search_off" if filtered else "library_books",
                )
            for entry in found.items:
                _item_card(entry)
        pages.clear()
        count = math.ceil(found.total / PAGE_SIZE)
        if count > 1 and not only_item:
            with pages:
                ui.pagination(1, count, direction_links=True, value=state["page"], on_change=turn_page).props(
                    'aria-label="Seiten"'
                )

    async def turn_page(event: object) -> None:
        value = getattr(event, "value", None)
        state["page"] = value if isinstance(value, int) else 1
        await refresh()

    async def filter_changed() -> None:
        state["page"] = 1
        await refresh()

    def show_all() -> None:
        ui.navigate.to("/admin/corpus")

    def _item_card(entry: CorpusItem) -> None:
        item = entry.item
        title = item.title or "Unbenanntes Dokument"
        label, color = STATUS_LABELS.get(item.status, (item.status.value, "grey-8"))
        with ui.card().classes("w-full gap-1 py-3").props("flat bordered").mark("corpus-item"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(title).classes("text-base font-semibold grow").props('role="heading" aria-level="3"')
                ui.badge(label, color=color)
            facts = [
                KIND_LABELS.get(item.kind, item.kind),
                f"Version {item.version}",
                f"{de_int(entry.chunks)} Abschnitte"
                + (f" (+ {de_int(entry.archived_chunks)} archiviert)" if entry.archived_chunks else ""),
            ]
            if item.created_at is not None:
                facts.append(f"eingelesen {de_datetime(item.created_at)}")
            if item.updated_at is not None:
                facts.append(f"geändert {de_datetime(item.updated_at)}")
            ui.label(" · ".join(facts)).classes("text-sm luna-muted")
            if item.url:
                ui.link(item.url, item.url, new_tab=True).classes("text-sm break-all")
            with ui.row().classes("items-center gap-1"):
                if item.tags:
                    for name in item.tags:
                        ui.chip(name, icon="sell").props('dense outline color="secondary"')
                else:
                    ui.label("Keine Schlagwörter").classes("text-sm luna-muted")
            with ui.row().classes("gap-1"):
                action_button(
                    "Schlagwörter", "sell", f"Schlagwörter bearbeiten: {title}", lambda: tags_of(entry)
                )
                action_button("Versionen", "history", f"Versionen: {title}", lambda: versions_of(entry))
                action_button(
                    "Neue Version",
                    "upload_file",
                    f"Neue Version hochladen: {title}",
                    lambda: new_version(entry),
                )
                action_button("Neu indexieren", "refresh", f"Neu indexieren: {title}", lambda: reindex(entry))
                action_button("Löschen", "delete", f"Löschen: {title}", lambda: delete(entry), danger=True)

    async def tags_of(entry: CorpusItem) -> None:
        chosen = await edit_tags(entry.item.title or "Unbenanntes Dokument", entry.item.tags)
        if chosen is None:
            return
        try:
            await in_thread(service.set_tags, entry.item.item_id, chosen)
        except Exception as error:
            notify_error(error)
            return
        ui.notify("Schlagwörter gespeichert.", type="positive", position="top")
        await refresh()

    async def versions_of(entry: CorpusItem) -> None:
        try:
            history = await in_thread(service.versions, entry.item.item_id)
        except Exception as error:
            notify_error(error)
            return
        await show_versions(entry.item.title or "Unbenanntes Dokument", history)

    async def new_version(entry: CorpusItem) -> None:
        item = entry.item
        title = item.title or "Unbenanntes Dokument"
        chosen = await choose_new_version(title, max_mb)
        if chosen is None:
            return
        name, content_type, data = chosen
        note = ui.notification(f"„{name}“ wird als neue Version eingelesen …", spinner=True, timeout=None)
        try:
            result = await in_thread(
                lambda: service.new_version(
                    item,
                    data,
                    filename=name,
                    declared_type=content_type,
                    added_by="admin",
                    added_via="dashboard",
                )
            )
        except Exception as error:
            note.dismiss()
            reason, _ = refusal(error, max_mb)
            ui.notify(reason, type="negative", position="top", close_button="Schließen", timeout=8000)
            return
        note.dismiss()
        ui.notify(
            f"Version {result.version} von „{title}“ eingelesen: {de_int(result.chunks)} Abschnitte, "
            f"{de_int(result.archived_chunks)} archiviert.",
            type="positive",
            position="top",
        )
        await refresh()

    async def reindex(entry: CorpusItem) -> None:
        try:
            await in_thread(
                view.web.services.jobs.submit, "kb.reindex", {"item_ids": [entry.item.item_id]}, "admin"
            )
        except Exception as error:
            notify_error(error)
            return
        ui.notify(
            "Neuindexierung gestartet; den Fortschritt sehen Sie unter „Jobs“.", type="info", position="top"
        )

    async def delete(entry: CorpusItem) -> None:
        title = entry.item.title or "Unbenanntes Dokument"
        if not await confirmed(
            "Dokument löschen?",
            f"„{title}“ wird mit allen {de_int(entry.chunks + entry.archived_chunks)} Abschnitten, "
            "seinen Versionen und Dateien endgültig gelöscht. Das lässt sich nicht rückgängig machen "
            "(außer durch die Wiederherstellung eines Snapshots).",
            "Endgültig löschen",
            icon="delete_forever",
        ):
            return
        try:
            removed = await in_thread(service.delete, entry.item.item_id)
        except Exception as error:
            notify_error(error)
            return
        ui.notify(
            f"„{title}“ wurde gelöscht ({de_int(removed)} Abschnitte).", type="positive", position="top"
        )
        if only_item:
            show_all()
            return
        await refresh()

    await refresh()
