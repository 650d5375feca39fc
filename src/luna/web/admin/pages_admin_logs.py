"""``/admin/logs``: are there errors, how many, from where, and the newest with their trace IDs.

The figures come from this process's buffer of warnings and errors (:mod:`luna.logging_setup`); the
complete log is the server's JSON output, where a trace ID from here finds the request's every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from nicegui import ui

from luna.services.operations.logs import LogSummary, ProblemRecord
from luna.web.components.formats import BERLIN, de_datetime, de_int
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.widgets import card_title, empty_state, figure

#: Entries listed per level.
NEWEST: Final = 25
_LEVELS: Final = {
    "CRITICAL": ("Kritisch", "negative"),
    "ERROR": ("Fehler", "negative"),
    "WARNING": ("Warnung", "warning"),
}
_ENTRY_COLUMNS: Final = [
    {"name": "at", "label": "Zeit", "field": "at", "align": "left"},
    {"name": "level", "label": "Stufe", "field": "level", "align": "left"},
    {"name": "logger", "label": "Herkunft", "field": "logger", "align": "left"},
    {"name": "message", "label": "Meldung", "field": "message", "align": "left"},
    {"name": "trace_id", "label": "Trace-ID", "field": "trace_id", "align": "left"},
]
_LEVEL_SLOT: Final = r"""
<q-td :props="props"><q-badge :color="props.row.color" :label="props.value" /></q-td>
"""
_MESSAGE_SLOT: Final = r"""
<q-td :props="props" style="white-space: normal; min-width: 20rem">
  <div>{{ props.row.message }}</div>
  <div v-if="props.row.error" class="text-caption text-negative">{{ props.row.error }}</div>
</q-td>
"""
_MONO_SLOT: Final = r"""
<q-td :props="props"><span class="font-mono text-caption">{{ props.value }}</span></q-td>
"""


@admin_page("/admin/logs")
async def logs(view: AdminView) -> None:
    service = view.web.services.log_summary
    with ui.card().classes("w-full"):
        card_title("Fehler und Warnungen", "report")
        figures = ui.row().classes("w-full gap-8").mark("log-figures")
        since = ui.label().classes("text-xs luna-muted")
    with ui.card().classes("w-full"):
        with ui.tabs().classes("w-full").props('align="left" no-caps inline-label') as tabs:
            errors_tab = ui.tab("errors", label="Neueste Fehler", icon="error_outline")
            warnings_tab = ui.tab("warnings", label="Neueste Warnungen", icon="warning_amber")
        with ui.tab_panels(tabs, value=errors_tab).classes("w-full"):
            with ui.tab_panel(errors_tab).classes("px-0"):
                errors = ui.column().classes("w-full").mark("log-errors")
            with ui.tab_panel(warnings_tab).classes("px-0"):
                warnings = ui.column().classes("w-full").mark("log-warnings")
    with ui.card().classes("w-full"):
        card_title("Nach Fehlernummer suchen", "search")
        with ui.row().classes("w-full items-start gap-3 no-wrap"):
            wanted = (
                ui.input("Fehlernummer oder Trace-ID", placeholder="z. B. 3f9a0c1e")
                .props('outlined clearable maxlength="200"')
                .classes("grow")
            )
            search = ui.button("Suchen", icon="search").props("no-caps")
        found = ui.column().classes("w-full").mark("log-found")
    with ui.card().classes("w-full"):
        card_title("Nach Herkunft (letzte 24 Stunden)", "account_tree")
        origins = ui.column().classes("w-full")

    def look_up() -> None:
        text = (wanted.value or "").strip()
        if not text:
            found.clear()
            return
        _entries(
            found,
            service.find(text),
            "Nichts gefunden",
            f"Kein Eintrag der letzten Zeit nennt „{text}“ (gesucht wird in diesem Serverprozess).",
        )

    search.on_click(look_up)
    wanted.on("keydown.enter", look_up)

    def refresh() -> None:
        summary = service.summary(NEWEST)
        _figures(figures, since, summary)
        _entries(
            errors, summary.newest_errors, "Keine Fehler", "Seit dem Start wurde kein Fehler protokolliert."
        )
        _entries(warnings, summary.newest_warnings, "Keine Warnungen", "Seit dem Start gab es keine Warnung.")
        _origins(origins, summary)

    refresh()
    ui.timer(view.web.settings.web.refresh_sec, refresh, immediate=False)


def _figures(figures: ui.row, since: ui.label, summary: LogSummary) -> None:
    figures.clear()
    with figures:
        figure("Fehler, letzte Stunde", de_int(summary.last_hour.errors))
        figure("Fehler, letzte 24 Stunden", de_int(summary.last_day.errors))
        figure("Warnungen, letzte Stunde", de_int(summary.last_hour.warnings))
        figure("Warnungen, letzte 24 Stunden", de_int(summary.last_day.warnings))
    if summary.collecting_since is None:
        since.set_text(
            "Dieser Prozess sammelt keine Protokolle (die Protokollierung ist nicht eingerichtet)."
        )
    else:
        since.set_text(
            f"Erfasst seit {de_datetime(summary.collecting_since)} in diesem Serverprozess; "
            "das vollständige Protokoll steht in der Ausgabe des Servers (JSON, eine Zeile je Eintrag). "
            f"Stand {de_datetime(summary.as_of)}."
        )


def _origins(origins: ui.column, summary: LogSummary) -> None:
    origins.clear()
    with origins:
        if not summary.by_logger:
            ui.label("In den letzten 24 Stunden gab es weder Fehler noch Warnungen.").classes("luna-muted")
            return
        columns = [
            {"name": "logger", "label": "Herkunft", "field": "logger", "align": "left"},
            {"name": "errors", "label": "Fehler", "field": "errors", "align": "right"},
            {"name": "warnings", "label": "Warnungen", "field": "warnings", "align": "right"},
        ]
        rows = [
            {"logger": e.logger, "errors": de_int(e.counts.errors), "warnings": de_int(e.counts.warnings)}
            for e in summary.by_logger
        ]
        table = ui.table(columns=columns, rows=rows, row_key="logger").props("flat dense").classes("w-full")
        table.add_slot("body-cell-logger", _MONO_SLOT)


def _entries(area: ui.column, records: Sequence[ProblemRecord], empty: str, text: str) -> None:
    area.clear()
    with area:
        if not records:
            empty_state(empty, text, "check_circle")
            return
        rows = []
        for number, record in enumerate(records):
            level, color = _LEVELS.get(record.level, (record.level, "grey-8"))
            rows.append(
                {
                    "key": number,
                    "at": record.at.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M:%S"),
                    "level": level,
                    "color": color,
                    "logger": record.logger,
                    "message": record.message,
                    "error": record.error or "",
                    "trace_id": record.trace_id or "–",
                }
            )
        table = (
            ui.table(columns=_ENTRY_COLUMNS, rows=rows, row_key="key")
            .props("flat dense wrap-cells")
            .classes("w-full")
        )
        table.add_slot("body-cell-level", _LEVEL_SLOT)
        table.add_slot("body-cell-message", _MESSAGE_SLOT)
        table.add_slot("body-cell-logger", _MONO_SLOT)
        table.add_slot("body-cell-trace_id", _MONO_SLOT)
