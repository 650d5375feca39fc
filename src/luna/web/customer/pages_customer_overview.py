"""``/``: the customer's home — how am I doing today? Consumption and cost today and this month, PV
and self-consumption where there is PV, the price now and the cheapest window ahead, and the one
piece of advice worth the most. Operator facts (versions, component health, document counts) are on
the admin side."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from luna.domain.insights import Insights
from luna.services.energy.home import WINDOW_HOURS, HomeSummary
from luna.web.components.errors import failure_shown
from luna.web.components.formats import BERLIN, de_eur, de_number, de_percent, de_time
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure, loading
from luna.web.customer.meter_choice import meter_label


@customer_page("/")
async def overview(view: CustomerView) -> None:
    area = ui.column().classes("w-full gap-4")
    with area:
        loading("Ihre Werte werden geladen …")

    async def refresh() -> None:
        with failure_shown(area, what="Ihre Übersicht") as attempt:
            summary = await in_thread(view.web.services.home.summary, view.user_id)
        if attempt.failed:
            return
        area.clear()
        with area:
            _home(summary)

    await refresh()
    ui.timer(view.web.settings.web.refresh_sec * 10, refresh, immediate=False)


def _home(summary: HomeSummary) -> None:
    with ui.row().classes("w-full gap-4 items-stretch"):
        if summary.meter is None:
            with ui.card().classes("grow basis-[36rem]").mark("home-no-meter"):
                card_title("Ihr Verbrauch", "bolt")
                empty_state(
                    "Ihrem Konto ist noch kein Zähler zugeordnet",
                    "Verknüpfen Sie Ihren Smart Meter unter „Smart-Meter“ mit Zählernummer und "
                    "Freischaltcode (Ihr Energieversorger teilt ihn mit, etwa auf der Rechnung) oder lassen "
                    "Sie ihn verbinden. Dann sehen Sie hier Ihren Verbrauch und Ihre Kosten von heute und "
                    "diesem Monat.",
                    "electric_meter",
                )
        else:
            _period_card("Heute", "today", summary.today, summary)
            _period_card("Dieser Monat", "calendar_month", summary.month, summary)
        _price_card(summary)
    _advice_card(summary)


def _period_card(title: str, icon: str, insights: Insights | None, summary: HomeSummary) -> None:
    with ui.card().classes("grow basis-80").mark("home-period"):
        card_title(title, icon)
        if insights is None or insights.coverage.energy_intervals == 0:
            empty_state(
                "Noch keine Messwerte",
                "Für diesen Zeitraum liegen noch keine Messwerte vor.",
                "hourglass_empty",
            )
            return
        energy = insights.energy
        with ui.row().classes("gap-6"):
            figure("Verbrauch", f"{de_number(energy.consumption_kwh, 1)} kWh")
            if insights.cost is not None:
                has_pv = summary.meter is not None and summary.meter.has_pv
                # What the costs would be on a dynamic tariff: Luna does not know the customer's own.
                tariff = "bei dynamischem Tarif, abzüglich Einspeisung" if has_pv else "bei dynamischem Tarif"
                figure("Kosten", de_eur(insights.cost.dynamic_eur), tariff)
            if summary.meter is not None and summary.meter.has_pv:
                share = energy.self_consumption_share
                own = f"{de_percent(share)} selbst verbraucht" if share is not None else None
                figure("PV-Erzeugung", f"{de_number(energy.production_kwh, 1)} kWh", own)
        coverage = insights.coverage
        if coverage.energy_intervals < coverage.intervals:
            ui.label(
                f"Messwerte für {de_percent(coverage.energy_intervals / coverage.intervals)} des Zeitraums."
            ).classes("text-xs luna-muted")
        assert summary.meter is not None
        ui.label(f"Zähler {meter_label(summary.meter)}").classes("text-xs luna-muted")
        if summary.more_meters and insights is summary.month:  # one meter's figures; the others a click away
            others = (
                "1 weiterer Zähler" if summary.more_meters == 1 else f"{summary.more_meters} weitere Zähler"
            )
            ui.link(f"{others} unter „Smart-Meter“", "/energy").classes("text-xs").mark("home-more-meters")


def _price_card(summary: HomeSummary) -> None:
    with ui.card().classes("grow basis-80").mark("home-price"):
        card_title("Strompreis", "euro")
        if summary.price_now_ct_kwh is None and summary.cheapest is None:
            empty_state(
                "Noch keine Preise", "Die Day-Ahead-Preise für die nächsten Stunden fehlen noch.", "schedule"
            )
            return
        with ui.row().classes("gap-6"):
            if summary.price_now_ct_kwh is not None:
                figure("Jetzt", f"{de_number(summary.price_now_ct_kwh, 1)} ct/kWh", "mit dynamischem Tarif")
            window = summary.cheapest
            if window is not None:
                figure(
                    f"Günstigste {de_number(WINDOW_HOURS)} Stunden",
                    f"{de_time(window.start)}–{de_time(window.end)} Uhr",
                    f"{_day(window.start)} · Ø {de_number(window.customer_ct_kwh, 1)} ct/kWh",
                )
        ui.link("Preisverlauf ansehen", "/market").classes("text-sm")


def _day(start: datetime) -> str:
    """ "heute" or "morgen" for the window's start, as a customer says it."""
    today = datetime.now(BERLIN).date()
    day = start.astimezone(BERLIN).date()
    return "heute" if day == today else ("morgen" if (day - today).days == 1 else f"{day:%d.%m.}")


def _advice_card(summary: HomeSummary) -> None:
    with ui.card().classes("w-full").mark("home-advice"):
        card_title("Ihre Empfehlung", "tips_and_updates")
        advice = summary.advice
        if advice is None:
            ui.label(
                "Sobald Messwerte vorliegen, rechnet Luna aus, wo Sie am meisten sparen können."
                if summary.meter is None
                else "Für Ihre Messwerte gibt es gerade keine Empfehlung mit spürbarer Ersparnis."
            ).classes("text-sm luna-muted")
        else:
            ui.label(advice.title).classes("font-medium")
            ui.label(advice.text).classes("text-sm")
            if advice.saving_eur_month is not None:
                ui.label(f"Ersparnis etwa {de_eur(advice.saving_eur_month)} im Monat").classes(
                    "text-sm text-positive font-medium"
                )
            if summary.more_meters:  # the figures above show one meter; the advice may be another's
                ui.label(f"Zähler {advice.meter_id}").classes("text-xs luna-muted").mark("home-advice-meter")
        ui.link("Weitere Tipps ansehen", "/recommendations").classes("text-sm")
