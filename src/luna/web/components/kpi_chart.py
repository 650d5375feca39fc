"""A KPI over time with its threshold levels drawn as lines (the flywheel view)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from luna.domain.flywheel.kpi_values import KPI_TITLES, Kpi, KpiValue
from luna.domain.flywheel.thresholds import Threshold, is_rate

_LEVEL_COLOURS: Final = {"warning": "#b45309", "critical": "#b91c1c"}
_LEVEL_NAMES: Final = {"warning": "Warnung", "critical": "Kritisch"}


def _german(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def kpi_chart(kpi: Kpi, values: Sequence[KpiValue], thresholds: Sequence[Threshold]) -> dict[str, Any]:
    """``values`` oldest first (one window and scope); the thresholds on this KPI become marked lines."""
    scale = 100.0 if is_rate(kpi) else 1.0
    unit = " %" if is_rate(kpi) else " ms"
    levels = [
        {
            "name": f"{threshold.name}: {label}",
            "yAxis": round(level * scale, 2),
            "lineStyle": {"color": _LEVEL_COLOURS[label], "type": "dashed"},
            "label": {"formatter": f"{_LEVEL_NAMES[label]} {_german(level * scale)}{unit}"},
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
        "xAxis": {"type": "category", "data": [f"{v.bucket_start:%d.%m. %H:%M}" for v in values]},
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
