"""The flywheel's Grafana dashboard, generated from the thresholds so its lines are the alerting levels.

A hand-edited dashboard would drift from ``config/thresholds.yaml`` the first time a level changes,
and an operator would then watch a line that no alert uses. So, like the Prometheus rules
(:mod:`luna.domain.flywheel.prometheus_rules`), ``deploy/grafana/dashboards/luna-flywheel.json`` is
generated, committed, and compared with a fresh generation by ``tests/unit/test_grafana_dashboards.py``.

Each KPI gets one panel of ``luna_kpi_value`` in the window its threshold judges (day when none
does), with the threshold's warning and critical levels as threshold lines; a template variable
picks the scopes (``all``, ``topic:<name>``). Data sources are template variables too, so the same
JSON works in the provisioned Grafana of ``deploy/docker-compose.yml`` and in any Grafana that
``luna grafana sync`` pushes it to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from luna.domain.flywheel.kpi_values import KPI_TITLES, Kpi, Window
from luna.domain.flywheel.thresholds import Threshold, is_rate

UID: Final = "luna-flywheel"
TITLE: Final = "Luna – Daten-Schwungrad"
#: The panels' data sources: variables of type ``datasource`` (Prometheus, PostgreSQL).
PROMETHEUS: Final = {"type": "prometheus", "uid": "${datasource}"}
POSTGRES: Final = {"type": "grafana-postgresql-datasource", "uid": "${sql}"}
_WINDOW_TITLES: Final = {Window.HOUR: "Stunde", Window.DAY: "Tag", Window.WEEK: "Woche"}
_WIDTH: Final = 12
_HEIGHT: Final = 8
#: Day values from SQL: every rate KPI over all sessions (latency has another unit, so it is left out).
_SQL_DAY_RATES: Final = (
    'SELECT bucket_start AS "time", kpi AS metric, value FROM kpi_values\n'
    "WHERE \"window\" = 'day' AND scope = 'all' AND kpi <> 'latency_p95_ms'\n"
    "  AND $__timeFilter(bucket_start)\nORDER BY 1"
)


def _steps(threshold: Threshold | None) -> list[dict[str, Any]]:
    """Grafana colours a value by the highest step at or below it, so the order follows the comparator."""
    if threshold is None:
        return [{"color": "green", "value": None}]
    if threshold.comparator.lower_is_worse:
        levels = [("orange", threshold.critical), ("green", threshold.warning)]
        return [{"color": "red", "value": None}, *_present(levels)]
    levels = [("orange", threshold.warning), ("red", threshold.critical)]
    return [{"color": "green", "value": None}, *_present(levels)]


def _present(levels: Sequence[tuple[str, float | None]]) -> list[dict[str, Any]]:
    return [{"color": colour, "value": level} for colour, level in levels if level is not None]


def _unit(kpi: Kpi) -> dict[str, Any]:
    if is_rate(kpi):
        return {"unit": "percentunit", "min": 0, "max": 1}
    return {"unit": "ms", "min": 0} if kpi is Kpi.LATENCY_P95_MS else {"unit": "none", "min": 0}


def _field_config(unit: dict[str, Any], steps: list[dict[str, Any]], lines: bool) -> dict[str, Any]:
    custom = {
        "drawStyle": "line",
        "lineInterpolation": "stepAfter",
        "lineWidth": 2,
        "fillOpacity": 0,
        "showPoints": "never",
        "spanNulls": False,
        "thresholdsStyle": {"mode": "line" if lines else "off"},
    }
    thresholds = {"mode": "absolute", "steps": steps}
    return {"defaults": {**unit, "custom": custom, "thresholds": thresholds}, "overrides": []}


def _timeseries(
    title: str, description: str, targets: list[dict[str, Any]], field_config: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": targets[0]["datasource"],
        "description": description,
        "targets": targets,
        "fieldConfig": field_config,
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    }


def _prometheus(expr: str, legend: str) -> dict[str, Any]:
    return {"datasource": PROMETHEUS, "expr": expr, "legendFormat": legend, "refId": "A"}


def kpi_panel(kpi: Kpi, threshold: Threshold | None) -> dict[str, Any]:
    """The KPI in its threshold's window per chosen scope, the threshold's levels as lines."""
    window = threshold.window if threshold is not None else Window.DAY
    expr = f'luna_kpi_value{{kpi="{kpi.value}",window="{window.value}",scope=~"$scope"}}'
    description = f"`{kpi.value}`, neuester Wert je {_WINDOW_TITLES[window]}."
    if threshold is not None:
        description += f" Schwelle `{threshold.name}`: {threshold.description}"
    field_config = _field_config(_unit(kpi), _steps(threshold), lines=threshold is not None)
    title = f"{KPI_TITLES[kpi]} ({_WINDOW_TITLES[window]})"
    return _timeseries(title, description, [_prometheus(expr, "{{scope}}")], field_config)


def _samples_panel() -> dict[str, Any]:
    expr = 'luna_kpi_samples{window="day",scope=~"$scope"}'
    description = (
        "Beobachtungen, auf denen der neueste Tageswert jeder KPI beruht (unter min_samples löst nichts aus)."
    )
    field_config = _field_config({"unit": "short", "min": 0}, _steps(None), lines=False)
    return _timeseries(
        "Stichproben je KPI (Tag)", description, [_prometheus(expr, "{{kpi}} {{scope}}")], field_config
    )


def _sql_panel() -> dict[str, Any]:
    target = {
        "datasource": POSTGRES,
        "format": "time_series",
        "rawQuery": True,
        "rawSql": _SQL_DAY_RATES,
        "refId": "A",
    }
    description = (
        "Alle gespeicherten Tageswerte aus der Tabelle kpi_values, unabhängig von Prometheus' Aufbewahrung."
    )
    field_config = _field_config(_unit(Kpi.USEFULNESS_RATE), _steps(None), lines=False)
    return _timeseries("Tageswerte aus der Datenbank (gesamt)", description, [target], field_config)


def _variables() -> list[dict[str, Any]]:
    scope_query = "label_values(luna_kpi_value, scope)"
    return [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus", "hide": 0},
        {"name": "sql", "label": "Datenbank", "type": "datasource", "query": POSTGRES["type"], "hide": 0},
        {
            "name": "scope",
            "label": "Bereich",
            "type": "query",
            "datasource": PROMETHEUS,
            "definition": scope_query,
            "query": {"query": scope_query, "refId": "scope"},
            "refresh": 2,
            "sort": 1,
            "multi": True,
            "includeAll": True,
            "allValue": ".*",
            "current": {"text": ["all"], "value": ["all"]},
            "hide": 0,
        },
    ]


def _laid_out(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two panels a row, numbered in order (Grafana needs an ``id`` unique within the dashboard)."""
    return [
        {
            "id": index + 1,
            "gridPos": {"x": (index % 2) * _WIDTH, "y": (index // 2) * _HEIGHT, "w": _WIDTH, "h": _HEIGHT},
            **panel,
        }
        for index, panel in enumerate(panels)
    ]


def flywheel_dashboard(thresholds: Sequence[Threshold]) -> dict[str, Any]:
    """One panel per KPI (the first threshold on it gives window and levels), then samples and SQL."""
    first = {threshold.kpi: threshold for threshold in reversed(thresholds)}
    panels = [kpi_panel(kpi, first.get(kpi)) for kpi in Kpi]
    return {
        "id": None,
        "uid": UID,
        "title": TITLE,
        "description": "KPIs des Daten-Schwungrads mit den Schwellen aus config/thresholds.yaml (generiert).",
        "tags": ["luna", "flywheel"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 39,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "templating": {"list": _variables()},
        "panels": _laid_out([*panels, _samples_panel(), _sql_panel()]),
    }


def flywheel_dashboard_json(thresholds: Sequence[Threshold]) -> str:
    """The committed file's exact text: stable key order, German characters as they are."""
    return json.dumps(flywheel_dashboard(thresholds), indent=2, ensure_ascii=False) + "\n"
