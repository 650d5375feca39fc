"""ECharts options for a meter: power (kW) as a line, energy (kWh) as bars per hour, day or month.

Power is what a meter measures moment to moment, so fine resolutions (readings, quarter-hours) draw
a line of kW; energy is what a household pays for, so hours, days and months draw kWh bars, like the
energy dashboards people know. Times are shown on Europe/Berlin's clock whatever the browser's zone:
bar labels are written here, line labels and tooltips are formatted in the browser with the
``Europe/Berlin`` time zone. A meter without PV gets no PV series at all (a flat zero line reads
as "my panels produce nothing").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from luna.domain.energy_calendar import BERLIN, BarUnit, EnergyBar
from luna.services.energy.energy_data import Series
from luna.web.components import theme

# The shared value and time conversions of every chart (kept in one place with the price charts).
from luna.web.components.charts import _AXIS_NUMBER, _ms, _value

MONTH_NAMES: Final = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
#: From how many bars on the chart offers zooming (a month of days fits without).
ZOOM_FROM_BARS: Final = 48
#: How much a partial bar is faded: visibly "not the whole day" next to its neighbours.
PARTIAL_OPACITY: Final = 0.4

_BERLIN: Final = '{timeZone: "Europe/Berlin", hourCycle: "h23"}'
_STAMP: Final = (
    f'{{...{_BERLIN}, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit"}}'
)
#: Axis labels: the date at local midnight, otherwise the local time.
_TIME_AXIS_LABEL: Final = (
    "v => { const d = new Date(v); "
    f'const t = d.toLocaleTimeString("de-DE", {{...{_BERLIN}, hour: "2-digit", minute: "2-digit"}}); '
    'return t === "00:00" ? '
    f'd.toLocaleDateString("de-DE", {{...{_BERLIN}, day: "2-digit", month: "2-digit"}}) : t; }}'
)
_STAMP_LABEL: Final = f'v => new Date(v).toLocaleString("de-DE", {_STAMP}) + " Uhr"'


def _number(unit: str, digits: int) -> str:
    """JavaScript that writes a value the German way, a dash where there is none."""
    return (
        f'x => (x === null || x === undefined || Number.isNaN(x)) ? "–" : '
        f'x.toLocaleString("de-DE", {{maximumFractionDigits: {digits}}}) + " {unit}"'
    )


def _line_tooltip(unit: str) -> str:
    """The whole tooltip of a time axis: its header in Berlin time (ECharts would write ISO)."""
    return (
        f"ps => {{ const f = {_number(unit, 2)}; "
        f'let s = new Date(ps[0].value[0]).toLocaleString("de-DE", {_STAMP}) + " Uhr"; '
        'for (const p of ps) { s += "<br>" + p.marker + p.seriesName + ": " + f(p.value[1]); } return s; }'
    )


@dataclass(frozen=True)
class MeterPlot:
    """What the meter chart shows: power readings (``series``) or energy bars (``bars``)."""

    has_pv: bool
    series: Series | None = None
    unit: BarUnit | None = None
    bars: Sequence[EnergyBar] = field(default_factory=tuple)


def meter_chart(plot: MeterPlot) -> dict[str, Any]:
    return energy_bar_chart(plot) if plot.unit is not None else power_line_chart(plot)


def power_line_chart(plot: MeterPlot) -> dict[str, Any]:
    """Consumption (and PV production) in kW: raw readings, or the mean of each quarter-hour."""
    series = plot.series
    raw = series is None or series.resolution == "raw"
    lines = [
        _line(
            "Verbrauch",
            theme.CONSUMPTION,
            0.12,
            _points(series, "consumption_kw" if raw else "consumption_kw_avg"),
        )
    ]
    if plot.has_pv:
        lines.append(
            _line(
                "PV-Erzeugung",
                theme.PRODUCTION,
                0.25,
                _points(series, "production_kw" if raw else "production_kw_avg"),
            )
        )
    return {
        **_frame("kW"),
        "tooltip": {"trigger": "axis", ":formatter": _line_tooltip("kW")},
        "xAxis": {"type": "time", "axisLabel": {":formatter": _TIME_AXIS_LABEL, "hideOverlap": True}},
        "dataZoom": [
            {"type": "inside"},
            {"type": "slider", "height": 20, "bottom": 16, ":labelFormatter": _STAMP_LABEL},
        ],
        "series": lines,
    }


def energy_bar_chart(plot: MeterPlot) -> dict[str, Any]:
    """kWh per local hour, day or month; a bar the data covers only in part is faded and its label
    says from or until when it counts, so it never reads as a drop in consumption."""
    unit = plot.unit or "day"
    bars = [_bar_series("Verbrauch", theme.CONSUMPTION, [(b.consumption_kwh, b.partial) for b in plot.bars])]
    if plot.has_pv:
        bars.append(
            _bar_series("PV-Erzeugung", theme.PRODUCTION, [(b.production_kwh, b.partial) for b in plot.bars])
        )
    options: dict[str, Any] = {
        **_frame("kWh"),
        "tooltip": {"trigger": "axis", ":valueFormatter": _number("kWh", 2)},
        "xAxis": {"type": "category", "data": [bar_label(b, unit) for b in plot.bars]},
        "series": bars,
    }
    if len(plot.bars) > ZOOM_FROM_BARS:
        options["dataZoom"] = [{"type": "inside"}, {"type": "slider", "height": 20, "bottom": 16}]
    else:  # no slider under the bars: no room kept for one
        options["grid"] = {**options["grid"], "bottom": 40}
    return options


def bar_label(bar: EnergyBar, unit: BarUnit) -> str:
    """``14.03.2026, 15:00``, ``14.03.2026``, ``März 2026``; a partial bar adds ``(bis 14:05)``."""
    local = bar.start.astimezone(BERLIN)
    if unit == "hour":
        label = local.strftime("%d.%m.%Y, %H:%M")
    elif unit == "day":
        label = local.strftime("%d.%m.%Y")
    else:
        label = f"{MONTH_NAMES[local.month - 1]} {local.year}"
    clock = "%d.%m., %H:%M" if unit == "month" else "%H:%M"
    if bar.covered_from is not None:
        label += f" (ab {bar.covered_from.astimezone(BERLIN).strftime(clock)})"
    if bar.covered_until is not None:
        label += f" (bis {bar.covered_until.astimezone(BERLIN).strftime(clock)})"
    return label


def hourly_profile_chart(
    consumption: Sequence[float | None], production: Sequence[float | None] | None
) -> dict[str, Any]:
    """Mean kW per local hour of day (0–23 h): when the household uses (and produces) energy."""
    bars = [
        {
            "name": "Verbrauch",
            "type": "bar",
            "color": theme.CONSUMPTION,
            "data": [_value(v) for v in consumption],
        }
    ]
    if production is not None:
        bars.append(
            {
                "name": "PV-Erzeugung",
                "type": "bar",
                "color": theme.PRODUCTION,
                "data": [_value(v) for v in production],
            }
        )
    return {
        **_frame("kW"),
        "grid": {"left": 56, "right": 16, "top": 56, "bottom": 32},
        "tooltip": {"trigger": "axis", ":valueFormatter": _number("kW", 2)},
        "xAxis": {"type": "category", "data": [f"{hour:02d}" for hour in range(24)], "name": "Uhr"},
        "series": bars,
    }


def _frame(unit: str) -> dict[str, Any]:
    return {
        "aria": {"enabled": True},
        "animation": False,
        # The legend at the top right, and the plot low enough under it that the unit above the y axis
        # (top left) stays clear of it on a phone, where a centred legend reaches across the unit.
        "grid": {"left": 64, "right": 24, "top": 56, "bottom": 72},
        "legend": {"top": 4, "right": 8, "type": "scroll"},
        "yAxis": {
            "type": "value",
            "name": unit,
            "nameTextStyle": {"align": "left"},
            "axisLabel": {":formatter": _AXIS_NUMBER},
        },
    }


def _line(name: str, color: str, opacity: float, data: list[list[float | int | None]]) -> dict[str, Any]:
    return {
        "name": name,
        "type": "line",
        "showSymbol": False,
        "sampling": "lttb",
        "color": color,
        "areaStyle": {"opacity": opacity},
        "data": data,
    }


def _bar_series(name: str, color: str, values: list[tuple[float | None, bool]]) -> dict[str, Any]:
    data: list[Any] = [
        {"value": _value(value), "itemStyle": {"opacity": PARTIAL_OPACITY}} if partial else _value(value)
        for value, partial in values
    ]
    return {"name": name, "type": "bar", "color": color, "data": data}


def _points(series: Series | None, column: str) -> list[list[float | int | None]]:
    if series is None or column not in series.columns:
        return []
    ts, at = series.columns.index("ts"), series.columns.index(column)
    return [[_ms(row[ts]), _value(row[at])] for row in series.rows]
