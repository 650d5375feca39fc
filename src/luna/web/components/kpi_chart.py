"""A KPI over time with its threshold levels drawn as lines (the flywheel view).

Buckets are labelled on German clocks: a day or week bucket by the Berlin date it starts on, an hour
bucket by its Berlin date and time (the KPI rollup counts from midnight UTC; see
:func:`~luna.web.components.formats.day_start_note` for the sentence that says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from luna.domain.flywheel.kpi_values import KPI_TITLES, Kpi, KpiValue, Window
from luna.domain.flywheel.thresholds import Threshold, is_rate
from luna.web.components.formats import de_day, de_day_hour, de_number, de_percent

_LEVEL_COLOURS: Final = {"warning": "#b45309", "critical": "#b91c1c"}
_LEVEL_NAMES: Final = {"warning": "Warnung", "critical": "Kritisch"}


def kpi_text(kpi: Kpi | None, value: float) -> str:
    """A KPI value as operators read it: ``14,3 %``, ``1,55`` (a score), ``850 ms``."""
    if kpi is Kpi.RETRIEVAL_CONFIDENCE:
        return de_number(value, 2)
    if kpi is None or is_rate(kpi):
        return de_percent(value, 1)
    return f"{de_number(value)} ms"


def bucket_label(value: KpiValue) -> str:
    """Where ``value``'s bucket starts in Berlin: ``23.11.`` (a day or week), ``23.11. 14:00`` (an hour)."""
    return de_day_hour(value.bucket_start) if value.window is Window.HOUR else de_day(value.bucket_start)


def kpi_chart(kpi: Kpi, values: Sequence[KpiValue], thresholds: Sequence[Threshold]) -> dict[str, Any]:
    """``values`` oldest first (one window and scope); the thresholds on this KPI become marked lines."""
    scale = 100.0 if is_rate(kpi) else 1.0
    unit = " %" if is_rate(kpi) else "" if kpi is Kpi.RETRIEVAL_CONFIDENCE else " ms"
    levels = [
        {
            "name": f"{threshold.name}: {label}",
            "yAxis": round(level * scale, 2),
            "lineStyle": {"color": _LEVEL_COLOURS[label], "type": "dashed"},
            "label": {"formatter": f"{_LEVEL_NAMES[label]} {de_number(level * scale, 1)}{unit}"},
        }
        for threshold in thresholds
        if threshold.kpi is kpi
        for label, level in (("warning", threshold.warning), ("critical", threshold.critical))
        if level is not None
    ]
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 56, "right": 96, "top": 24, "bottom": 32},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [bucket_label(v) for v in values]},
        "yAxis": {"type": "value", "name": unit.strip(), "min": 0, **({"max": 100} if is_rate(kpi) else {})},
        "series": [
            {
                "name": KPI_TITLES[kpi],
                "type": "line",
                "data": [round(v.value * scale, 2) for v in values],
                "markLine": {"symbol": "none", "data": levels},
            }
        ],
    }
