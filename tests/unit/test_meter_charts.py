"""The meter's charts and their CSV: kWh bars for hours and days, a faded partial day, no PV series
for a meter without PV, and times on Berlin's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from luna.domain.energy_calendar import EnergyBar
from luna.services.energy.energy_data import Series
from luna.web.components.meter_charts import (
    PARTIAL_OPACITY,
    MeterPlot,
    bar_label,
    hourly_profile_chart,
    meter_chart,
)
from luna.web.customer.meter_csv import meter_csv, profile_csv

T0 = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 2 March, 00:00 in Berlin
DAY = timedelta(days=1)
BARS = [
    EnergyBar(T0, T0 + DAY, 8.25, 3.5),
    EnergyBar(T0 + DAY, T0 + 2 * DAY, 2.0, 1.0, covered_until=T0 + DAY + timedelta(hours=15)),
]


def _line_series() -> Series:
    columns = ("ts", "consumption_kw_avg", "production_kw_avg")
    rows = [(T0, 0.5, None), (T0 + timedelta(minutes=15), 1.25, 2.0)]
    return Series("15m", T0, T0 + timedelta(minutes=30), columns, rows)


def test_days_are_kwh_bars_and_a_partial_day_is_faded_and_labelled_until_when() -> None:
    options = meter_chart(MeterPlot(has_pv=True, unit="day", bars=BARS))

    consumption, production = options["series"]
    assert consumption["type"] == "bar" and options["yAxis"]["name"] == "kWh"
    assert consumption["data"][0] == 8.25
    assert consumption["data"][1] == {"value": 2.0, "itemStyle": {"opacity": PARTIAL_OPACITY}}
    assert options["xAxis"]["data"] == ["02.03.2026", "03.03.2026 (bis 15:00)"]
    assert production["name"] == "PV-Erzeugung"


def test_a_meter_without_pv_has_no_pv_series_in_bars_lines_or_the_daily_profile() -> None:
    bars = meter_chart(MeterPlot(has_pv=False, unit="day", bars=BARS))
    line = meter_chart(MeterPlot(has_pv=False, series=_line_series()))
    profile = hourly_profile_chart([1.0] * 24, None)

    for options in (bars, line, profile):
        assert [s["name"] for s in options["series"]] == ["Verbrauch"]


def test_quarter_hours_are_a_kw_line_whose_tooltip_and_axis_use_berlin_time() -> None:
    options = meter_chart(MeterPlot(has_pv=True, series=_line_series()))

    consumption, production = options["series"]
    assert consumption["type"] == "line" and options["yAxis"]["name"] == "kW"
    assert consumption["data"][1] == [int(T0.timestamp() * 1000) + 900_000, 1.25]
    assert production["data"][0][1] is None
    assert 'timeZone: "Europe/Berlin"' in options["tooltip"][":formatter"]
    assert 'timeZone: "Europe/Berlin"' in options["xAxis"]["axisLabel"][":formatter"]
    assert options["aria"]["enabled"] is True


def test_bar_labels_are_german_dates_hours_and_months() -> None:
    hour = EnergyBar(T0 + timedelta(hours=14), T0 + timedelta(hours=15), 1.0, None)
    month = EnergyBar(T0, T0 + 31 * DAY, 1.0, None, covered_from=T0 + timedelta(days=4, hours=9))

    assert bar_label(hour, "hour") == "02.03.2026, 14:00"
    assert bar_label(month, "month") == "März 2026 (ab 06.03., 09:00)"


def test_the_csv_holds_the_shown_bars_with_german_header_semicolons_and_decimal_commas() -> None:
    text = meter_csv(MeterPlot(has_pv=True, unit="day", bars=BARS)).decode("utf-8-sig")

    assert text.splitlines() == [
        "Beginn;Ende;Verbrauch (kWh);PV-Erzeugung (kWh);Hinweis",
        "02.03.2026 00:00;03.03.2026 00:00;8,250;3,500;",
        "03.03.2026 00:00;04.03.2026 00:00;2,000;1,000;unvollständig: Messwerte bis 03.03.2026 15:00",
    ]


def test_the_csv_of_a_power_line_without_pv_has_only_consumption_in_kw() -> None:
    text = meter_csv(MeterPlot(has_pv=False, series=_line_series())).decode("utf-8-sig")

    assert text.splitlines() == ["Zeit;Verbrauch (kW)", "02.03.2026 00:00;0,500", "02.03.2026 00:15;1,250"]


def test_the_profile_csv_has_one_row_per_hour() -> None:
    lines = profile_csv([0.5] * 24, [None] * 24).decode("utf-8-sig").splitlines()

    assert lines[0] == "Stunde;Verbrauch (kW);PV-Erzeugung (kW)"
    assert lines[1] == "00:00;0,500;" and len(lines) == 25
