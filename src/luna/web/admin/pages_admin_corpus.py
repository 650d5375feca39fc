"""``/admin/corpus``: the knowledge base item by item: find, tag, see and add versions, reindex, delete.

``?q=`` opens the view with a search, ``?item=<id>`` with one item (the upload view links there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from nicegui import ui

from luna.domain.errors import InvalidInput, NotFound
from luna.domain.items import ItemStatus
from luna.services.knowledge.corpus import CorpusItem, CorpusPage, CorpusService
from luna.services.knowledge.ingest import IngestRequest
from luna.web.admin.pages_admin_corpus_parts import (
    action_button,
    choose_new_version,
    edit_tags,
    show_document,
    show_versions,
)
from luna.web.admin.pages_admin_upload import KIND_LABELS, refusal
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_count, de_datetime, de_int
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, loading

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
    filters = _filter_card(params.get("q", ""), params.get("tag", ""))
    with ui.card().classes("w-full"):
        card_title("Korpus", "library_books")
        summary = ui.row().classes("w-full items-center gap-2")
        listing = ui.column().classes("w-full gap-2").mark("corpus-list")
        pages = ui.row().classes("w-full justify-center")
        with listing:
            loading("Dokumente werden geladen …")

    # Listeners go on before the first await: added later, they make the browser draw the elements again.
    shown: _CorpusList  # built once the service is there
    for control in (filters.query, filters.tag, filters.status):
        control.on_value_change(lambda: shown.filter_changed())

    with failure_shown(listing, what="Der Korpus") as attempt:
        service = await in_thread(lambda: view.web.services.corpus)
    if attempt.failed:
        return
    shown = _CorpusList(service, filters, params.get("item"), summary, listing, pages)
    shown.actions = _ItemActions(view, service, shown)
    await shown.refresh()


@dataclass(frozen=True)
class _Filters:
    query: ui.input
    tag: ui.input
    status: ui.select

    @property
    def active(self) -> bool:
        return bool(self.query.value or self.tag.value or self.status.value)


def _filter_card(query: str, tag: str) -> _Filters:
    with ui.card().classes("w-full"):
        card_title("Dokumente finden", "search")
        with ui.row().classes("w-full gap-4 items-start"):
            return _Filters(
                query=ui.input("Suche in Titel, Adresse und Text", value=query)
                .props('outlined clearable debounce="400"')
                .classes("grow min-w-[18rem]")
                .mark("corpus-query"),
                tag=ui.input("Schlagwort", value=tag)
                .props('outlined clearable debounce="400"')
                .classes("min-w-[12rem]")
                .mark("corpus-tag"),
                status=ui.select(_STATUS_FILTER, value="", label="Status")
                .props("outlined")
                .classes("min-w-[12rem]"),
            )


class _CorpusList:
    """The items that match the filters, a page at a time (or the one item the address names)."""

    actions: _ItemActions

    def __init__(
        self,
        service: CorpusService,
        filters: _Filters,
        only_item: str | None,
        summary: ui.row,
        listing: ui.column,
        pages: ui.row,
    ) -> None:
        self.service = service
        self.filters = filters
        self.only_item = only_item
        #: An address naming an item that is not there (deleted since, or mistyped) shows all of them.
        self.missing = False
        self.summary, self.listing, self.pages = summary, listing, pages
        self.page = 1

    async def load(self) -> CorpusPage:
        if self.only_item:
            try:
                entry = await in_thread(self.service.get, self.only_item)
            except (NotFound, InvalidInput):
                self.only_item, self.missing = None, True
            else:
                return CorpusPage(items=[entry], total=1, limit=1, offset=0)
        status = self.filters.status.value
        return await in_thread(
            self.service.page,
            query=self.filters.query.value or None,
            tag=self.filters.tag.value or None,
            status=ItemStatus(status) if status else None,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    async def refresh(self) -> None:
        with failure_shown(self.listing, what="Die Dokumentliste") as attempt:
            found = await self.load()
        if attempt.failed:
            self.pages.clear()
            return
        self._summary(found)
        self.listing.clear()
        with self.listing:
            if not found.items:
                self._empty()
            for entry in found.items:
                _item_card(entry, self.actions)
        self._pagination(found)

    def _summary(self, found: CorpusPage) -> None:
        self.summary.clear()
        with self.summary:
            if self.only_item:
                ui.label("Ein Dokument").classes("luna-muted")
                ui.button("Alle Dokumente anzeigen", icon="list", on_click=self.show_all).props(
                    "flat dense no-caps"
                )
            else:
                ui.label(f"{de_int(found.total)} Dokument{'' if found.total == 1 else 'e'}").classes(
                    "luna-muted"
                ).props('role="status"')
            if self.missing:
                ui.label("Das verlinkte Dokument gibt es nicht (mehr): hier sind alle.").classes(
                    "text-warning"
                ).mark("corpus-missing-item")

    def _empty(self) -> None:
        filtered = self.filters.active
        empty_state(
            "Keine Dokumente gefunden" if filtered else "Der Korpus ist leer",
            "Ändern Sie die Suche oder die Filter."
            if filtered
            else "Laden Sie unter „Hochladen“ Dokumente hoch; sie erscheinen hier, sobald sie "
            "eingelesen sind.",
            "search_off" if filtered else "library_books",
        )

    def _pagination(self, found: CorpusPage) -> None:
        self.pages.clear()
        count = math.ceil(found.total / PAGE_SIZE)
        if count > 1 and not self.only_item:
            with self.pages:
                ui.pagination(
                    1, count, direction_links=True, value=self.page, on_change=self.turn_page
                ).props('aria-label="Seiten"')

    async def turn_page(self, event: object) -> None:
        value = getattr(event, "value", None)
        self.page = value if isinstance(value, int) else 1
        await self.refresh()

    async def filter_changed(self) -> None:
        self.page = 1
        await self.refresh()

    def show_all(self) -> None:
        ui.navigate.to("/admin/corpus")


def _item_card(entry: CorpusItem, actions: _ItemActions) -> None:
    item = entry.item
    title = item.title or "Unbenanntes Dokument"
    label, color = STATUS_LABELS.get(item.status, (item.status.value, "grey-8"))
    with ui.card().classes("w-full gap-1 py-3").props("flat bordered").mark("corpus-item"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(title).classes("text-base font-semibold grow").props('role="heading" aria-level="3"')
            ui.badge(label, color=color)
        ui.label(" · ".join(_facts(entry))).classes("text-sm luna-muted")
        if item.url:
            ui.link(item.url, item.url, new_tab=True).classes("text-sm break-all")
        with ui.row().classes("items-center gap-1"):
            if item.tags:
                for name in item.tags:
                    ui.chip(name, icon="sell").props('dense outline color="secondary"')
            else:
                ui.label("Keine Schlagwörter").classes("text-sm luna-muted")
        with ui.row().classes("gap-1"):
            action_button("Ansehen", "article", f"Dokument ansehen: {title}", lambda: actions.read(entry))
            action_button(
                "Schlagwörter", "sell", f"Schlagwörter bearbeiten: {title}", lambda: actions.tags(entry)
            )
            action_button("Versionen", "history", f"Versionen: {title}", lambda: actions.versions(entry))
            action_button(
                "Neue Version",
                "upload_file",
                f"Neue Version hochladen: {title}",
                lambda: actions.new_version(entry),
            )
            action_button(
                "Neu indexieren", "refresh", f"Neu indexieren: {title}", lambda: actions.reindex(entry)
            )
            action_button(
                "Löschen", "delete", f"Löschen: {title}", lambda: actions.delete(entry), danger=True
            )


def _facts(entry: CorpusItem) -> list[str]:
    item = entry.item
    facts = [
        KIND_LABELS.get(item.kind, item.kind),
        f"Version {item.version}",
        de_count(entry.chunks, "Abschnitt", "Abschnitte")
        + (f" (+ {de_int(entry.archived_chunks)} archiviert)" if entry.archived_chunks else ""),
    ]
    if item.created_at is not None:
        facts.append(f"eingelesen {de_datetime(item.created_at)}")
    if item.updated_at is not None:
        facts.append(f"geändert {de_datetime(item.updated_at)}")
    return facts


class _ItemActions:
    """What an item's buttons do: each asks, acts through the service and reloads the list."""

    def __init__(self, view: AdminView, service: CorpusService, shown: _CorpusList) -> None:
        self.view = view
        self.service = service
        self.shown = shown
        self.max_mb = view.web.settings.api.max_upload_mb

    async def tags(self, entry: CorpusItem) -> None:
        chosen = await edit_tags(entry.item.title or "Unbenanntes Dokument", entry.item.tags)
        if chosen is None:
            return
        with failure_shown() as attempt:
            await in_thread(self.service.set_tags, entry.item.item_id, chosen)
        if attempt.failed:
            return
        ui.notify("Schlagwörter gespeichert.", type="positive", position="top")
        await self.shown.refresh()

    async def read(self, entry: CorpusItem) -> None:
        with failure_shown() as attempt:
            passages = await in_thread(self.service.passages, entry.item.item_id)
        if attempt.failed:
            return
        await show_document(entry.item.title or "Unbenanntes Dokument", passages)

    async def versions(self, entry: CorpusItem) -> None:
        with failure_shown() as attempt:
            history = await in_thread(self.service.versions, entry.item.item_id)
        if attempt.failed:
            return
        await show_versions(entry.item.title or "Unbenanntes Dokument", history)

    async def new_version(self, entry: CorpusItem) -> None:
        item = entry.item
        title = item.title or "Unbenanntes Dokument"
        chosen = await choose_new_version(title, self.max_mb)
        if chosen is None:
            return
        name, content_type, data = chosen
        request = IngestRequest(
            data=data,
            filename=name,
            declared_type=content_type,
            kind=item.kind,
            source=item.source or "upload",
            added_by="admin",
            added_via="dashboard",
        )
        note = ui.notification(f"„{name}“ wird als neue Version eingelesen …", spinner=True, timeout=None)
        try:
            result = await in_thread(self.view.web.services.knowledge.ingest.replace, item.item_id, request)
        except Exception as error:
            note.dismiss()
            reason, _ = refusal(error, self.max_mb, name=name)
            ui.notify(reason, type="negative", position="top", close_button="Schließen", timeout=8000)
            return
        note.dismiss()
        ui.notify(
            f"Version {result.version} von „{title}“ eingelesen: "
            f"{de_count(result.chunks, 'Abschnitt', 'Abschnitte')}, "
            f"{de_int(result.archived_chunks)} archiviert.",
            type="positive",
            position="top",
        )
        await self.shown.refresh()

    async def reindex(self, entry: CorpusItem) -> None:
        with failure_shown() as attempt:
            await in_thread(
                self.view.web.services.jobs.submit, "kb.reindex", {"item_ids": [entry.item.item_id]}, "admin"
            )
        if attempt.failed:
            return
        ui.notify(
            "Neuindexierung gestartet; den Fortschritt sehen Sie unter „Jobs“.", type="info", position="top"
        )

    async def delete(self, entry: CorpusItem) -> None:
        title = entry.item.title or "Unbenanntes Dokument"
        if not await confirmed(
            "Dokument löschen?",
            f"„{title}“ wird mit {_its_passages(entry.chunks + entry.archived_chunks)}, "
            "seinen Versionen und Dateien endgültig gelöscht. Das lässt sich nicht rückgängig machen "
            "(außer durch die Wiederherstellung eines Snapshots).",
            "Endgültig löschen",
            icon="delete_forever",
        ):
            return
        with failure_shown() as attempt:
            removed = await in_thread(self.service.delete, entry.item.item_id)
        if attempt.failed:
            return
        ui.notify(
            f"„{title}“ wurde gelöscht ({de_count(removed, 'Abschnitt', 'Abschnitte')}).",
            type="positive",
            position="top",
        )
        if self.shown.only_item:
            self.shown.show_all()
            return
        await self.shown.refresh()


def _its_passages(count: int) -> str:
    """ "mit allen 12 Abschnitten", and "mit seinem einen Abschnitt" rather than "allen 1 Abschnitten"."""
    return "seinem einen Abschnitt" if count == 1 else f"allen {de_int(count)} Abschnitten"
