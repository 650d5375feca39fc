"""``deploy/prometheus/luna-alerts.yml``: generated from the thresholds, valid, and firing when it should.

The committed file must equal a fresh generation (else Prometheus would judge other levels than
Luna), Prometheus' own ``promtool`` must accept it, and ``promtool test rules`` feeds it KPI series to
prove the expressions fire on a breach with enough samples and stay quiet otherwise.

``promtool`` comes with Debian's ``prometheus`` package (``.ci/run`` installs it); under ``CI=true``
a missing promtool fails instead of skipping, so the check cannot silently stop running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from luna.domain.flywheel.kpi_values import Kpi, Window
from luna.domain.flywheel.prometheus_rules import GROUP, expression, prometheus_rules
from luna.domain.flywheel.thresholds import EACH_TOPIC, Comparator, Threshold, load_thresholds

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = ROOT / "config" / "thresholds.yaml"
RULES = ROOT / "deploy" / "prometheus" / "luna-alerts.yml"
REGENERATE = (
    '.venv/bin/python -c "from pathlib import Path; '
    "from luna.domain.flywheel.thresholds import load_thresholds; "
    "from luna.domain.flywheel.prometheus_rules import prometheus_rules; "
    "Path('deploy/prometheus/luna-alerts.yml').write_text(prometheus_rules(load_thresholds("
    "Path('config/thresholds.yaml').read_text(encoding='utf-8'), 'config/thresholds.yaml')), "
    "encoding='utf-8')\""
)


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def generated() -> str:
    return prometheus_rules(load_thresholds(THRESHOLDS.read_text(encoding="utf-8"), str(THRESHOLDS)))


def test_the_committed_rules_are_generated_from_the_thresholds() -> None:
    assert RULES.read_text(encoding="utf-8") == generated(), (
        f"{RULES.relative_to(ROOT)} differs from config/thresholds.yaml; regenerate it from the "
        f"repository root with:\n{REGENERATE}"
    )


def test_one_rule_per_threshold_and_level_on_the_kpi_gauges() -> None:
    rules = yaml.safe_load(generated())["groups"]
    assert [group["name"] for group in rules] == [GROUP]
    thresholds = load_thresholds(THRESHOLDS.read_text(encoding="utf-8"))
    by_rule = [(rule["alert"], rule["labels"]["severity"]) for rule in rules[0]["rules"]]
    assert by_rule == [
        (threshold.name, severity.value)
        for threshold in thresholds
        for severity, _ in reversed(threshold.levels)
    ]
    first = rules[0]["rules"][0]
    assert first["expr"] == (
        'luna_kpi_value{kpi="usefulness_rate",window="day",scope="all"} < 0.6'
        ' and luna_kpi_samples{kpi="usefulness_rate",window="day",scope="all"} >= 20'
    )
    assert first["labels"] == {"severity": "warning", "service": "luna"}
    assert first["annotations"]["description"] == "Zu wenige Antworten werden als hilfreich bewertet."


def test_each_summary_writes_the_value_in_its_kpis_unit() -> None:
    rules = yaml.safe_load(generated())["groups"][0]["rules"]
    summaries = {rule["alert"]: rule["annotations"]["summary"] for rule in rules}
    assert summaries["usefulness_low"].endswith("{{ $value | humanizePercentage }}")
    assert summaries["latency_p95_high"].endswith("{{ $value | humanize }} ms")
    # a score of about 1.7, never "170 %"
    assert summaries["retrieval_confidence_low"].endswith("(Fenster day): {{ $value | humanize }}")


def test_each_topic_matches_every_topic_scope_and_labels_are_quoted() -> None:
    threshold = Threshold(
        name="x",
        kpi=Kpi.LATENCY_P95_MS,
        comparator=Comparator.GE,
        warning=3000.0,
        window=Window.HOUR,
        scope=EACH_TOPIC,
        min_samples=5,
        description="x",
    )
    assert expression(threshold, 3000.0) == (
        'luna_kpi_value{kpi="latency_p95_ms",window="hour",scope=~"topic:.*"} >= 3000'
        ' and luna_kpi_samples{kpi="latency_p95_ms",window="hour",scope=~"topic:.*"} >= 5'
    )
    quoted = replace(threshold, scope='topic:a"b\\c')
    assert 'scope="topic:a\\"b\\\\c"' in expression(quoted, 0.5)


def test_promtool_accepts_the_committed_rules() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def series(metric: str, kpi: str, window: str, scope: str, value: float) -> dict[str, str]:
    return {"series": f'{metric}{{kpi="{kpi}",window="{window}",scope="{scope}"}}', "values": f"{value}x10"}


def kpi(name: str, window: str, scope: str, value: float, samples: int) -> list[dict[str, str]]:
    return [
        series("luna_kpi_value", name, window, scope, value),
        series("luna_kpi_samples", name, window, scope, samples),
    ]


def expected(
    severity: str, kpi_name: str, window: str, scope: str, summary: str, description: str
) -> dict[str, Any]:
    return {
        "exp_labels": {
            "severity": severity,
            "service": "luna",
            "kpi": kpi_name,
            "window": window,
            "scope": scope,
        },
        "exp_annotations": {"summary": summary, "description": description},
    }


USEFUL = "Zu wenige Antworten werden als hilfreich bewertet."
THUMBS = "In diesem Thema werden auffällig viele Antworten mit 👎 bewertet."
SLOW = "Die Antwortzeit (95. Perzentil) ist zu hoch."


def test_promtool_unit_tests_prove_the_rules_fire(tmp_path: Path) -> None:
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    *kpi("usefulness_rate", "day", "all", 0.4, 40),
                    *kpi("usefulness_rate", "week", "all", 0.1, 400),  # another window: not judged
                    *kpi("thumbs_down_rate", "day", "topic:tarife", 0.4, 25),
                    *kpi("thumbs_down_rate", "day", "topic:zaehler", 0.9, 3),  # thin data: quiet
                    *kpi("thumbs_down_rate", "day", "all", 0.9, 400),  # each_topic ignores "all"
                    *kpi("latency_p95_ms", "hour", "all", 9000, 50),
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "5m",
                        "alertname": "usefulness_low",
                        "exp_alerts": [
                            expected(
                                "warning",
                                "usefulness_rate",
                                "day",
                                "all",
                                "Warnung: usefulness_rate < 0.6 im Bereich all (Fenster day): 40%",
                                USEFUL,
                            ),
                            expected(
                                "critical",
                                "usefulness_rate",
                                "day",
                                "all",
                                "Kritisch: usefulness_rate < 0.45 im Bereich all (Fenster day): 40%",
                                USEFUL,
                            ),
                        ],
                    },
                    {
                        "eval_time": "5m",
                        "alertname": "topic_thumbs_down_high",
                        "exp_alerts": [
                            expected(
                                "warning",
                                "thumbs_down_rate",
                                "day",
                                "topic:tarife",
                                "Warnung: thumbs_down_rate > 0.3 im Bereich topic:tarife (Fenster day): 40%",
                                THUMBS,
                            )
                        ],
                    },
                    {
                        "eval_time": "5m",
                        "alertname": "latency_p95_high",
                        "exp_alerts": [
                            expected(
                                severity,
                                "latency_p95_ms",
                                "hour",
                                "all",
                                f"{word}: latency_p95_ms > {level} im Bereich all (Fenster hour): 9k ms",
                                SLOW,
                            )
                            for severity, word, level in (
                                ("warning", "Warnung", 3000),
                                ("critical", "Kritisch", 8000),
                            )
                        ],
                    },
                    {"eval_time": "5m", "alertname": "refusals_high", "exp_alerts": []},
                ],
            }
        ],
    }
    test_file = tmp_path / "luna-alerts.test.yml"
    test_file.write_text(yaml.safe_dump(tests, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool(), "test", "rules", str(test_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
