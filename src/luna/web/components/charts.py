"""ECharts options for the energy views, built from service results (pure functions, no UI).

Times travel as epoch milliseconds and the browser shows them in its own time zone with German
formats; numbers are formatted with ``de-DE`` (decimal comma). Every chart has ECharts' ARIA
description switched on, so a screen reader gets a summary of the series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from luna.services.energy.energy_data import Series
from luna.web.components import theme

#: Beyond any day-ahead price (the market's technical limits are −500 and 4,000 €/MWh).
_PRICE_BOUND: Final = 1_000_000
_AXIS_NUMBER: Final = 'v => v.toLocaleString("de-DE")'
_TIME_LABELS: Final = {
    "year": "{yyyy}",
    "month": "{MMM}",
    "day": "{dd}.{MM}.",
    "hour": "{HH}:{mm}",
    "minute": "{HH}:{mm}",
}


def _number_formatter(unit: str, digits: int = 2) -> str:
    return (
        f'v => (v === null || v === undefined || Number.isNaN(v)) ? "–" : '
        f'v.toLocaleString("de-DE", {{maximumFractionDigits: {digits}}}) + " {unit}"'
    )


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def _value(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 4)


def _points(series: Series, column: str) -> list[list[float | int | None]]:
    if column not in series.columns:
        return []
    ts, at = series.columns.index("ts"), series.columns.index(column)
    return [[_ms(row[ts]), _value(row[at])] for row in series.rows]


def _base(y_name: str, unit: str, digits: int = 2) -> dict[str, Any]:
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 64, "right": 24, "top": 48, "bottom": 72},
        "legend": {"top": 8},
        "tooltip": {"trigger": "axis", ":valueFormatter": _number_formatter(unit, digits)},
        "xAxis": {"type": "time", "axisLabel": {"formatter": _TIME_LABELS, "hideOverlap": True}},
        "yAxis": {
            "type": "value",
            "name": y_name,
            "nameTextStyle": {"align": "left"},
            "axisLabel": {":formatter": _AXIS_NUMBER},
        },
        "dataZoom": [{"type": "inside"}, {"type": "slider", "height": 20, "bottom": 16}],
    }


def meter_chart(series: Series) -> dict[str, Any]:
    """Consumption and PV production in kW (raw readings, or the mean of each rollup bucket)."""
    raw = series.resolution == "raw"
    options = _base("kW", "kW")
    options["series"] = [
        {
            "name": "Verbrauch",
            "type": "line",
            "showSymbol": False,
            "sampling": "lttb",
            "color": theme.CONSUMPTION,
            "areaStyle": {"opacity": 0.12},
            "data": _points(series, "consumption_kw" if raw else "consumption_kw_avg"),
        },
        {
            "name": "PV-Erzeugung",
            "type": "line",
            "showSymbol": False,
            "sampling": "lttb",
            "color": theme.PRODUCTION,
            "areaStyle": {"opacity": 0.25},
            "data": _points(series, "production_kw" if raw else "production_kw_avg"),
        },
    ]
    return options


def price_chart(
    base: Series | None, peak: Series | None, cheapest: Sequence[tuple[datetime, datetime]] = ()
) -> dict[str, Any]:
    """Day-ahead prices in €/MWh: BASE (negative stretches red below the zero line), PEAK, and the
    cheapest windows shaded."""
    options = _base("€/MWh", "€/MWh", 2)
    series: list[dict[str, Any]] = []
    if base is not None:
        column = "price_eur_mwh" if base.resolution == "raw" else "price_eur_mwh_avg"
        series.append(
            {
                "name": "BASE",
                "type": "line",
                "step": "start",
                "showSymbol": False,
                "color": theme.PRICE,
                "areaStyle": {"origin": 0, "opacity": 0.18},
                "data": _points(base, column),
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"color": theme.TEXT, "type": "solid", "width": 1},
                    "label": {"formatter": "0 €/MWh", "position": "insideEndTop"},
                    "data": [{"yAxis": 0}],
                },
                "markArea": {
                    "silent": True,
                    "itemStyle": {"color": theme.CHEAP_WINDOW},
                    "label": {"color": theme.POSITIVE, "fontWeight": "bold"},
                    "data": [
                        [{"name": "günstig", "xAxis": _ms(start)}, {"xAxis": _ms(end)}]
                        for start, end in cheapest
                    ],
                },
            }
        )
    if peak is not None:
        column = "price_eur_mwh" if peak.resolution == "raw" else "price_eur_mwh_avg"
        series.append(
            {
                "name": "PEAK",
                "type": "line",
                "step": "start",
                "showSymbol": False,
                "color": theme.PEAK_PRICE,
                "lineStyle": {"type": "dashed"},
                "data": _points(peak, column),
            }
        )
    options["series"] = series
    if base is not None:
        # Below zero the BASE line and its area turn red: negative prices stand out at a glance.
        options["visualMap"] = {
            "show": False,
            "seriesIndex": 0,
            "dimension": 1,
            # Bounded pieces: ECharts fails to draw a line whose visual pieces are open-ended.
            "pieces": [
                {"min": -_PRICE_BOUND, "max": 0, "color": theme.NEGATIVE_PRICE},
                {"min": 0, "max": _PRICE_BOUND, "color": theme.PRICE},
            ],
        }
    return options


def hourly_profile_chart(
    consumption: Sequence[float | None], production: Sequence[float | None]
) -> dict[str, Any]:
    """Mean kW per local hour of day (0–23 h): when the household uses and produces energy."""
    hours = [f"{hour:02d}" for hour in range(24)]
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 56, "right": 16, "top": 40, "bottom": 32},
        "legend": {"top": 4},
        "tooltip": {"trigger": "axis", ":valueFormatter": _number_formatter("kW")},
        "xAxis": {"type": "category", "data": hours, "name": "Uhr"},
        "yAxis": {"type": "value", "name": "kW", "axisLabel": {":formatter": _AXIS_NUMBER}},
        "series": [
            {
                "name": "Verbrauch",
                "type": "bar",
                "color": theme.CONSUMPTION,
                "data": [_value(v) for v in consumption],
            },
            {
                "name": "PV-Erzeugung",
                "type": "bar",
                "color": theme.PRODUCTION,
                "data": [_value(v) for v in production],
            },
        ],
    }


#: German names of the event types, in the order the charts stack them.
EVENT_NAMES: Final = {
    "view": "Ansichten",
    "click": "Klicks",
    "like": "Gefällt mir",
    "dislike": "Gefällt nicht",
    "ask": "Fragen",
    "feedback": "Bewertungen",
    "solve": "Gelöst",
    "recommend": "Empfehlungen",
}


def events_chart(days: Sequence[tuple[str, dict[str, int]]]) -> dict[str, Any]:
    """Events per day stacked by type; ``days`` are (label, counts by type) oldest first."""
    present = [kind for kind in EVENT_NAMES if any(counts.get(kind) for _, counts in days)]
    present += sorted({kind for _, counts in days for kind in counts} - set(EVENT_NAMES))
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 32},
        "legend": {"top": 4},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [label for label, _ in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": EVENT_NAMES.get(kind, kind),
                "type": "bar",
                "stack": "events",
                "data": [counts.get(kind, 0) for _, counts in days],
            }
            for kind in present
        ],
    }
