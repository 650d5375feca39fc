"""A meter's insights as key figures in German: energy, PV, peak, costs and what shifting saves."""

from __future__ import annotations

from nicegui import ui

from luna.services.energy.insights import MeterInsights
from luna.web.components.formats import de_datetime, de_eur, de_number, de_percent
from luna.web.components.widgets import figure

#: Days in the "per month" figures.
MONTH_DAYS = 30


def insight_figures(result: MeterInsights) -> None:
    found = result.insights
    energy = found.energy
    with ui.row().classes("w-full gap-8"):
        figure("Verbrauch", f"{de_number(energy.consumption_kwh, 1)} kWh")
        figure("PV-Erzeugung", f"{de_number(energy.production_kwh, 1)} kWh")
        if energy.self_consumption_share is not None:
            figure(
                "Eigenverbrauch",
                de_percent(energy.self_consumption_share),
                "des Solarstroms selbst genutzt",
            )
        if found.peak_interval is not None:
            figure(
                "Spitzenlast",
                f"{de_number(found.peak_interval.kw, 1)} kW",
                f"am {de_datetime(found.peak_interval.at)}",
            )
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
    coverage = found.coverage
    if coverage.energy_gap_count:
        missing = coverage.intervals - coverage.energy_intervals
        ui.label(
            f"{missing} Viertelstunden ohne vollständige Messwerte sind in den Zahlen nicht enthalten."
        ).classes("text-sm luna-muted")
