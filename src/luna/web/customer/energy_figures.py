"""A meter's insights as key figures in German: energy, PV, self-sufficiency, grid import and export,
peaks, costs and what shifting saves.

Two peaks are shown, each named for what it is: the highest quarter-hour mean (what grid tariffs
with a demand charge bill, and what the 15-minute chart shows) and the highest single reading (a
kettle or an oven switching on for a minute). One number labelled "Spitzenlast" under a chart with
higher spikes reads as a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from luna.domain.energy import MeterInfo
from luna.domain.insights import EnergyTotals
from luna.services.energy.insights import MeterInsights
from luna.web.components.formats import de_count, de_datetime, de_eur, de_number, de_percent
from luna.web.components.meter_charts import hourly_profile_chart
from luna.web.components.widgets import figure
from luna.web.customer.meter_csv import profile_csv

#: Days in the "per month" figures.
MONTH_DAYS = 30


PEAK_NOTE = (
    "Die höchste Viertelstunde ist der Mittelwert über 15 Minuten, nach dem Netzbetreiber eine "
    "Leistungsspitze abrechnen; der höchste Messwert ist eine einzelne Messung, etwa wenn Wasserkocher "
    "und Herd zugleich laufen. Darum liegt er meist höher."
)


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    hint: str | None = None


def energy_figures(energy: EnergyTotals, has_pv: bool) -> list[KeyFigure]:
    """Consumption, and with PV its production, how much of it was used at home (Eigenverbrauch),
    how much of the consumption it covered (Autarkie), and what came from and went to the grid.

    A meter without PV shows consumption only: "PV-Erzeugung 0,0 kWh" or "Einspeisung 0,0 kWh" read as
    broken panels, and its grid import is its consumption.
    """
    shown = [KeyFigure("Verbrauch", _kwh(energy.consumption_kwh))]
    if not has_pv:
        return shown
    shown.append(KeyFigure("PV-Erzeugung", _kwh(energy.production_kwh)))
    if energy.self_consumption_share is not None:
        shown.append(
            KeyFigure(
                "Eigenverbrauch", de_percent(energy.self_consumption_share), "des Solarstroms selbst genutzt"
            )
        )
    if energy.self_sufficiency_share is not None:
        shown.append(
            KeyFigure(
                "Autarkie", de_percent(energy.self_sufficiency_share), "des Verbrauchs mit Solarstrom gedeckt"
            )
        )
    shown.append(KeyFigure("Netzbezug", _kwh(energy.grid_import_kwh), "aus dem Stromnetz bezogen"))
    shown.append(KeyFigure("Einspeisung", _kwh(energy.grid_export_kwh), "ins Stromnetz eingespeist"))
    return shown


def insight_figures(result: MeterInsights, has_pv: bool) -> None:
    """The figures of ``result``; a meter without PV shows no PV, self-sufficiency or grid figure."""
    found = result.insights
    with ui.row().classes("w-full gap-x-8 gap-y-4"):
        for shown in energy_figures(found.energy, has_pv):
            figure(shown.label, shown.value, shown.hint)
        _peaks(result)
        if found.cost is not None:
            figure(
                "Kosten mit dynamischem Tarif",
                de_eur(found.cost.dynamic_eur),
                f"mit festem Tarif: {de_eur(found.cost.flat_eur)}",
            )
        shift = found.load_shift
        if shift is not None and shift.saving_eur_per_day is not None:
            figure(
                "Ersparnis durch Verschieben",
                f"{de_eur(shift.saving_eur_per_day * MONTH_DAYS)} / Monat",
                f"{de_number(shift.kwh, 1)} kWh von {shift.usual_local_start:%H:%M} Uhr "
                "in die günstigste Zeit",
            )
    if found.peak_interval is not None and found.peak_reading is not None:
        ui.label(PEAK_NOTE).classes("text-sm luna-muted max-w-prose").mark("peak-note")
    note = gap_note(found.coverage.intervals - found.coverage.energy_intervals)
    if found.coverage.energy_gap_count and note:
        ui.label(note).classes("text-sm luna-muted")


def _peaks(result: MeterInsights) -> None:
    interval, reading = result.insights.peak_interval, result.insights.peak_reading
    if interval is not None:
        figure(
            "Höchste Viertelstunde",
            f"{de_number(interval.kw, 1)} kW",
            f"Mittel über 15 Minuten ab {de_datetime(interval.at)} Uhr",
        )
    if reading is not None:
        figure(
            "Höchster Messwert",
            f"{de_number(reading.kw, 1)} kW",
            f"einzelne Messung in der Viertelstunde ab {de_datetime(reading.at)} Uhr",
        )


def _kwh(value: float) -> str:
    return f"{de_number(value, 1)} kWh"


def gap_note(missing: int) -> str | None:
    """Says how many quarter-hours the figures leave out, verb and noun agreeing with the number."""
    if missing <= 0:
        return None
    quarters = de_count(missing, "Viertelstunde", "Viertelstunden")
    verb = "ist" if missing == 1 else "sind"
    return f"{quarters} ohne vollständige Messwerte {verb} in den Zahlen nicht enthalten."


def profile_section(result: MeterInsights, meter: MeterInfo) -> None:
    """The typical day (mean kW per local hour) with its CSV; PV only where the meter has PV."""
    hours = result.insights
    if all(value is None for value in hours.consumption_kw_by_hour):
        return
    production = hours.production_kw_by_hour if meter.has_pv else None
    with ui.row().classes("w-full items-center justify-between gap-2"):
        ui.label("Typischer Tagesverlauf (Mittel je Stunde)").classes("font-medium")
        ui.button(
            "CSV herunterladen",
            icon="download",
            on_click=lambda: ui.download(
                profile_csv(hours.consumption_kw_by_hour, production),
                f"luna-tagesverlauf-{meter.meter_id}.csv",
                "text/csv",
            ),
        ).props("flat dense no-caps").mark("profile-csv")
    chart = hourly_profile_chart(hours.consumption_kw_by_hour, production)
    ui.echart(chart).classes("w-full h-64").mark("hourly-profile")
