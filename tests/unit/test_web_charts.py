"""The ECharts options the energy views draw: the series, units and marks a reader relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from luna.services.energy.energy_data import Series
from luna.web.components.charts import events_chart, meter_chart, price_chart

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _prices(values: list[float | None]) -> Series:
    rows = [(T0 + timedelta(hours=i), value, 1.0) for i, value in enumerate(values)]
    return Series("raw", T0, T0 + timedelta(hours=len(values)), ("ts", "price_eur_mwh", "volume"), rows)


def test_meter_rollups_chart_the_mean_kw_of_consumption_and_production() -> None:
    columns = ("ts", "consumption_kw_avg", "production_kw_avg")
    series = Series(
        "1h", T0, T0 + timedelta(hours=2), columns, [(T0, 0.5, None), (T0 + timedelta(hours=1), 1.25, 2.0)]
    )

    options = meter_chart(series)

    consumption, production = options["series"]
    assert consumption["name"] == "Verbrauch" and production["name"] == "PV-Erzeugung"
    assert consumption["data"] == [
        [int(T0.timestamp() * 1000), 0.5],
        [int(T0.timestamp() * 1000) + 3_600_000, 1.25],
    ]
    assert production["data"][0][1] is None
    assert options["yAxis"]["name"] == "kW" and options["aria"]["enabled"] is True


def test_negative_prices_turn_red_below_zero_and_cheapest_windows_are_shaded() -> None:
    window = (T0 + timedelta(hours=1), T0 + timedelta(hours=3))

    options = price_chart(_prices([40.0, -12.5, None, 80.0]), _prices([90.0]), [window])

    base, peak = options["series"]
    assert [point[1] for point in base["data"]] == [40.0, -12.5, None, 80.0]
    assert peak["name"] == "PEAK"
    red, teal = options["visualMap"]["pieces"]
    assert red["max"] == 0 and red["min"] < -10_000 and teal["min"] == 0
    assert base["markLine"]["data"] == [{"yAxis": 0}]
    ((start, end),) = base["markArea"]["data"]
    assert start["xAxis"] == int(window[0].timestamp() * 1000) and end["xAxis"] == int(
        window[1].timestamp() * 1000
    )


def test_without_prices_the_chart_has_no_series_and_no_colour_map() -> None:
    options = price_chart(None, None)

    assert options["series"] == [] and "visualMap" not in options


def test_events_stack_by_type_with_german_names_leaving_out_types_that_never_happened() -> None:
    options = events_chart([("01.03.", {"view": 3, "ask": 1}), ("02.03.", {"view": 1, "feedback": 2})])

    assert [s["name"] for s in options["series"]] == ["Ansichten", "Fragen", "Bewertungen"]
    assert options["series"][0]["data"] == [3, 1]
