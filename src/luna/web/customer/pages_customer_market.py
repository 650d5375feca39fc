"""``/market``: what power costs the customer, quarter-hour by quarter-hour, and when it is cheapest.

Prices are shown as the customer pays them on a dynamic tariff (the exchange price plus the
surcharges of the ``energy`` settings, VAT on both), in ct/kWh throughout, with a line saying how that
price is made up, the exchange price under it (negative stretches red) and a "jetzt" line. Only prices
that exist are drawn: tomorrow's appear after the day-ahead auction (about 13:00). The table lists
today's (from now on) and tomorrow's cheapest window for a flexible load; past days are history, not
advice. The simulated markets are all the bidding zone Germany–Luxembourg, so the view shows one of
them and says so.

The period and the load's duration are kept in the URL, and the shown prices download as German CSV
(:mod:`luna.web.customer.market_export`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from nicegui import ui

from luna.domain.price_window import EndCustomerPrice, PriceWindow, cheapest_per_day, customer_ct_kwh
from luna.web.components.charts import price_chart
from luna.web.components.errors import failure_shown
from luna.web.components.formats import BERLIN, de_int, de_number, de_time
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure, say_address_ignored
from luna.web.customer.market_export import (
    LOAD_HOURS,
    ROUTE,
    SPANS,
    MarketState,
    csv_filename,
    ignored_in_query,
    price_csv,
    state_from_query,
)


@dataclass
class _Shown:
    """The prices on screen: what "CSV herunterladen" hands out."""

    start: datetime | None = None
    period: str = ""
    exchange: list[float] = field(default_factory=list)
    yours: list[float] = field(default_factory=list)


@customer_page(ROUTE)
async def market(view: CustomerView) -> None:
    market_name = next(iter(view.web.settings.sim.markets), None)
    if market_name is None:
        with ui.card().classes("w-full"):
            empty_state("Kein Markt eingerichtet", "Es ist kein Strommarkt konfiguriert.", "show_chart")
        return
    query = dict(ui.context.client.request.query_params)
    state = state_from_query(query)
    say_address_ignored(ignored_in_query(query, state), state.url())
    price: EndCustomerPrice = view.web.services.insights.end_customer_price
    shown = _Shown()
    with ui.card().classes("w-full"), ui.row().classes("w-full items-end gap-4"):
        span = ui.select({k: label for k, (label, _) in SPANS.items()}, label="Zeitraum", value=state.period)
        span.props("outlined").classes("w-full sm:w-[14rem]").mark("price-period")
        hours = ui.select(LOAD_HOURS, label="Laufzeit des Geräts", value=state.hours)
        hours.props("outlined").classes("w-full sm:w-[16rem]").mark("load-hours")
    with ui.card().classes("w-full"):
        with ui.row().classes("w-full items-center justify-between gap-2"):
            card_title("Strompreise", "show_chart")
            export = ui.button("CSV herunterladen", icon="download", on_click=lambda: _download(shown))
            export.props("flat dense no-caps").mark("price-csv")
        _introduction(price)
        chart = ui.echart({}).classes("w-full h-96").mark("price-chart")
        problem = ui.column().classes("w-full")
        numbers = ui.row().classes("w-full gap-8").mark("price-figures")
    with ui.card().classes("w-full"):
        card_title("Günstigste Zeitfenster heute und morgen", "savings")
        windows_area = ui.column().classes("w-full").mark("cheapest-windows")

    async def load() -> None:
        now = datetime.now(UTC)
        start, end = _span(span.value, now)
        problem.clear()
        with failure_shown(problem, what="Die Marktpreise") as attempt:
            _, prices = await in_thread(view.web.services.insights.quarter_hour_prices, start, end)
        if attempt.failed:
            return
        prices = _known(prices)
        numbers.clear()
        windows_area.clear()
        shown.start, shown.period, shown.exchange, shown.yours = start, span.value, prices, []
        if not prices:
            chart.visible = False
            with problem:
                empty_state(
                    "Noch keine Preise", "Für diesen Zeitraum liegen keine Day-Ahead-Preise vor.", "schedule"
                )
            return
        today = now.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
        windows = [
            w
            for w in cheapest_per_day(start, prices, float(hours.value), price, not_before=now, zone=BERLIN)
            if w.start >= today
        ]
        yours = [math.nan if math.isnan(p) else customer_ct_kwh(p, price) for p in prices]
        shown.yours = yours
        exchange = [p / 10 for p in prices]
        chart.visible = True
        chart.options.clear()
        chart.options.update(price_chart(start, yours, exchange, [(w.start, w.end) for w in windows], now))
        chart.update()
        with numbers:
            _price_figures(start, now, yours, prices)
        with windows_area:
            _windows_table(windows, yours, start)

    async def changed() -> None:
        ui.navigate.history.replace(MarketState(span.value, hours.value).url())
        await load()

    for control in (span, hours):
        control.on_value_change(changed)
    await load()


def _introduction(price: EndCustomerPrice) -> None:
    """What the chart shows, and how the customer's price is made up from the exchange price."""
    ui.label(
        "Day-Ahead-Preise der Gebotszone Deutschland-Luxemburg als Preis mit dynamischem Tarif in "
        "ct/kWh, darunter der reine Börsenpreis; negative Börsenpreise "
        "erscheinen rot, die günstigsten Zeitfenster grün. Die Preise für morgen erscheinen nach der "
        "Auktion gegen 13 Uhr."
    ).classes("text-sm luna-muted")
    with ui.column().classes("w-full gap-0").mark("price-composition"):
        ui.label(price.explanation()).classes("text-sm font-medium")
        if price.breakdown():
            ui.label(price.breakdown()).classes("text-xs luna-muted")


def _download(shown: _Shown) -> None:
    if shown.start is not None and shown.yours:
        data = price_csv(shown.start, shown.exchange, shown.yours)
        ui.download(data, csv_filename(shown.start, shown.period), "text/csv")


def _span(key: str, now: datetime) -> tuple[datetime, datetime]:
    """From the first shown day's Berlin midnight to the end of tomorrow (prices beyond are unknown)."""
    today = now.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=SPANS[key][1]), today + timedelta(days=2)


def _known(prices: list[float]) -> list[float]:
    """The prices without the unknown tail (tomorrow before the auction): no empty stretch is drawn."""
    last = max((i for i, price in enumerate(prices) if not math.isnan(price)), default=-1)
    return prices[: last + 1]


def _price_figures(start: datetime, now: datetime, yours: Sequence[float], exchange: Sequence[float]) -> None:
    known = [p for p in yours if not math.isnan(p)]
    at = int((now - start) / timedelta(minutes=15))
    if 0 <= at < len(yours) and not math.isnan(yours[at]):
        figure("Jetzt", f"{de_number(yours[at], 1)} ct/kWh", "Ihr Preis mit dynamischem Tarif")
    figure("Durchschnitt", f"{de_number(sum(known) / len(known), 1)} ct/kWh", "im Zeitraum")
    figure("Niedrigster Preis", f"{de_number(min(known), 1)} ct/kWh")
    figure("Höchster Preis", f"{de_number(max(known), 1)} ct/kWh")
    negative = sum(1 for p in exchange if p < 0)
    figure(
        "Negative Börsenpreise",
        f"{de_int(negative)} {'Viertelstunde' if negative == 1 else 'Viertelstunden'}",
        "Strom kostete an der Börse weniger als nichts" if negative else "keine im Zeitraum",
    )


def _windows_table(windows: Sequence[PriceWindow], yours: Sequence[float], start: datetime) -> None:
    if not windows:
        empty_state(
            "Kein Zeitfenster mehr",
            "Für den Rest von heute und für morgen fehlen (noch) Preise für ein ganzes Zeitfenster.",
            "savings",
        )
        return
    today = datetime.now(BERLIN).date()
    rows = []
    for window in windows:
        day = window.start.astimezone(BERLIN).date()
        rows.append(
            {
                "day": ("heute" if day == today else "morgen") + f", {day:%d.%m.}",
                "window": f"{de_time(window.start)}–{de_time(window.end)} Uhr",
                "price": f"{de_number(window.customer_ct_kwh, 1)} ct/kWh",
                "mean": f"{de_number(_day_mean(yours, start, window.start), 1)} ct/kWh",
            }
        )
    columns = [
        {"name": "day", "label": "Tag", "field": "day", "align": "left"},
        # Short headers under the card's title ("Günstigste Zeitfenster …"), and a soft hyphen: on a
        # phone the long ones pushed the last column out of the card.
        {"name": "window", "label": "Zeitfenster", "field": "window", "align": "left"},
        {"name": "price", "label": "Ihr Preis (Ø)", "field": "price", "align": "right"},
        {"name": "mean", "label": "Tages\u00addurchschnitt", "field": "mean", "align": "right"},
    ]
    # Cells wrap on a phone instead of scrolling sideways in a region the keyboard cannot reach.
    ui.table(columns=columns, rows=rows, row_key="day").classes("w-full").props("flat dense wrap-cells")


def _day_mean(yours: Sequence[float], start: datetime, instant: datetime) -> float:
    """The mean known price of the Berlin day ``instant`` falls on."""
    midnight = instant.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    first = max(0, int((midnight - start) / timedelta(minutes=15)))
    last = int((midnight + timedelta(days=1) - start) / timedelta(minutes=15))
    known = [p for p in yours[first:last] if not math.isnan(p)]
    return sum(known) / len(known)
