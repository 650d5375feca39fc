"""``/energy``: a meter's consumption (and PV production) over a period, and what Luna reads from them.

The meter, period and resolution live in the URL (``/energy?zaehler=…&zeitraum=7d&aufloesung=auto``)
so a reload or a bookmark shows the same chart. While live updates are on, the page looks at the span
of the meter's readings every ``web.refresh_sec`` and redraws when it grew, so a running simulator (or
a real feed, or a backfill) shows up as it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nicegui import ui

from luna.domain.energy import MeterInfo
from luna.domain.load_shift import FlexibleLoad
from luna.services.energy.insights import MeterInsights
from luna.web.components.errors import failure_shown
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state
from luna.web.customer.energy_chart_card import MeterChartCard
from luna.web.customer.energy_figures import insight_figures, profile_section
from luna.web.customer.meter_choice import PERIODS, RESOLUTION_NAMES, meter_label, meters_for
from luna.web.customer.meter_view_state import ViewState, Window, chart_window, span_note, state_from_query

ROUTE = "/energy"
FLEXIBLE_LOAD = FlexibleLoad(kwh=2.0, hours=2.0)


@dataclass
class _Shown:
    """The meter on screen and the span of its readings when it was drawn."""

    meter_id: str | None = None
    span: tuple[datetime | None, datetime | None] = (None, None)


@customer_page(ROUTE)
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
    query = dict(ui.context.client.request.query_params)
    state = state_from_query(query, list(meters))
    with ui.card().classes("w-full"), ui.row().classes("w-full items-end gap-4"):
        meter = ui.select(
            {m.meter_id: meter_label(m) for m in own_meters}, label="Zähler", value=state.meter_id
        )
        meter.props("outlined").classes("w-full sm:w-[22rem]").mark("meter")
        period = ui.select(
            {k: label for k, (label, _) in PERIODS.items()}, label="Zeitraum", value=state.period
        )
        period.props("outlined").classes("min-w-[10rem]")
        resolution = ui.select(RESOLUTION_NAMES, label="Auflösung", value=state.resolution).props("outlined")
        resolution.classes("min-w-[10rem]")
        live = ui.switch("Live aktualisieren", value=True).mark("live")
    card = MeterChartCard()
    with ui.card().classes("w-full"):
        card_title("Auswertung des Zeitraums", "insights")
        figures = ui.column().classes("w-full gap-4").mark("energy-insights")
    shown = _Shown()

    async def load() -> None:
        chosen = ViewState(meter.value, period.value, resolution.value)
        fresh = await in_thread(view.web.services.energy_data.meter, chosen.meter_id)
        shown.meter_id, shown.span = fresh.meter_id, (fresh.first_ts, fresh.last_ts)
        if fresh.first_ts is None or fresh.last_ts is None:
            card.empty(fresh)
            figures.clear()
            return
        data = (fresh.first_ts, fresh.last_ts + timedelta(seconds=fresh.interval_s))
        window = chart_window(chosen.period, chosen.resolution, data)
        note = span_note(window, data, chosen.period)
        await card.draw(view, fresh, window, [note] if note else [])
        await _draw_insights(view, fresh, window, figures)

    async def changed() -> None:
        ui.navigate.history.replace(ViewState(meter.value, period.value, resolution.value).url(ROUTE))
        await load()

    async def tick() -> None:
        if not live.value or shown.meter_id is None:
            return
        latest = await in_thread(view.web.services.energy_data.meter, shown.meter_id)
        if (latest.first_ts, latest.last_ts) != shown.span:
            await load()

    for control in (meter, period, resolution):
        control.on_value_change(changed)
    await load()
    ui.timer(view.web.settings.web.refresh_sec, tick)


async def _draw_insights(view: CustomerView, meter: MeterInfo, window: Window, area: ui.column) -> None:
    with failure_shown(area, what="Die Auswertung") as attempt:
        result: MeterInsights = await in_thread(
            view.web.services.insights.insights,
            meter.meter_id,
            max(window.start, meter.first_ts or window.start),  # a bar may begin before the data
            window.end,
            market=None,
            load=FLEXIBLE_LOAD,
        )
    if attempt.failed:
        return
    area.clear()
    with area:
        insight_figures(result, meter.has_pv)
        profile_section(result, meter)
