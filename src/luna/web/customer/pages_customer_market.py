"""``/market``: day-ahead prices (BASE and PEAK) with negative prices in red and each day's cheapest
window for a flexible load (from the insights of the customer's meter) shaded green."""

from __future__ import annotations

from datetime import datetime, timedelta

from nicegui import ui

from luna.domain.errors import NotFound
from luna.domain.load_shift import DayShift, FlexibleLoad
from luna.services.energy.energy_data import Series
from luna.web.components.charts import price_chart
from luna.web.components.errors import failure_shown
from luna.web.components.formats import BERLIN, de_eur, de_int, de_number, de_time
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure
from luna.web.customer.meter_choice import PERIODS, meters_for, period_ending

LOAD_HOURS = {1: "1 Stunde", 2: "2 Stunden", 3: "3 Stunden", 4: "4 Stunden"}
#: Energy of the flexible load whose cheapest window is shaded (a dishwasher run, a short car charge).
LOAD_KWH = 2.0


@customer_page("/market")
async def market(view: CustomerView) -> None:
    markets = list(view.web.settings.sim.markets)
    if not markets:
        with ui.card().classes("w-full"):
            empty_state("Kein Markt eingerichtet", "Es ist kein Strommarkt konfiguriert.", "show_chart")
        return
    own_meters = await in_thread(meters_for, view.web, view.user_id)
    with ui.card().classes("w-full"), ui.row().classes("w-full items-end gap-4"):
        market_field = (
            ui.select(markets, label="Markt", value=markets[0]).props("outlined").classes("min-w-[10rem]")
        )
        period = ui.select({k: label for k, (label, _) in PERIODS.items() if k != "365d"}, label="Zeitraum")
        period.props("outlined").classes("min-w-[10rem]").set_value("7d")
        hours = ui.select(LOAD_HOURS, label="Dauer des flexiblen Verbrauchers", value=2).props("outlined")
        hours.classes("min-w-[16rem]")
    with ui.card().classes("w-full"):
        card_title("Day-Ahead-Preise", "show_chart")
        ui.label(
            "BASE: alle Stunden; PEAK: werktags 8 bis 20 Uhr. Negative Preise erscheinen rot unter der "
            "Nulllinie, die günstigsten Zeitfenster grün hinterlegt."
        ).classes("text-sm luna-muted")
        chart = ui.echart(price_chart(None, None)).classes("w-full h-96").mark("price-chart")
        problem = ui.column().classes("w-full")
        numbers = ui.row().classes("w-full gap-8").mark("price-figures")
    with ui.card().classes("w-full"):
        card_title("Günstigste Zeitfenster", "savings")
        windows_area = ui.column().classes("w-full").mark("cheapest-windows")

    async def load() -> None:
        start, end = period_ending(_end_of_tomorrow(), period.value)
        problem.clear()
        with failure_shown(problem, what="Die Marktpreise") as attempt:
            base = await _series(view, market_field.value, "BASE", start, end)
            peak = await _series(view, market_field.value, "PEAK", start, end)
        if attempt.failed:
            chart.visible = False
            return
        if base is None:
            chart.visible = False
            numbers.clear()
            windows_area.clear()
            with problem:
                empty_state(
                    "Noch keine Preise",
                    f"Für {market_field.value} liegen noch keine Day-Ahead-Preise vor.",
                    "show_chart",
                )
            return
        meter_id = own_meters[0].meter_id if own_meters else None
        days = await _cheapest(view, meter_id, market_field.value, (start, end), hours.value)
        chart.visible = True
        chart.options.clear()
        chart.options.update(price_chart(base, peak, [(d.cheapest_start, d.cheapest_end) for d in days]))
        chart.update()
        numbers.clear()
        with numbers:
            _price_figures(base)
        windows_area.clear()
        with windows_area:
            _windows_table(days, has_meter=bool(own_meters))

    for control in (market_field, period, hours):
        control.on_value_change(load)
    await load()


async def _series(
    view: CustomerView, market: str, product: str, start: datetime, end: datetime
) -> Series | None:
    try:
        _, _, series = await in_thread(
            view.web.services.energy_data.market_series, market, product, start, end, "auto"
        )
    except NotFound:
        return None
    return series


async def _cheapest(
    view: CustomerView, meter_id: str | None, market: str, span: tuple[datetime, datetime], hours: int
) -> tuple[DayShift, ...]:
    """Each full day's cheapest window for the flexible load, from the insights of the customer's meter."""
    if meter_id is None:
        return ()
    load = FlexibleLoad(kwh=LOAD_KWH, hours=float(hours))
    try:
        result = await in_thread(
            view.web.services.insights.insights, meter_id, *span, market=market, load=load
        )
    except Exception:
        return ()
    shift = result.insights.load_shift
    return shift.days if shift is not None else ()


def _price_figures(base: Series) -> None:
    column = base.columns.index("price_eur_mwh" if base.resolution == "raw" else "price_eur_mwh_avg")
    prices = [float(row[column]) for row in base.rows if row[column] is not None]
    if not prices:
        return
    negative = sum(1 for price in prices if price < 0)
    figure("Durchschnitt BASE", f"{de_number(sum(prices) / len(prices), 2)} €/MWh")
    figure("Niedrigster Preis", f"{de_number(min(prices), 2)} €/MWh")
    figure("Höchster Preis", f"{de_number(max(prices), 2)} €/MWh")
    figure(
        "Perioden mit negativem Preis",
        de_int(negative),
        "Strom kostete weniger als nichts" if negative else "keine im Zeitraum",
    )


def _windows_table(days: tuple[DayShift, ...], *, has_meter: bool) -> None:
    if not days:
        empty_state(
            "Keine Zeitfenster berechnet",
            "Für ganze Tage mit Preisen zu jeder Stunde berechnet Luna das günstigste Zeitfenster"
            + ("." if has_meter else "; dafür braucht sie Messwerte eines Zählers."),
            "savings",
        )
        return
    rows = [
        {
            "day": f"{day.day:%d.%m.%Y}",
            "window": f"{de_time(day.cheapest_start)}–{de_time(day.cheapest_end)} Uhr",
            "price": f"{de_number(day.cheapest_price_eur_mwh / 10, 1)} ct/kWh",
            "usual": f"{de_number(day.usual_price_eur_mwh / 10, 1)} ct/kWh",
            "saving": de_eur(day.saving_eur),
        }
        for day in days
    ]
    columns = [
        {"name": "day", "label": "Tag", "field": "day", "align": "left"},
        {"name": "window", "label": "Günstigstes Fenster", "field": "window", "align": "left"},
        {"name": "price", "label": "Börsenpreis dann", "field": "price", "align": "right"},
        {"name": "usual", "label": "zur üblichen Zeit", "field": "usual", "align": "right"},
        {
            "name": "saving",
            "label": f"Ersparnis je {de_number(LOAD_KWH, 0)} kWh",
            "field": "saving",
            "align": "right",
        },
    ]
    ui.table(columns=columns, rows=rows, row_key="day").classes("w-full").props("flat dense")


def _end_of_tomorrow() -> datetime:
    """Day-ahead prices are published for tomorrow: the period ends at the end of tomorrow (Berlin)."""
    today = datetime.now(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=2)).astimezone(BERLIN)
