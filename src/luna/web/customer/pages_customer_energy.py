"""``/energy``: a meter's consumption and PV production over a period, and what Luna reads from them.

The chart reads the store's rollups through the energy-data service (``auto`` picks the finest
resolution that fits the point limit), never millions of raw rows. While live updates are on, the
page looks at the span of the meter's readings every ``web.refresh_sec`` and redraws when it grew,
so a running simulator (or a real feed, or a backfill) shows up as it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nicegui import ui

from luna.domain.energy import MeterInfo
from luna.domain.errors import InvalidInput
from luna.domain.load_shift import FlexibleLoad
from luna.services.energy.energy_data import Series
from luna.services.energy.insights import MeterInsights
from luna.web.components.charts import hourly_profile_chart, meter_chart
from luna.web.components.errors import failure_shown
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state
from luna.web.customer.energy_figures import insight_figures
from luna.web.customer.meter_choice import PERIODS, RESOLUTION_NAMES, meter_label, meters_for, period_ending

FLEXIBLE_LOAD = FlexibleLoad(kwh=2.0, hours=2.0)


@dataclass
class _Shown:
    """The meter on screen and the span of its readings when it was drawn."""

    meter_id: str | None = None
    span: tuple[datetime | None, datetime | None] = (None, None)


@customer_page("/energy")
async def energy(view: CustomerView) -> None:
    own_meters = await in_thread(meters_for, view.web, view.user_id)
    if not own_meters:
        with ui.card().classes("w-full"):
            empty_state(
                "Ihrem Konto ist noch kein Zähler zugeordnet",
                "Ihr Energieversorger verknüpft Ihren Smart-Meter mit Ihrem Konto; danach erscheinen "
                "Ihre Messwerte hier. Ihre Benutzer-ID dafür: " + view.user_id,
                "bolt",
            )
        return
    meters = {meter.meter_id: meter for meter in own_meters}
    with ui.card().classes("w-full"), ui.row().classes("w-full items-end gap-4"):
        meter = (
            ui.select(
                {m.meter_id: meter_label(m) for m in own_meters},
                label="Zähler",
                value=own_meters[0].meter_id,
            )
            .props("outlined")
            .classes("min-w-[22rem]")
            .mark("meter")
        )
        period = ui.select({k: label for k, (label, _) in PERIODS.items()}, label="Zeitraum", value="7d")
        period.props("outlined").classes("min-w-[10rem]")
        resolution = ui.select(RESOLUTION_NAMES, label="Auflösung", value="auto").props("outlined")
        resolution.classes("min-w-[10rem]")
        live = ui.switch("Live aktualisieren", value=True).mark("live")
    with ui.card().classes("w-full"):
        card_title("Verbrauch und PV-Erzeugung", "bolt")
        caption = ui.label().classes("text-sm luna-muted").props('role="status"')
        chart = ui.echart(meter_chart(_no_series())).classes("w-full h-96").mark("meter-chart")
        chart_problem = ui.column().classes("w-full")
    with ui.card().classes("w-full"):
        card_title("Auswertung des Zeitraums", "insights")
        figures = ui.column().classes("w-full gap-4").mark("energy-insights")
    shown = _Shown()

    async def load() -> None:
        chosen = meters[meter.value]
        fresh = await in_thread(view.web.services.energy_data.meter, chosen.meter_id)
        shown.meter_id, shown.span = fresh.meter_id, (fresh.first_ts, fresh.last_ts)
        chart_problem.clear()
        if fresh.last_ts is None:
            chart.visible = False
            caption.set_text("")
            with chart_problem:
                empty_state("Keine Messwerte", "Für diesen Zähler liegen noch keine Messwerte vor.", "bolt")
            figures.clear()
            return
        start, end = period_ending(fresh.last_ts + timedelta(seconds=fresh.interval_s), period.value)
        if fresh.first_ts is not None:
            start = max(start, fresh.first_ts)  # before the first reading there is nothing to miss
        await _draw_series(view, fresh, start, end, resolution.value, chart, caption, chart_problem)
        await _draw_insights(view, fresh, start, end, figures)

    async def tick() -> None:
        if not live.value or shown.meter_id is None:
            return
        latest = await in_thread(view.web.services.energy_data.meter, shown.meter_id)
        if (latest.first_ts, latest.last_ts) != shown.span:
            await load()

    for control in (meter, period, resolution):
        control.on_value_change(load)
    await load()
    ui.timer(view.web.settings.web.refresh_sec, tick)


async def _draw_series(
    view: CustomerView,
    meter: MeterInfo,
    start: datetime,
    end: datetime,
    resolution: Any,
    chart: ui.echart,
    caption: ui.label,
    problem: ui.column,
) -> None:
    with failure_shown(problem, what="Die Messwerte") as attempt:
        try:
            series = await in_thread(
                view.web.services.energy_data.meter_series, meter.meter_id, start, end, resolution
            )
        except InvalidInput as error:
            chart.visible = False
            suggested = RESOLUTION_NAMES.get(str(error.details.get("suggested_resolution")))
            with problem:
                empty_state(
                    "Zu viele Messpunkte",
                    f"Wählen Sie die Auflösung „{suggested}“ oder einen kürzeren Zeitraum."
                    if suggested
                    else "Wählen Sie einen kürzeren Zeitraum.",
                    "zoom_out_map",
                )
            return
    if attempt.failed:
        chart.visible = False
        return
    chart.visible = True
    chart.options.clear()
    chart.options.update(meter_chart(series))
    chart.update()
    caption.set_text(f"{len(series.rows)} Werte, Auflösung: {RESOLUTION_NAMES[series.resolution]}")


async def _draw_insights(
    view: CustomerView, meter: MeterInfo, start: datetime, end: datetime, area: ui.column
) -> None:
    with failure_shown(area, what="Die Auswertung") as attempt:
        result: MeterInsights = await in_thread(
            view.web.services.insights.insights, meter.meter_id, start, end, market=None, load=FLEXIBLE_LOAD
        )
    if attempt.failed:
        return
    area.clear()
    with area:
        insight_figures(result)
        hours = result.insights
        if any(value is not None for value in hours.consumption_kw_by_hour):
            ui.label("Typischer Tagesverlauf (Mittel je Stunde)").classes("font-medium")
            chart = hourly_profile_chart(hours.consumption_kw_by_hour, hours.production_kw_by_hour)
            ui.echart(chart).classes("w-full h-64").mark("hourly-profile")


def _no_series() -> Series:
    now = datetime.fromtimestamp(0)
    return Series("raw", now, now, ("ts", "consumption_kw", "production_kw"), [])
