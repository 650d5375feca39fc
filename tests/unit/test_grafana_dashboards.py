"""``deploy/grafana``: the dashboards show the alerting levels, query only what Luna exports, and the
compose stack provisions them where the provider looks.

The flywheel dashboard must equal a fresh generation from ``config/thresholds.yaml`` (else an
operator watches lines no alert uses); independently of the generator, every threshold must have a
panel on its KPI and window whose threshold steps are exactly its levels. Every PromQL expression
may name only metrics that Luna's collectors really produce, read from the collectors themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from luna.api.prometheus import HttpMetrics, UsageCollector
from luna.api.prometheus_kpis import KpiCollector
from luna.domain.flywheel.grafana_dashboard import flywheel_dashboard, flywheel_dashboard_json
from luna.domain.flywheel.thresholds import Threshold, load_thresholds
from luna.services.flywheel.grafana import default_dashboards_dir, load_dashboards

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = ROOT / "config" / "thresholds.yaml"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
FLYWHEEL = DASHBOARDS / "luna-flywheel.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
REGENERATE = (
    '.venv/bin/python -c "from pathlib import Path; '
    "from luna.domain.flywheel.thresholds import load_thresholds; "
    "from luna.domain.flywheel.grafana_dashboard import flywheel_dashboard_json; "
    "Path('deploy/grafana/dashboards/luna-flywheel.json').write_text(flywheel_dashboard_json(load_thresholds("
    "Path('config/thresholds.yaml').read_text(encoding='utf-8'), 'config/thresholds.yaml')), "
    "encoding='utf-8')\""
)
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_LUNA_METRIC = re.compile(r"\bluna_[a-z0-9_]+\b")


def thresholds() -> tuple[Threshold, ...]:
    return load_thresholds(THRESHOLDS.read_text(encoding="utf-8"), str(THRESHOLDS))


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(DASHBOARDS.glob("*.json"))
    }


def exported_metrics() -> set[str]:
    """The sample names Luna's /metrics can carry, from the collectors' own families."""
    http = HttpMetrics(lambda: {})
    families = [
        *http.registry.collect(),
        *UsageCollector(lambda: pytest.fail("describing reads nothing")).describe(),
        *KpiCollector(lambda: []).describe(),
    ]
    return {family.name + suffix for family in families for suffix in _SUFFIXES.get(family.type, ("",))}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def promql(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if "expr" in target:
                yield target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            yield variable["definition"]


def level_problems(dashboard: dict[str, Any], judged: tuple[Threshold, ...]) -> list[str]:
    """Each threshold without exactly one panel on its KPI and window drawing exactly its levels."""
    problems = []
    for threshold in judged:
        selector = f'kpi="{threshold.kpi.value}",window="{threshold.window.value}"'
        found = [
            panel
            for panel in panels(dashboard)
            if any(selector in target.get("expr", "") for target in panel.get("targets", []))
        ]
        if len(found) != 1:
            problems.append(f"{threshold.name}: {len(found)} panels on {selector}")
            continue
        defaults = found[0]["fieldConfig"]["defaults"]
        steps = sorted(step["value"] for step in defaults["thresholds"]["steps"] if step["value"] is not None)
        if steps != sorted(level for _, level in threshold.levels):
            problems.append(f"{threshold.name}: panel draws {steps}, thresholds.yaml has {threshold.levels}")
        if defaults["custom"]["thresholdsStyle"]["mode"] == "off":
            problems.append(f"{threshold.name}: the panel hides its threshold lines")
    return problems


def test_the_committed_flywheel_dashboard_is_generated_from_the_thresholds() -> None:
    assert FLYWHEEL.read_text(encoding="utf-8") == flywheel_dashboard_json(thresholds()), (
        f"{FLYWHEEL.relative_to(ROOT)} differs from config/thresholds.yaml; regenerate it from the "
        f"repository root with:\n{REGENERATE}"
    )


def test_every_threshold_has_a_panel_drawing_exactly_its_levels() -> None:
    judged = thresholds()
    assert {threshold.kpi for threshold in judged} and level_problems(
        dashboards()[FLYWHEEL.name], judged
    ) == []


def test_each_panel_has_its_kpis_unit() -> None:
    def unit(kpi: str) -> dict[str, Any]:
        (panel,) = [
            panel
            for panel in panels(dashboards()[FLYWHEEL.name])
            if any(f'kpi="{kpi}",window=' in t.get("expr", "") for t in panel.get("targets", []))
        ]
        defaults: dict[str, Any] = panel["fieldConfig"]["defaults"]
        return {key: defaults.get(key) for key in ("unit", "min", "max")}

    assert unit("usefulness_rate") == {"unit": "percentunit", "min": 0, "max": 1}
    assert unit("latency_p95_ms") == {"unit": "ms", "min": 0, "max": None}
    # a mean of fused scores (about 1.7): a share axis would cut it off at 100 %
    assert unit("retrieval_confidence") == {"unit": "none", "min": 0, "max": None}


def test_a_level_the_dashboard_does_not_draw_is_found() -> None:
    """The check can fail: a warning level moved in the YAML but not in the dashboard is reported."""
    judged = thresholds()
    drawn = sorted(level for _, level in judged[0].levels)
    moved = replace(judged[0], warning=(drawn[0] + drawn[1]) / 2)
    assert level_problems(flywheel_dashboard(judged), (moved, *judged[1:])) == [
        f"{moved.name}: panel draws {drawn}, thresholds.yaml has {moved.levels}"
    ]


def test_every_promql_expression_names_only_metrics_luna_exports() -> None:
    exported = exported_metrics()
    assert {
        "luna_kpi_value",
        "luna_http_requests_total",
        "luna_http_request_duration_seconds_bucket",
    } <= exported
    for name, dashboard in dashboards().items():
        for expr in promql(dashboard):
            named = set(_LUNA_METRIC.findall(_QUOTED.sub('""', expr)))
            assert named, f"{name}: {expr!r} names no Luna metric"
            assert named <= exported, f"{name}: {expr!r} names {sorted(named - exported)}, not in /metrics"


def test_uids_are_unique_and_panels_numbered_once_per_dashboard() -> None:
    loaded = dashboards()
    assert {"luna-flywheel.json", "luna-operations.json"} <= set(loaded)
    uids = [dashboard["uid"] for dashboard in loaded.values()]
    assert len(uids) == len(set(uids)), uids
    for name, dashboard in loaded.items():
        ids = [panel["id"] for panel in panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{name}: panel ids {ids}"
        assert dashboard["schemaVersion"] >= 39 and dashboard["title"].startswith("Luna")
    assert [d.uid for d in load_dashboards(default_dashboards_dir())] == uids


def test_compose_provisions_the_dashboards_where_the_provider_reads_them() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8"))
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "luna.yml").read_text(encoding="utf-8"))
    sources = yaml.safe_load((PROVISIONING / "datasources" / "luna.yml").read_text(encoding="utf-8"))
    grafana = compose["services"]["grafana"]
    (path,) = [p["options"]["path"] for p in provider["providers"]]
    assert f"./grafana/dashboards:{path}:ro" in grafana["volumes"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert re.fullmatch(r"grafana/grafana-oss:\d+\.\d+\.\d+", grafana["image"])
    by_type = {source["type"]: source for source in sources["datasources"]}
    assert by_type["prometheus"]["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
    postgres = by_type["grafana-postgresql-datasource"]
    assert postgres["url"] == "postgres:5432" and postgres["jsonData"]["database"] == "luna"
    assert "POSTGRES_PASSWORD" in grafana["environment"] and {"prometheus", "postgres"} <= set(
        grafana["depends_on"]
    )
