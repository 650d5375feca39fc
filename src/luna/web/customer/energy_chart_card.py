"""The Smart-Meter view's chart card: power as a line or energy as bars, what it shows said in words,
and the shown series (the window on screen, nothing else) as CSV.

The chart reads the store's rollups through the energy-data service, never millions of raw rows.
Energy bars are summed from hourly rollups per Europe/Berlin hour, day or month
(:mod:`luna.domain.energy_calendar`), because the store's day rollups are UTC days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nicegui import ui

from luna.domain.energy import MeterInfo, Resolution
from luna.domain.energy_calendar import HourRow, energy_bars
from luna.domain.errors import InvalidInput
from luna.services.energy.energy_data import Series
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_count
from luna.web.components.layout import CustomerView
from luna.web.components.meter_charts import MeterPlot, meter_chart
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state
from luna.web.customer.meter_choice import RESOLUTION_NAMES
from luna.web.customer.meter_csv import meter_csv, meter_csv_name
from luna.web.customer.meter_view_state import Window

#: Resolutions drawn as a power line, as the store names them.
_LINES: dict[str, Resolution] = {"raw": "raw", "15m": "15m"}
_UNIT_WORDS = {"hour": "Stunde", "day": "Tag", "month": "Monat"}
_PARTIAL_NOTE = (
    "Heller gezeichnete Balken sind unvollständig: für sie liegen noch nicht alle Messwerte vor "
    "(die Beschriftung sagt, ab oder bis wann)."
)


class MeterChartCard:
    """The card; :meth:`draw` fills it for one meter and window, :meth:`empty` says there is no data."""

    def __init__(self) -> None:
        self._plot: MeterPlot | None = None
        self._meter_id = ""
        self._file_name = ""
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center justify-between gap-2"):
                self._title = ui.row()
                self._export = ui.button("CSV herunterladen", icon="download", on_click=self._download)
                self._export.props("flat dense no-caps").mark("meter-csv")
            self._caption = ui.label().classes("text-sm luna-muted").props('role="status"')
            self._notes = ui.column().classes("w-full gap-0").mark("meter-notes")
            self._chart_area = ui.column().classes("w-full")
            self._chart: ui.echart | None = None
            self._problem = ui.column().classes("w-full")

    def empty(self, meter: MeterInfo) -> None:
        self._show(meter, None)
        self._caption.set_text("")
        with self._problem:
            empty_state("Keine Messwerte", "Für diesen Zähler liegen noch keine Messwerte vor.", "bolt")

    def nothing_in(self, meter: MeterInfo, text: str) -> None:
        """The chosen window holds no readings: ``text`` says so, and where there are some."""
        self._show(meter, None)
        self._caption.set_text("")
        with self._problem:
            empty_state("Keine Messwerte in diesem Zeitraum", text, "event_busy")

    async def draw(self, view: CustomerView, meter: MeterInfo, window: Window, notes: list[str]) -> None:
        """Read and draw ``window`` at its resolution; too many points or a failure say so instead."""
        self._show(meter, None)
        with failure_shown(self._problem, what="Die Messwerte") as attempt:
            try:
                plot = await in_thread(_read_plot, view, meter, window)
            except InvalidInput as error:
                self._too_many(error)
                return
        if attempt.failed:
            return
        self._show(meter, plot)
        self._file_name = meter_csv_name(meter.meter_id, window.requested_start, window.requested_end)
        self._paint(meter_chart(plot))
        self._caption.set_text(_caption(plot, window))
        if plot.unit is not None and any(bar.partial for bar in plot.bars):
            notes = [*notes, _PARTIAL_NOTE]
        with self._notes:
            for note in notes:
                ui.label(note).classes("text-sm")

    def _show(self, meter: MeterInfo, plot: MeterPlot | None) -> None:
        self._plot, self._meter_id = plot, meter.meter_id
        self._title.clear()
        with self._title:
            card_title("Verbrauch und PV-Erzeugung" if meter.has_pv else "Verbrauch", "bolt")
        self._notes.clear()
        self._problem.clear()
        self._chart_area.visible = self._export.visible = plot is not None

    def _paint(self, options: dict[str, Any]) -> None:
        """Update the chart in place (no flicker on a live update) where only the data changed;
        draw a new one where its frame changed, because ECharts merges options and would keep a
        zoom slider or an axis type the new chart does not have."""
        chart = self._chart
        if chart is not None and same_frame(chart.options, options):
            chart.options.clear()
            chart.options.update(options)
            chart.update()
            return
        self._chart_area.clear()
        with self._chart_area:
            self._chart = ui.echart(options).classes("w-full h-96").mark("meter-chart")

    def _too_many(self, error: InvalidInput) -> None:
        suggested = RESOLUTION_NAMES.get(str(error.details.get("suggested_resolution")))
        with self._problem:
            empty_state(
                "Zu viele Messpunkte",
                f"Wählen Sie die Auflösung „{suggested}“ oder einen kürzeren Zeitraum."
                if suggested
                else "Wählen Sie einen kürzeren Zeitraum.",
                "zoom_out_map",
            )

    def _download(self) -> None:
        if self._plot is not None:
            ui.download(meter_csv(self._plot), self._file_name, "text/csv")


def same_frame(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """The two chart options have the same parts (zoom, grid, …) and the same kind of x axis, so
    merging the new ones into the drawn chart shows exactly the new chart."""
    return set(old) == set(new) and _axis_type(old) == _axis_type(new)


def _axis_type(options: Mapping[str, Any]) -> object:
    axis = options.get("xAxis")
    return axis.get("type") if isinstance(axis, Mapping) else None


def _read_plot(view: CustomerView, meter: MeterInfo, window: Window) -> MeterPlot:
    """The plot of ``window`` (blocking: call in a thread)."""
    data = view.web.services.energy_data
    unit = window.bar_unit
    if unit is None:
        series = data.meter_series(meter.meter_id, window.start, window.end, _LINES[window.resolution])
        return MeterPlot(has_pv=meter.has_pv, series=series)
    hourly = data.meter_series(meter.meter_id, window.start, window.end, "1h")
    # Bars are marked partial where the readings in the window begin or end inside them.
    bars = energy_bars(_hour_rows(hourly), unit, window.start, window.end, (window.data_start, window.end))
    return MeterPlot(has_pv=meter.has_pv, unit=unit, bars=bars)


def _hour_rows(series: Series) -> list[HourRow]:
    at = series.columns.index
    ts, consumption, production = at("ts"), at("consumption_kwh"), at("production_kwh")
    return [(row[ts], row[consumption], row[production]) for row in series.rows]


def _caption(plot: MeterPlot, window: Window) -> str:
    count = len(plot.bars) if plot.unit is not None else len(plot.series.rows) if plot.series else 0
    what = f"Energie in kWh je {_UNIT_WORDS[plot.unit]}" if plot.unit is not None else "Leistung in kW"
    chosen = RESOLUTION_NAMES[window.resolution] + (" (automatisch gewählt)" if window.automatic else "")
    return f"{de_count(count, 'Wert', 'Werte')}, Auflösung: {chosen} · {what}"
