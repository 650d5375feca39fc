"""The thresholds as Prometheus alerting rules, for sites that alert from their own Prometheus.

Luna exports the newest bucket of every KPI as ``luna_kpi_value{kpi,window,scope}`` and the
observations it rests on as ``luna_kpi_samples{kpi,window,scope}``; each rule judges exactly these,
so Prometheus and Luna's own evaluation (``alerts.evaluate``) fire on the same numbers. One rule per
threshold and level, named after the threshold, with the level as the ``severity`` label (a critical
breach fires both rules; Alertmanager's inhibition can mute the warning). Hysteresis is Luna's own:
PromQL has no memory of which level an alert reached.

The output is deterministic, so ``deploy/prometheus/luna-alerts.yml`` is generated, committed, and
compared with a fresh generation by a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import yaml

from luna.domain.flywheel.kpi_values import Kpi
from luna.domain.flywheel.thresholds import EACH_TOPIC, TOPIC_PREFIX, Severity, Threshold, is_rate

GROUP: Final = "luna-flywheel"
HEADER: Final = (
    "# Prometheus alerting rules for Luna's flywheel KPIs. GENERATED from config/thresholds.yaml by\n"
    "# luna.domain.flywheel.prometheus_rules; do not edit here (tests/unit/test_prometheus_rules.py\n"
    "# fails when this file and the thresholds differ, and prints the command that regenerates it).\n"
)
_SEVERITY_DE: Final = {Severity.WARNING: "Warnung", Severity.CRITICAL: "Kritisch"}


def _quoted(text: str) -> str:
    """A PromQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: float) -> str:
    """``3000`` rather than ``3000.0``, and the shortest exact form otherwise."""
    return str(int(value)) if value.is_integer() else repr(value)


def _selector(metric: str, threshold: Threshold) -> str:
    scope = (
        f"scope=~{_quoted(TOPIC_PREFIX + '.*')}"
        if threshold.scope == EACH_TOPIC
        else f"scope={_quoted(threshold.scope)}"
    )
    return f"{metric}{{kpi={_quoted(threshold.kpi.value)},window={_quoted(threshold.window.value)},{scope}}}"


def expression(threshold: Threshold, level: float) -> str:
    """The KPI past ``level``, on enough samples (thin data never fires, as in Luna's own evaluation)."""
    value = _selector("luna_kpi_value", threshold)
    samples = _selector("luna_kpi_samples", threshold)
    return f"{value} {threshold.comparator.value} {_number(level)} and {samples} >= {threshold.min_samples}"


def _shown(kpi: Kpi) -> str:
    """The KPI's value as the alert's summary writes it: a share as a percentage, a latency in ms, the
    retrieval confidence as the score it is."""
    if is_rate(kpi):
        return "{{ $value | humanizePercentage }}"
    return "{{ $value | humanize }} ms" if kpi is Kpi.LATENCY_P95_MS else "{{ $value | humanize }}"


def _rule(threshold: Threshold, severity: Severity, level: float) -> dict[str, Any]:
    shown = _shown(threshold.kpi)
    summary = (
        f"{_SEVERITY_DE[severity]}: {threshold.kpi.value} {threshold.comparator.value} {_number(level)}"
        f" im Bereich {{{{ $labels.scope }}}} (Fenster {threshold.window.value}): {shown}"
    )
    return {
        "alert": threshold.name,
        "expr": expression(threshold, level),
        "labels": {"severity": severity.value, "service": "luna"},
        "annotations": {"summary": summary, "description": threshold.description},
    }


def prometheus_rules(thresholds: Sequence[Threshold]) -> str:
    """A Prometheus rules file (``rule_files:``) with one rule per threshold and level, warning first."""
    rules = [
        _rule(threshold, severity, level)
        for threshold in thresholds
        for severity, level in reversed(threshold.levels)
    ]
    document = {"groups": [{"name": GROUP, "rules": rules}]}
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000)
