"""A cited source in full: its document, section and page, the text around it, the whole document.

The reader of an answer wants to check the passage in its place: the dialog shows the passage with the
one before and after it, and "Ganzes Dokument anzeigen" puts every passage of the document in reading
order into the dialog, the cited one marked and scrolled into view. A passage shown in full keeps its
tables as tables (the recommendations' "Lesen" opens this dialog too); the neighbours, cut to a few
lines, read as plain lines.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from luna.domain.items import ItemChunk
from luna.web.components.errors import failure_shown
from luna.web.components.offload import in_thread
from luna.web.context import WebContext
from luna.web.customer.excerpts import Table, readable_lines, reading_blocks

#: The cited passage, marked in the surrounding text.
_CITED_CLASSES = "luna-cited-passage p-2 rounded"
_AROUND_CLASSES = "whitespace-pre-line text-sm luna-muted p-2"
_PROSE_CLASSES = "whitespace-pre-line text-sm"


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
    dialog = ui.dialog().props(f'aria-label="{_attribute(title)}"')
    # Its own stacking level: without it axe-core measures the buttons against the dimmed backdrop.
    with dialog, ui.card().classes("w-[52rem] max-w-full gap-3 relative z-10").mark("source-dialog"):
        with ui.row().classes("items-center gap-2 no-wrap w-full"):
            if number is not None:
                ui.badge(str(number), color="secondary")
            ui.label(title).classes("text-lg font-semibold").props('role="heading" aria-level="2"')
        _details(payload, title)
        # As high as the text, at most 60 % of the screen; scrolled by keyboard too (it takes the focus).
        text_area = (
            ui.element("div")
            .classes("w-full max-h-[60vh] overflow-auto border rounded p-2 column no-wrap gap-2")
            .props('tabindex="0" role="region" aria-label="Text der Quelle"')
            .mark("source-text")
        )
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
    area: ui.element, payload: Mapping[str, Any], passages: Sequence[ItemChunk], cited_id: str
) -> None:
    """The cited passage between the one before and the one after it (when the document is known)."""
    at = next((i for i, chunk in enumerate(passages) if chunk.chunk_id == cited_id), None)
    with area:
        if at is None:
            passage(str(payload.get("text") or ""), _CITED_CLASSES).mark("source-cited")
            return
        if at > 0:
            before = ui.label("… " + _tail(_readable(passages[at - 1].text)))
            before.classes(f"{_AROUND_CLASSES} luna-source-before").mark("source-before")
        passage(passages[at].text, _CITED_CLASSES).mark("source-cited")
        if at + 1 < len(passages):
            after = ui.label(_head(_readable(passages[at + 1].text)) + " …")
            after.classes(f"{_AROUND_CLASSES} luna-source-after").mark("source-after")


def _show_whole(area: ui.element, passages: Sequence[ItemChunk], cited_id: str) -> None:
    area.clear()
    cited: ui.column | None = None
    with area, ui.column().classes("w-full gap-2").mark("source-document"):
        for chunk in passages:
            section = chunk.metadata.get("section")
            if section:
                ui.label(str(section)).classes("text-xs font-semibold luna-muted")
            is_cited = chunk.chunk_id == cited_id
            shown = passage(chunk.text, _CITED_CLASSES if is_cited else "")
            if is_cited:
                cited = shown
    if cited is not None:
        ui.run_javascript(f"getElement({cited.id}).scrollIntoView({{block: 'center'}})")


def passage(text: str, classes: str) -> ui.column:
    """``text`` in full for reading: plain lines, and its tables as tables (no Markdown marks)."""
    with ui.column().classes(f"w-full gap-2 {classes}") as shown:
        for block in reading_blocks(text):
            if isinstance(block, Table):
                _table(block)
            else:
                ui.label(block).classes(_PROSE_CLASSES)
    return shown


def _table(table: Table) -> None:
    """A real table (column headers, one row each) in the answers' table style; a table wider than the
    dialog scrolls sideways in a region that takes the keyboard focus, so it scrolls by keyboard too.

    Every cell is escaped: the passage's text is data, never markup.
    """
    head = "".join(
        f'<th scope="col" style="text-align: left">{html.escape(cell)}</th>' for cell in table.header
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    shown = ui.html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", sanitize=False)
    shown.classes("luna-answer-md luna-reading-table w-full").mark("source-table")
    named = ", ".join(cell for cell in table.header if cell)
    shown.props.update(
        {"tabindex": "0", "role": "region", "aria-label": f"Tabelle: {named}" if named else "Tabelle"}
    )


_AROUND_CHARS = 400


def _attribute(text: str) -> str:
    """``text`` inside a double-quoted prop: NiceGUI's prop strings know no escapes."""
    return text.replace('"', "'")[:200]


def _readable(text: str) -> str:
    """Tables as lines that name their columns, no HTML or Markdown marks (see ``excerpts``)."""
    return "\n".join(readable_lines(text))


def _tail(text: str) -> str:
    return text if len(text) <= _AROUND_CHARS else text[-_AROUND_CHARS:].split(" ", 1)[-1]


def _head(text: str) -> str:
    return text if len(text) <= _AROUND_CHARS else text[:_AROUND_CHARS].rsplit(" ", 1)[0]
