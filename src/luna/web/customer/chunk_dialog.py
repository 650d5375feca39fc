"""A cited source in full: its document, section and page, the text around it, the whole document.

The reader of an answer wants to check the passage in its place: the dialog shows the passage with the
one before and after it, and "Ganzes Dokument anzeigen" puts every passage of the document in reading
order into the dialog, the cited one marked and scrolled into view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from luna.domain.items import ItemChunk
from luna.web.components.errors import failure_shown
from luna.web.components.offload import in_thread
from luna.web.context import WebContext
from luna.web.customer.excerpts import readable_lines

#: The cited passage, marked in the surrounding text.
_CITED_CLASSES = "luna-cited-passage whitespace-pre-line text-sm p-2 rounded"
_AROUND_CLASSES = "whitespace-pre-line text-sm luna-muted p-2"
_PASSAGE_CLASSES = "whitespace-pre-line text-sm"


async def open_source(
    web: WebContext, chunk_id: str, payload: Mapping[str, Any], number: int | None = None
) -> None:
    """Open the dialog of chunk ``chunk_id`` (``payload`` as cited; its neighbours come from the store)."""
    passages: list[ItemChunk] = []
    item_id = payload.get("item_id")
    if item_id:
        with failure_shown(what="Der Zusammenhang der Quelle") as attempt:
            passages = await in_thread(web.services.corpus.passages, str(item_id))
        if attempt.failed:
            passages = []
    chunk_dialog(payload, number, passages, chunk_id).open()


def chunk_dialog(
    payload: Mapping[str, Any],
    number: int | None = None,
    passages: Sequence[ItemChunk] = (),
    chunk_id: str = "",
) -> ui.dialog:
    """A dialog (not yet open) showing the chunk in ``payload``; it removes itself when closed."""
    title = str(payload.get("title") or "Ohne Titel")
    with ui.dialog() as dialog, ui.card().classes("w-[52rem] max-w-full gap-3").mark("source-dialog"):
        with ui.row().classes("items-center gap-2 no-wrap w-full"):
            if number is not None:
                ui.badge(str(number), color="secondary")
            ui.label(title).classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        _details(payload, title)
        text_area = ui.scroll_area().classes("w-full h-80 border rounded p-2").mark("source-text")
        _show_around(text_area, payload, passages, chunk_id)
        with ui.row().classes("w-full justify-between items-center"):
            if len(passages) > 1:
                whole = ui.button("Ganzes Dokument anzeigen", icon="article").props("flat no-caps")

                def show_whole() -> None:
                    _show_whole(text_area, passages, chunk_id)
                    whole.visible = False

                whole.on_click(show_whole)
            else:
                ui.element("span")
            ui.button("Schließen", on_click=dialog.close).props("no-caps")
    dialog.on("hide", dialog.delete)
    return dialog


def _details(payload: Mapping[str, Any], title: str) -> None:
    details = [
        ("Dokument", title),
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


def _show_around(
    area: ui.scroll_area, payload: Mapping[str, Any], passages: Sequence[ItemChunk], cited_id: str
) -> None:
    """The cited passage between the one before and the one after it (when the document is known)."""
    at = next((i for i, chunk in enumerate(passages) if chunk.chunk_id == cited_id), None)
    with area:
        if at is None:
            ui.label(_readable(str(payload.get("text") or ""))).classes(_CITED_CLASSES)
            return
        if at > 0:
            ui.label("… " + _tail(_readable(passages[at - 1].text))).classes(_AROUND_CLASSES).mark(
                "source-before"
            )
        ui.label(_readable(passages[at].text)).classes(_CITED_CLASSES).mark("source-cited")
        if at + 1 < len(passages):
            ui.label(_head(_readable(passages[at + 1].text)) + " …").classes(_AROUND_CLASSES).mark(
                "source-after"
            )


def _show_whole(area: ui.scroll_area, passages: Sequence[ItemChunk], cited_id: str) -> None:
    area.clear()
    cited: ui.label | None = None
    with area, ui.column().classes("gap-2").mark("source-document"):
        for chunk in passages:
            section = chunk.metadata.get("section")
            if section:
                ui.label(str(section)).classes("text-xs font-semibold luna-muted")
            is_cited = chunk.chunk_id == cited_id
            label = ui.label(chunk.text).classes(
                _CITED_CLASSES if is_cited else "whitespace-pre-line text-sm"
            )
            if is_cited:
                cited = label
    if cited is not None:
        ui.run_javascript(f"getElement({cited.id}).scrollIntoView({{block: 'center'}})")


_AROUND_CHARS = 400


def _readable(text: str) -> str:
    """Tables as lines that name their columns, no HTML or Markdown marks (see ``excerpts``)."""
    return "\n".join(readable_lines(text))


def _tail(text: str) -> str:
    return text if len(text) <= _AROUND_CHARS else text[-_AROUND_CHARS:].split(" ", 1)[-1]


def _head(text: str) -> str:
    return text if len(text) <= _AROUND_CHARS else text[:_AROUND_CHARS].rsplit(" ", 1)[0]
