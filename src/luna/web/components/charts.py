"""ECharts options for the price and activity views, built from service results (pure functions, no UI).

The meter's charts (power, energy bars, the hourly profile) are in :mod:`luna.web.components.meter_charts`.

Times travel as epoch milliseconds and the browser shows them in its own time zone with German
formats; numbers are formatted with ``de-DE`` (decimal comma). Every chart has ECharts' ARIA
description switched on, so a screen reader gets a summary of the series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

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


def _base(y_name: str, unit: str, digits: int = 2) -> dict[str, Any]:
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 64, "right": 24, "top": 64, "bottom": 72},
        # One line that pages on a phone instead of wrapping onto the axis name.
        "legend": {"top": 4, "type": "scroll"},
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


def price_chart(
    start: datetime,
    customer_ct_kwh: Sequence[float],
    exchange_ct_kwh: Sequence[float],
    cheapest: Sequence[tuple[datetime, datetime]] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """Quarter-hour prices in ct/kWh from ``start``: the customer's dynamic-tariff price, the exchange
    price under it (negative stretches red below the zero line), the cheapest windows shaded and a
    "jetzt" line. Unknown quarter-hours (NaN) are gaps, never drawn as zero."""
    options = _base("ct/kWh", "ct/kWh", 1)
    options["tooltip"] = {"trigger": "axis", ":formatter": _berlin_tooltip("ct/kWh")}
    origin = start.astimezone(UTC)  # real quarter-hours, also across a clock change
    times = [_ms(origin + timedelta(minutes=15 * i)) for i in range(len(customer_ct_kwh))]
    yours: dict[str, Any] = {
        "name": "Preis mit dynamischem Tarif",
        "type": "line",
        "step": "start",
        "showSymbol": False,
        "color": theme.PRICE,
        "data": [[t, _value(v)] for t, v in zip(times, customer_ct_kwh, strict=True)],
    }
    if now is not None:
        yours["markLine"] = {
            "silent": True,
            "symbol": "none",
            "lineStyle": {"color": theme.TEXT, "type": "dashed", "width": 1},
            "label": {"formatter": "jetzt", "position": "end"},
            "data": [{"xAxis": _ms(now)}],
        }
    exchange = {
        "name": "Börsenpreis",
        "type": "line",
        "step": "start",
        "showSymbol": False,
        "color": theme.PEAK_PRICE,
        "lineStyle": {"width": 1},
        "areaStyle": {"origin": 0, "opacity": 0.12},
        "data": [[t, _value(v)] for t, v in zip(times, exchange_ct_kwh, strict=True)],
    }
    options["series"] = [yours, exchange]
    if cheapest:
        windows = _cheap_windows(times, cheapest)
        options["series"].append(windows)
        # The windows' legend entry is a swatch of their shade, not a line.
        swatch = {"name": windows["name"], "icon": "rect", "itemStyle": {"color": theme.CHEAP_WINDOW_SWATCH}}
        options["legend"]["data"] = [yours["name"], exchange["name"], swatch]
    # Below zero the exchange price turns red: negative prices stand out at a glance.
    options["visualMap"] = {
        "show": False,
        "seriesIndex": 1,
        "dimension": 1,
        # Bounded pieces: ECharts fails to draw a line whose visual pieces are open-ended.
        "pieces": [
            {"min": -_PRICE_BOUND, "max": 0, "color": theme.NEGATIVE_PRICE},
            {"min": 0, "max": _PRICE_BOUND, "color": theme.PEAK_PRICE},
        ],
    }
    return options


def _cheap_windows(times: Sequence[int], cheapest: Sequence[tuple[datetime, datetime]]) -> dict[str, Any]:
    """The cheapest windows shaded, named once in the legend rather than on each window: on a phone a
    week's windows are a few pixels apart and their labels ran into each other and into "jetzt". The
    series draws no line of its own (every value is a gap)."""
    return {
        "name": "Günstigstes Zeitfenster",
        "type": "line",
        "showSymbol": False,
        "tooltip": {"show": False},
        "data": [[t, None] for t in times],
        "markArea": {
            "silent": True,
            "itemStyle": {"color": theme.CHEAP_WINDOW},
            "data": [[{"xAxis": _ms(a)}, {"xAxis": _ms(b)}] for a, b in cheapest],
        },
    }


def _berlin_tooltip(unit: str) -> str:
    """A tooltip headed by the German date and time in Europe/Berlin (never an ISO time)."""
    return (
        "ps => { const when = new Date(ps[0].value[0]).toLocaleString('de-DE', {timeZone: 'Europe/Berlin', "
        "weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit'}); "
        "return when + ' Uhr' + ps.map(p => '<br>' + p.marker + p.seriesName + ': ' + "
        "(p.value[1] === null ? '–' : p.value[1].toLocaleString('de-DE', {maximumFractionDigits: 1}))"
        f" + ' {unit}').join(''); }}"
    )


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
