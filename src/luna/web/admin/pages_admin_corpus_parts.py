"""Pieces of the corpus view: an item's action buttons, the tag editor, the version history, the
document viewer and the choice of a file for a new version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from nicegui import ui
from nicegui.events import UploadEventArguments

from luna.domain.items import ItemChunk
from luna.services.knowledge.corpus import ItemVersion
from luna.services.knowledge.ingest_rules import MAX_TAG_CHARS, MAX_TAGS
from luna.web.admin.pages_admin_upload import upload_field
from luna.web.components.formats import de_count, de_datetime, de_int
from luna.web.components.tag_field import TagField
from luna.web.components.widgets import discard
from luna.web.customer.excerpts import readable_lines


def action_button(
    text: str, icon: str, name: str, handler: Callable[[], Awaitable[None]], *, danger: bool = False
) -> ui.button:
    """A small button whose accessible name says which item it acts on (``name``)."""
    button = ui.button(text, icon=icon, on_click=handler).props("flat dense no-caps")
    button.props["aria-label"] = name
    if danger:
        button.props('color="negative"')
    return button


async def edit_tags(title: str, tags: Sequence[str]) -> list[str] | None:
    """The tags the person saved for ``title``, or None when they cancelled."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg gap-3"):
        ui.label("Schlagwörter bearbeiten").classes("text-lg font-semibold").props(
            'role="heading" aria-level="2"'
        )
        ui.label(title).classes("luna-muted")
        chips = (
            TagField("Schlagwörter (Enter nach jedem)", tags)
            .props("outlined clearable")
            .classes("w-full")
            .mark("tag-editor")
        )
        rule = f"Höchstens {MAX_TAGS} Schlagwörter mit je bis zu {MAX_TAG_CHARS} Zeichen."
        hint = ui.label(rule).classes("text-xs luna-muted").props('aria-live="polite"')

        def save() -> None:
            """Checked here, so a wrong tag keeps the dialog and the edits open instead of failing later."""
            chosen = [str(tag) for tag in chips.value or []]
            too_long = [tag for tag in chosen if len(tag.strip()) > MAX_TAG_CHARS]
            if too_long or len(chosen) > MAX_TAGS:
                problem = f"„{too_long[0][:24]}…“ ist zu lang. " if too_long else "Zu viele Schlagwörter. "
                hint.set_text(problem + rule)
                hint.classes(replace="text-xs text-negative font-medium")
                return
            dialog.submit(chosen)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Abbrechen", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Speichern", icon="save", on_click=save).props("no-caps")
    chosen = await dialog
    discard(dialog)
    return chosen if isinstance(chosen, list) else None


async def show_versions(title: str, history: Sequence[ItemVersion]) -> None:
    """Every version of ``title`` that still has chunks: the current one searchable, older ones archived."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-xl gap-3"):
        ui.label("Versionen").classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        ui.label(title).classes("luna-muted")
        if not history:
            ui.label("Zu diesem Dokument sind keine Abschnitte gespeichert.").classes("luna-muted")
        else:
            columns = [
                {"name": "version", "label": "Version", "field": "version", "align": "left"},
                {"name": "state", "label": "Stand", "field": "state", "align": "left"},
                {"name": "chunks", "label": "Abschnitte", "field": "chunks", "align": "right"},
                {"name": "indexed", "label": "Eingelesen", "field": "indexed", "align": "left"},
            ]
            rows = [
                {
                    "version": entry.version,
                    "state": "aktuell (durchsuchbar)" if entry.current else "archiviert",
                    "chunks": de_int(entry.chunks),
                    "indexed": de_datetime(entry.indexed_at) if entry.indexed_at is not None else "–",
                }
                for entry in history
            ]
            ui.table(columns=columns, rows=rows, row_key="version").props("flat dense").classes("w-full")
            ui.label(
                "Ältere Versionen bleiben gespeichert, damit frühere Antworten nachvollziehbar bleiben; "
                "gesucht wird nur in der aktuellen."
            ).classes("text-xs luna-muted")
        with ui.row().classes("w-full justify-end"):
            ui.button("Schließen", on_click=dialog.close).props("flat no-caps autofocus")
    await dialog
    discard(dialog)


async def show_document(title: str, passages: Sequence[ItemChunk]) -> None:
    """The document's current passages in reading order, each under its section and page: what Luna
    searches and quotes, as she has it."""
    with ui.dialog() as dialog, ui.card().classes("w-[56rem] max-w-full gap-3").mark("document-viewer"):
        ui.label(title).classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        ui.label(de_count(len(passages), "Abschnitt", "Abschnitte")).classes("text-sm luna-muted")
        with ui.scroll_area().classes("w-full h-[32rem] border rounded p-2"):
            for chunk in passages:
                place = [str(chunk.metadata.get("section") or "Ohne Abschnittsüberschrift")]
                if chunk.metadata.get("page") not in (None, ""):
                    place.append(f"Seite {chunk.metadata['page']}")
                ui.label(" · ".join(place)).classes("text-xs font-semibold luna-muted pt-2")
                ui.label("\n".join(readable_lines(chunk.text))).classes("whitespace-pre-line text-sm")
        with ui.row().classes("w-full justify-end"):
            ui.button("Schließen", on_click=dialog.close).props("flat no-caps autofocus")
    await dialog
    discard(dialog)


#: A file chosen for a new version: name, declared type, content.
ChosenFile = tuple[str, str, bytes]


async def choose_new_version(title: str, max_mb: int) -> ChosenFile | None:
    """The file the person dropped or picked as the next version of ``title`` (None: cancelled)."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg gap-3"):
        ui.label("Neue Version hochladen").classes("text-lg font-semibold").props(
            'role="heading" aria-level="2"'
        )
        ui.label(title).classes("luna-muted")
        ui.label(
            "Die neue Fassung wird eingelesen und ersetzt die bisherige in der Suche; die bisherige bleibt "
            "archiviert. Titel und Schlagwörter bleiben erhalten."
        ).classes("text-sm")

        async def received(event: UploadEventArguments) -> None:
            dialog.submit((event.file.name or "Datei", event.file.content_type, await event.file.read()))

        upload_field("Datei hierher ziehen", max_mb, multiple=False).on_upload(received).on(
            "rejected",
            lambda: ui.notify(
                f"Die Datei ist zu groß: höchstens {max_mb} MB.", type="negative", position="top"
            ),
        )
        with ui.row().classes("w-full justify-end"):
            ui.button("Abbrechen", on_click=lambda: dialog.submit(None)).props("flat no-caps")
    chosen = await dialog
    discard(dialog)
    return chosen if isinstance(chosen, tuple) else None
