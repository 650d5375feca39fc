"""The flywheel's KPI chart: percentages for rates, the threshold levels as labelled dashed lines."""

from __future__ import annotations

from datetime import UTC, datetime

from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window
from luna.domain.flywheel.thresholds import load_thresholds
from luna.web.components.kpi_chart import kpi_chart

THRESHOLDS = load_thresholds(
    """
thresholds:
  - {name: useful, kpi: usefulness_rate, comparator: "<", warning: 0.6, critical: 0.45, window: day,
     description: Zu wenige hilfreiche Antworten}
  - {name: slow, kpi: latency_p95_ms, comparator: ">", warning: 3000, window: hour, description: Langsam}
"""
)
DAY = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_rate_is_drawn_in_percent_with_its_levels_in_german() -> None:
    chart = kpi_chart(
        Kpi.USEFULNESS_RATE, [KpiValue(Kpi.USEFULNESS_RATE, Window.DAY, DAY, ALL, 0.5, 30)], THRESHOLDS
    )
    [series] = chart["series"]
    assert series["data"] == [50.0] and chart["yAxis"]["max"] == 100
    labels = [line["label"]["formatter"] for line in series["markLine"]["data"]]
    assert labels == ["Warnung 60,0 %", "Kritisch 45,0 %"]  # only this KPI's threshold


def test_latency_stays_in_milliseconds_without_a_percent_axis() -> None:
    chart = kpi_chart(
        Kpi.LATENCY_P95_MS, [KpiValue(Kpi.LATENCY_P95_MS, Window.HOUR, DAY, ALL, 2500.0, 9)], THRESHOLDS
    )
    assert chart["series"][0]["data"] == [2500.0] and "max" not in chart["yAxis"]
    assert [line["label"]["formatter"] for line in chart["series"][0]["markLine"]["data"]] == [
        "Warnung 3.000,0 ms"
    ]
