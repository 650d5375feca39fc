"""``/energy``: a meter's consumption (and PV production) over a window, and what Luna reads from them.

The meter, period, resolution and window live in the URL (``/energy?zaehler=…&zeitraum=7d&aufloesung=auto``
plus ``zurueck=N`` or ``von``/``bis``, see :mod:`luna.web.customer.meter_view_state`) so a reload or a
bookmark shows the same chart. "◀ früher" / "später ▶" step the window by its length, "Zeitraum
wählen" picks whole days. While live updates are on, the page looks at the span of the meter's
readings every ``web.refresh_sec`` and redraws when it grew, so a running simulator (or a real feed,
or a backfill) shows up as it writes. "Zähler verknüpfen" links another meter with the Freischaltcode
from the customer's bill (:mod:`luna.web.customer.meter_claim_dialog`) and shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from nicegui import ui

from luna.domain.energy import MeterInfo
from luna.domain.load_shift import FlexibleLoad
from luna.services.energy.insights import MAX_DAYS, MeterInsights
from luna.web.components.errors import failure_shown
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, say_address_ignored
from luna.web.customer.energy_chart_card import MeterChartCard
from luna.web.customer.energy_figures import insight_figures, profile_section
from luna.web.customer.meter_choice import (
    CUSTOM_PERIOD,
    PERIOD_CHOICES,
    RESOLUTION_NAMES,
    meter_label,
    meters_for,
)
from luna.web.customer.meter_claim_dialog import MeterClaimDialog
from luna.web.customer.meter_range_bar import RangeBar
from luna.web.customer.meter_view_state import (
    ViewState,
    Window,
    can_go_earlier,
    can_go_later,
    chart_window,
    empty_note,
    ignored_in_query,
    span_notes,
    state_from_query,
)
from luna.web.customer.meter_window import DayRange, berlin_today, days_of, insights_start

ROUTE = "/energy"
FLEXIBLE_LOAD = FlexibleLoad(kwh=2.0, hours=2.0)


@dataclass
class _Shown:
    """The meter on screen, the span of its readings when it was drawn, and the drawn window."""

    meter_id: str | None = None
    span: tuple[datetime | None, datetime | None] = (None, None)
    window: Window | None = None


@customer_page(ROUTE)
async def energy(view: CustomerView) -> None:
    own_meters = await in_thread(meters_for, view.web, view.user_id)
    if not own_meters:
        _no_meter_yet(view)
        return
    query = dict(ui.context.client.request.query_params)
    state = state_from_query(query, [meter.meter_id for meter in own_meters], berlin_today())
    say_address_ignored(ignored_in_query(query, state), state.url(ROUTE))
    page = _EnergyPage(view, own_meters, state)
    await page.load()
    ui.timer(view.web.settings.web.refresh_sec, page.tick, immediate=False)


def _no_meter_yet(view: CustomerView) -> None:
    """The empty state, with the way to link a meter right here; a linked meter opens the view."""
    claim = MeterClaimDialog(view)

    async def link() -> None:
        meter_id = await claim.ask()
        if meter_id is not None:
            ui.navigate.to(ViewState(meter_id).url(ROUTE))

    with ui.card().classes("w-full items-center"):
        empty_state(
            "Ihrem Konto ist noch kein Zähler zugeordnet",
            "Verknüpfen Sie Ihren Smart-Meter selbst mit der Zählernummer und dem Freischaltcode von Ihrer "
            "Stromrechnung, oder lassen Sie ihn von Ihrem Energieversorger verknüpfen; danach erscheinen "
            "Ihre Messwerte hier. Ihre Benutzer-ID dafür: " + view.user_id,
            "bolt",
        )
        ui.button("Zähler verknüpfen", icon="add_link", on_click=link).props("no-caps").mark("link-meter")


class _EnergyPage:
    """The controls, the chart card and the figures of one open page, and the state they show."""

    def __init__(self, view: CustomerView, meters: list[MeterInfo], state: ViewState) -> None:
        self._view, self._state, self._shown = view, state, _Shown()
        with ui.card().classes("w-full gap-3"):
            with ui.row().classes("w-full items-end gap-4"):
                self._meter = ui.select({m.meter_id: meter_label(m) for m in meters}, label="Zähler")
                self._meter.props("outlined").classes("w-full sm:w-[22rem]").mark("meter")
                link = ui.button("Zähler verknüpfen", icon="add_link", on_click=self._link_meter)
                link.props("flat no-caps").classes("self-center").mark("link-meter")
                self._period = ui.select(dict(PERIOD_CHOICES), label="Zeitraum")
                self._period.props("outlined").classes("min-w-[10rem]")
                self._resolution = ui.select(RESOLUTION_NAMES, label="Auflösung").props("outlined")
                self._resolution.classes("min-w-[10rem]")
                self._live = ui.switch("Live aktualisieren", value=True).mark("live")
            self._bar = RangeBar(self._earlier, self._later, self._pick_days)
        self._sync_controls()
        self._claim = MeterClaimDialog(view)
        self._card = MeterChartCard()
        with ui.card().classes("w-full"):
            card_title("Auswertung des Zeitraums", "insights")
            self._figures = ui.column().classes("w-full gap-4").mark("energy-insights")
        self._meter.on_value_change(self._meter_changed)
        self._period.on_value_change(self._period_changed)
        self._resolution.on_value_change(self._resolution_changed)

    async def load(self) -> None:
        """Read the meter's span and draw the window the state asks for."""
        chosen = self._state
        fresh = await in_thread(self._view.web.services.energy_data.meter, chosen.meter_id)
        self._shown = _Shown(fresh.meter_id, (fresh.first_ts, fresh.last_ts))
        if fresh.first_ts is None or fresh.last_ts is None:
            self._bar.show("", earlier=False, later=False)
            self._card.empty(fresh)
            self._figures.clear()
            return
        data = (fresh.first_ts, fresh.last_ts + timedelta(seconds=fresh.interval_s))
        window = self._shown.window = chart_window(chosen, data)
        self._bar.show(window.label, earlier=can_go_earlier(window, data), later=can_go_later(window, data))
        if not window.has_data:
            self._card.nothing_in(fresh, empty_note(window, data))
            self._figures.clear()
            with self._figures:
                ui.label("Ohne Messwerte im gewählten Zeitraum gibt es nichts auszuwerten.").classes(
                    "luna-muted"
                )
            return
        await self._card.draw(self._view, fresh, window, span_notes(window, data, chosen))
        await _draw_insights(self._view, fresh, window, self._figures)

    async def tick(self) -> None:
        if not self._live.value or self._shown.meter_id is None:
            return
        latest = await in_thread(self._view.web.services.energy_data.meter, self._shown.meter_id)
        if (latest.first_ts, latest.last_ts) != self._shown.span:
            await self.load()

    async def _go(self, state: ViewState) -> None:
        self._state = state
        self._sync_controls()
        ui.navigate.history.replace(state.url(ROUTE))
        await self.load()

    def _sync_controls(self) -> None:
        """The fields show the state; the change handlers see no change and do nothing."""
        self._meter.value = self._state.meter_id
        self._period.value = self._state.period
        self._resolution.value = self._state.resolution

    async def _meter_changed(self) -> None:
        if self._meter.value != self._state.meter_id:
            await self._go(self._state.with_meter(self._meter.value))

    async def _link_meter(self) -> None:
        """Another meter linked in the dialog joins the choice and is shown."""
        meter_id = await self._claim.ask()
        if meter_id is None:
            return
        linked_before = meter_id in self._meter.options
        meters = await in_thread(meters_for, self._view.web, self._view.user_id)
        self._meter.set_options({m.meter_id: meter_label(m) for m in meters})
        done = "war bereits" if linked_before else "ist jetzt"
        ui.notify(f"Zähler {meter_id} {done} mit Ihrem Konto verknüpft.", type="positive", position="top")
        await self._go(self._state.with_meter(meter_id))

    async def _period_changed(self) -> None:
        if self._period.value == self._state.period:
            return
        if self._period.value == CUSTOM_PERIOD:
            await self._pick_days()
        else:
            await self._go(self._state.with_period(self._period.value))

    async def _resolution_changed(self) -> None:
        if self._resolution.value != self._state.resolution:
            await self._go(replace(self._state, resolution=self._resolution.value))

    async def _earlier(self) -> None:
        await self._go(self._state.earlier())

    async def _later(self) -> None:
        await self._go(self._state.later(berlin_today()))

    async def _pick_days(self) -> None:
        today, window = berlin_today(), self._shown.window
        start_with = self._state.days or DayRange(today, today)
        if self._state.days is None and window is not None:
            start_with = days_of(window.requested_start, window.requested_end, today)
        days = await self._bar.pick(start_with)
        if days is None:
            self._sync_controls()  # "Eigener Zeitraum" chosen and cancelled: the field shows the state again
            return
        await self._go(self._state.with_days(days))


async def _draw_insights(view: CustomerView, meter: MeterInfo, window: Window, area: ui.column) -> None:
    start = insights_start(window.data_start, window.end, MAX_DAYS)
    with failure_shown(area, what="Die Auswertung") as attempt:
        result: MeterInsights = await in_thread(
            view.web.services.insights.insights,
            meter.meter_id,
            start,
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
