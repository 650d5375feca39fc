"""Energy advice from a meter's insights: concrete German sentences with the € figures they rest on."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from luna.domain.energy import MeterInfo
from luna.domain.insights import IntervalSeries, Tariffs, compute_insights
from luna.domain.load_shift import FlexibleLoad
from luna.domain.price_window import EndCustomerPrice, Surcharge
from luna.services.energy.energy_advice import (
    LOAD_SHIFT,
    PEAK,
    PV_SELF_CONSUMPTION,
    TARIFF,
    EnergyAdvice,
    advice_from_insights,
    answer_section,
    wants_energy_advice,
)
from luna.services.energy.insights import MeterInsights

#: 2025-01-15 00:00 in Berlin (CET, UTC+1).
DAY = datetime(2025, 1, 14, 23, 0, tzinfo=UTC)
QUARTERS = 2 * 96
#: 10 ct/kWh of surcharges, net, and 19 % VAT on all of it: cheaper than the flat 35 ct for the
#: household of :func:`two_days`, so there is tariff advice.
TARIFFS = Tariffs(
    flat_eur_kwh=0.35,
    dynamic=EndCustomerPrice((Surcharge("Aufschläge", 10.0),), vat_percent=19.0),
    feed_in_eur_kwh=0.08,
)
#: The same with a feed-in of 5 ct: a kWh of own solar power kept is worth 30 ct, more than shifting
#: the flexible load in the price spread (see the tests of both).
PV_TARIFFS = Tariffs(flat_eur_kwh=0.35, dynamic=TARIFFS.dynamic, feed_in_eur_kwh=0.05)


def hourly_prices() -> list[float]:
    prices = [100.0] * 24
    prices[3], prices[4] = 40.0, 60.0
    prices[13], prices[14] = 10.0, 20.0
    prices[18], prices[19] = 300.0, 200.0
    return prices


def two_days(
    *, pv_kw: float = 0.0, spike_kw: float | None = None, tariffs: Tariffs = TARIFFS
) -> MeterInsights:
    """Two local days: 0.5 kW, 2 kW from 18 to 20 h, ``pv_kw`` of PV from 11 to 15 h, an optional
    spike at 07:00 on the first day; hourly prices with a midday dip and an evening peak."""
    hour = (np.arange(QUARTERS) % 96) // 4
    consumption_kw = np.where((hour >= 18) & (hour < 20), 2.0, 0.5)
    if spike_kw is not None:
        consumption_kw[7 * 4] = spike_kw
    production_kw = np.where((hour >= 11) & (hour < 15), pv_kw, 0.0)
    series = IntervalSeries(
        ts=np.datetime64(DAY.replace(tzinfo=None), "s") + np.arange(QUARTERS) * np.timedelta64(900, "s"),
        step_s=900,
        consumption_kwh=consumption_kw * 0.25,
        production_kwh=production_kw * 0.25,
        price_eur_mwh=np.array(hourly_prices())[hour],
        consumption_kw_max=consumption_kw,
    )
    insights = compute_insights(series, tariffs, FlexibleLoad(kwh=2.0, hours=2.0))
    return MeterInsights("m-1", "EEX", "BASE", tariffs, insights)


def advice_by_kind(result: MeterInsights) -> dict[str, EnergyAdvice]:
    return {piece.kind: piece for piece in advice_from_insights(MeterInfo("m-1"), result)}


def test_load_shift_advice_names_the_windows_and_the_monthly_saving() -> None:
    advice = advice_by_kind(two_days())[LOAD_SHIFT]

    # 2 kWh × (250 − 15) €/MWh × 1.19 (VAT) = 0.5593 € a day, 16.78 € in 30 days.
    assert advice.saving_eur_month == pytest.approx(16.78)
    assert advice.text == (
        "Verschieben Sie Waschmaschine oder Geschirrspüler (2,0 kWh) von 18–20 Uhr auf die günstigsten "
        "Stunden des Tages, meist 13–15 Uhr: mit einem dynamischen Tarif spart das etwa 16,78 € im Monat, "
        "zusätzlich zu dem, was der Tarif selbst spart; bei einem festen Preis spart das Verschieben nichts."
    )
    assert advice.figures["cheapest_window_local"] == "13–15 Uhr"
    assert advice.reason == "weil Ihr Verbrauch meist 18–20 Uhr anfällt, wenn Strom teurer ist"
    assert 0 < advice.score < 1


def test_without_a_tariff_card_the_shift_claims_no_saving_on_top_of_one() -> None:
    """A flat price of 20 ct beats the dynamic tariff here: no tariff advice, so nothing to add to."""
    cheap_flat = Tariffs(flat_eur_kwh=0.20, dynamic=TARIFFS.dynamic, feed_in_eur_kwh=TARIFFS.feed_in_eur_kwh)
    kinds = advice_by_kind(two_days(tariffs=cheap_flat))

    assert TARIFF not in kinds
    assert kinds[LOAD_SHIFT].text.endswith(
        "spart das etwa 16,78 € im Monat; bei einem festen Preis spart das Verschieben nichts."
    )


def test_pv_advice_values_each_kwh_kept_at_the_flat_tariff_minus_feed_in() -> None:
    advice = advice_by_kind(two_days(pv_kw=1.5, tariffs=PV_TARIFFS))[PV_SELF_CONSUMPTION]

    # Export 1 kW × 4 h × 2 days = 8 kWh → 120 kWh a month; the 2 kWh load × 30 days = 60 kWh of it
    # kept at 0.35 − 0.05 €/kWh = 18.00 € a month, in the sunniest two hours (11–13 h, the earliest).
    assert advice.saving_eur_month == pytest.approx(18.00)
    assert "in der sonnigsten Zeit (11–13 Uhr) mit eigenem Solarstrom" in advice.text
    assert "18,00 € im Monat" in advice.text
    assert advice.figures["grid_export_kwh"] == pytest.approx(8.0)


def test_tariff_advice_scales_the_periods_saving_to_a_month() -> None:
    result = two_days()
    advice = advice_by_kind(result)[TARIFF]

    assert result.insights.cost is not None
    # Each day: flat 15 kWh × 0.35 € = 5.25 €; dynamic (1.965 € + 15 kWh × 0.10 €) × 1.19 = 4.12335 €.
    assert result.insights.cost.saving_eur == pytest.approx(2 * (5.25 - 4.12335))
    expected = result.insights.cost.saving_eur / 2 * 30
    assert advice.saving_eur_month == pytest.approx(round(expected, 2))
    assert "Ein dynamischer Stromtarif wäre für Ihr Verbrauchsprofil günstiger gewesen" in advice.text
    assert "als ein fester Preis von 35,0 ct/kWh" in advice.text  # the assumed tariff is named
    # The shift advice saves on top of this, not within it: the customer reads the two as separate.
    assert advice.text.endswith("im Monat, ohne etwas zu verschieben.")


def test_a_high_peak_gets_advice_with_its_local_time_and_no_euro_figure() -> None:
    advice = advice_by_kind(two_days(spike_kw=8.0))[PEAK]

    assert advice.saving_eur_month is None
    assert "8,0 kW (15.01. um 07:00 Uhr)" in advice.text


def test_the_flexible_load_is_moved_only_where_it_is_worth_more() -> None:
    """Keeping 2 kWh of own solar power is worth 18.00 € at a 5 ct feed-in, more than the price spread
    (16.78 €); at an 8 ct feed-in it is worth 16.20 €, less."""
    kinds = advice_by_kind(two_days(pv_kw=1.5, tariffs=PV_TARIFFS))
    assert PV_SELF_CONSUMPTION in kinds and LOAD_SHIFT not in kinds

    kinds = advice_by_kind(two_days(pv_kw=1.5))
    assert LOAD_SHIFT in kinds and PV_SELF_CONSUMPTION not in kinds


def test_no_pv_and_no_peak_means_no_such_advice() -> None:
    kinds = advice_by_kind(two_days())

    assert PV_SELF_CONSUMPTION not in kinds and PEAK not in kinds


@pytest.mark.parametrize(
    "question",
    [
        "Wie kann ich Strom sparen?",
        "Warum ist meine Stromrechnung so hoch?",
        "Lohnt sich für mich ein dynamischer Tarif?",
        "Wie senken wir unseren Verbrauch?",
        "Wann sollte ich meine Waschmaschine laufen lassen?",
        "Was bringt mir meine PV-Anlage?",
    ],
)
def test_questions_about_the_askers_own_energy_get_advice(question: str) -> None:
    assert wants_energy_advice(question)


@pytest.mark.parametrize(
    "question",
    [
        "Wie setzen sich die Netzentgelte zusammen?",
        "Was regelt § 14a EnWG?",
        "Wie funktioniert ein dynamischer Tarif?",
        "Was weiß ich über Wärmepumpen?",
    ],
)
def test_general_questions_get_no_advice(question: str) -> None:
    assert not wants_energy_advice(question)


def test_the_answer_section_lists_the_advice_under_its_heading() -> None:
    advice = advice_from_insights(MeterInfo("m-1"), two_days())

    section = answer_section(advice[:1])

    assert section.startswith("\n\nHandlungsempfehlung aus Ihren Zählerdaten:\n- ")
    assert answer_section([]) == ""
