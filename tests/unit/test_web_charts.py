"""The ECharts options the energy views draw: the series, units and marks a reader relies on."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from unittest.mock import ANY
from zoneinfo import ZoneInfo

from luna.web.components.charts import events_chart, price_chart

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def test_prices_are_the_customers_in_ct_with_negative_exchange_prices_red_and_windows_shaded() -> None:
    window = (T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    now = T0 + timedelta(minutes=20)

    options = price_chart(T0, [24.0, 18.75, math.nan, 28.0], [4.0, -1.25, math.nan, 8.0], [window], now)

    yours, exchange, windows = options["series"]
    assert [point[1] for point in yours["data"]] == [24.0, 18.75, None, 28.0]  # unknown: a gap
    assert [point[0] for point in yours["data"]][:2] == [_ms(T0), _ms(T0 + timedelta(minutes=15))]
    assert exchange["name"] == "Börsenpreis" and options["yAxis"]["name"] == "ct/kWh"
    red, rest = options["visualMap"]["pieces"]
    assert options["visualMap"]["seriesIndex"] == 1 and red["max"] == 0 and rest["min"] == 0
    assert yours["markLine"]["data"] == [{"xAxis": _ms(now)}]
    ((start, end),) = windows["markArea"]["data"]
    assert (start["xAxis"], end["xAxis"]) == (_ms(window[0]), _ms(window[1]))
    # The windows are named once in the legend, with no label on the chart that could cover "jetzt" or
    # the next window's; the legend's series draws no line of its own.
    assert windows["name"] == "Günstigstes Zeitfenster" and "label" not in windows["markArea"]
    assert all(point[1] is None for point in windows["data"])
    assert options["legend"]["data"][2] == {"name": windows["name"], "icon": "rect", "itemStyle": ANY}
    assert yours["markLine"]["label"]["position"] == "end"
    assert "Europe/Berlin" in options["tooltip"][":formatter"]  # German local times, never ISO


def test_quarter_hours_are_counted_in_real_time_across_the_clock_change() -> None:
    berlin_midnight = datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    options = price_chart(berlin_midnight, [1.0] * 12, [1.0] * 12)

    # Without windows the legend names none: nothing would be shaded.
    assert [series["name"] for series in options["series"]] == ["Preis mit dynamischem Tarif", "Börsenpreis"]
    assert "data" not in options["legend"]

    times = [point[0] for point in options["series"][0]["data"]]
    assert times[-1] - times[0] == 11 * 15 * 60 * 1000  # 02:00 does not exist that night; time goes on


def test_events_stack_by_type_with_german_names_leaving_out_types_that_never_happened() -> None:
    options = events_chart([("01.03.", {"view": 3, "ask": 1}), ("02.03.", {"view": 1, "feedback": 2})])

    assert [s["name"] for s in options["series"]] == ["Ansichten", "Fragen", "Bewertungen"]
    assert options["series"][0]["data"] == [3, 1]
