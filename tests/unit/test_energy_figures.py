"""The Smart-Meter view's energy figures: with PV also self-consumption, self-sufficiency (Autarkie),
grid import and export in German numbers; without PV only consumption (no 0,0 kWh of PV or export)."""

from __future__ import annotations

from luna.domain.insights import EnergyTotals
from luna.web.customer.energy_figures import KeyFigure, energy_figures

WITH_PV = EnergyTotals(
    consumption_kwh=1234.56,
    production_kwh=800.0,
    self_consumed_kwh=500.0,
    grid_import_kwh=734.56,
    grid_export_kwh=300.04,
    self_consumption_share=500.0 / 800.0,
    self_sufficiency_share=500.0 / 1234.56,
)


def test_a_pv_meter_shows_self_sufficiency_and_grid_import_and_export_in_german_numbers() -> None:
    shown = {figure.label: figure for figure in energy_figures(WITH_PV, has_pv=True)}

    assert list(shown) == [
        "Verbrauch",
        "PV-Erzeugung",
        "Eigenverbrauch",
        "Autarkie",
        "Netzbezug",
        "Einspeisung",
    ]
    assert shown["Verbrauch"].value == "1.234,6 kWh"
    assert shown["Autarkie"] == KeyFigure("Autarkie", "41 %", "des Verbrauchs mit Solarstrom gedeckt")
    assert shown["Eigenverbrauch"].value == "63 %"  # 62.5 %, rounded half up as everywhere in Luna
    assert shown["Netzbezug"].value == "734,6 kWh"
    assert shown["Einspeisung"].value == "300,0 kWh"


def test_a_meter_without_pv_shows_consumption_only() -> None:
    without = EnergyTotals(
        consumption_kwh=12.26,
        production_kwh=0.0,
        self_consumed_kwh=0.0,
        grid_import_kwh=12.26,
        grid_export_kwh=0.0,
        self_consumption_share=None,
        self_sufficiency_share=0.0,
    )

    assert energy_figures(without, has_pv=False) == [KeyFigure("Verbrauch", "12,3 kWh")]


def test_shares_without_a_base_are_left_out_not_shown_as_zero() -> None:
    dark_and_idle = EnergyTotals(0.0, 0.0, 0.0, 0.0, 0.0, None, None)

    labels = [figure.label for figure in energy_figures(dark_and_idle, has_pv=True)]

    assert labels == ["Verbrauch", "PV-Erzeugung", "Netzbezug", "Einspeisung"]
