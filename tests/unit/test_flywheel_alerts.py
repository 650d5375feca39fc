"""``evaluate`` and the payloads: when an alert fires, escalates, calms down and resolves, and what is sent.

The states passed back in are what the caller stored after the last run, so each test runs the
evaluation the way the hourly cycle does: one call per hour, feeding each call's states to the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from luna.domain.flywheel.alerts import (
    NO_END,
    RETIRED,
    AlertChange,
    AlertKey,
    AlertState,
    alertmanager_payload,
    evaluate,
    fingerprint,
    generic_payload,
)
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window, topic_scope
from luna.domain.flywheel.thresholds import EACH_TOPIC, Comparator, Severity, Threshold

DAY = datetime(2025, 3, 5, tzinfo=UTC)
NOW = DAY + timedelta(hours=10)
USEFULNESS = Threshold(
    name="usefulness_low",
    kpi=Kpi.USEFULNESS_RATE,
    comparator=Comparator.LT,
    warning=0.6,
    critical=0.45,
    window=Window.DAY,
    min_samples=20,
    hysteresis=0.05,
    description="Zu wenige Antworten werden als hilfreich bewertet.",
    actions=("knowledge_gap",),
)
THUMBS_DOWN = Threshold(
    name="topic_thumbs_down_high",
    kpi=Kpi.THUMBS_DOWN_RATE,
    comparator=Comparator.GT,
    warning=0.3,
    critical=0.5,
    window=Window.DAY,
    scope=EACH_TOPIC,
    description="Viele 👎 in diesem Thema.",
)
WARNING, CRITICAL = Severity.WARNING, Severity.CRITICAL


def usefulness(value: float, samples: int = 40, *, bucket: datetime = DAY, scope: str = ALL) -> KpiValue:
    return KpiValue(Kpi.USEFULNESS_RATE, Window.DAY, bucket, scope, value, samples)


def thumbs_down(topic: str, value: float, samples: int = 40) -> KpiValue:
    return KpiValue(Kpi.THUMBS_DOWN_RATE, Window.DAY, DAY, topic_scope(topic), value, samples)


class Hourly:
    """Runs ``evaluate`` once per call, an hour apart, keeping the states like the stored ones."""

    def __init__(self, thresholds: Sequence[Threshold] = (USEFULNESS,)) -> None:
        self.thresholds = thresholds
        self.states: dict[AlertKey, AlertState] = {}
        self.now = NOW

    def run(self, *values: KpiValue) -> list[AlertChange]:
        self.now += timedelta(hours=1)
        self.states, changes = evaluate(self.thresholds, values, self.states, self.now)
        return changes

    def severity(self, scope: str = ALL, name: str = "usefulness_low") -> Severity | None:
        return self.states[(name, scope)].severity

    def moves(self, *values: float) -> list[tuple[Severity | None, Severity | None]]:
        """The severity moves across a run per value (the usefulness rate of the day, 40 samples)."""
        return [(change.before, change.after) for value in values for change in self.run(usefulness(value))]


# --- firing, escalating, resolving -----------------------------------------------------------------


def test_a_value_past_the_warning_level_fires_a_warning() -> None:
    hourly = Hourly()
    (change,) = hourly.run(usefulness(0.55))
    assert change == AlertChange(
        threshold="usefulness_low",
        scope=ALL,
        before=None,
        after=WARNING,
        value=0.55,
        samples=40,
        at=hourly.now,
        description=USEFULNESS.description,
        kpi=Kpi.USEFULNESS_RATE,
    )
    assert change.fired and not (change.resolved or change.escalated or change.de_escalated)
    state = hourly.states[("usefulness_low", ALL)]
    assert state.firing and (state.since, state.evaluated_at) == (hourly.now, hourly.now)


def test_a_good_value_records_an_ok_state_without_a_change() -> None:
    hourly = Hourly()
    assert hourly.run(usefulness(0.8)) == []
    assert hourly.severity() is None and not hourly.states[("usefulness_low", ALL)].firing


def test_critical_beats_warning() -> None:
    hourly = Hourly()
    assert hourly.moves(0.4) == [(None, CRITICAL)]


def test_hysteresis_keeps_an_alert_firing_until_the_value_is_clearly_back() -> None:
    # warning 0.6, hysteresis 0.05: fires at 0.55, holds at 0.62, resolves at 0.66
    hourly = Hourly()
    assert hourly.moves(0.55, 0.62) == [(None, WARNING)]
    assert hourly.severity() is WARNING
    (change,) = hourly.run(usefulness(0.66))
    assert (change.before, change.after, change.resolved) == (WARNING, None, True)


def test_without_an_alert_the_band_above_the_level_does_not_fire() -> None:
    assert Hourly().moves(0.62) == []


def test_escalation_and_de_escalation_pass_through_the_levels() -> None:
    hourly = Hourly()
    moves = hourly.moves(0.55, 0.44, 0.48, 0.52, 0.63, 0.7)
    assert moves == [(None, WARNING), (WARNING, CRITICAL), (CRITICAL, WARNING), (WARNING, None)]
    # 0.48 holds critical (within 0.45 + 0.05); 0.52 drops to warning; 0.63 holds the warning
    assert hourly.states[("usefulness_low", ALL)].value == 0.7


def test_escalated_and_de_escalated_say_which_way_it_went() -> None:
    hourly = Hourly()
    hourly.run(usefulness(0.55))
    (up,) = hourly.run(usefulness(0.4))
    (down,) = hourly.run(usefulness(0.56))
    assert (up.escalated, up.de_escalated, down.escalated, down.de_escalated) == (True, False, False, True)


def test_since_stays_while_the_severity_stays_and_moves_with_it() -> None:
    hourly = Hourly()
    hourly.run(usefulness(0.55))
    fired_at = hourly.now
    hourly.run(usefulness(0.5))
    assert hourly.states[("usefulness_low", ALL)].since == fired_at
    assert hourly.states[("usefulness_low", ALL)].evaluated_at == hourly.now
    hourly.run(usefulness(0.4))
    assert hourly.states[("usefulness_low", ALL)].since == hourly.now


def test_a_greater_than_threshold_fires_on_rising_values_and_lets_go_below_its_band() -> None:
    rising = Threshold(
        name="refusals_high",
        kpi=Kpi.REFUSAL_RATE,
        comparator=Comparator.GT,
        warning=0.35,
        window=Window.DAY,
        hysteresis=0.05,
        description="Viele Ablehnungen.",
    )
    hourly = Hourly([rising])
    moves = [
        (change.before, change.after)
        for value in (0.3, 0.36, 0.31, 0.29)
        for change in hourly.run(KpiValue(Kpi.REFUSAL_RATE, Window.DAY, DAY, ALL, value, 40))
    ]
    assert moves == [(None, WARNING), (WARNING, None)]


@pytest.mark.parametrize(("comparator", "fires"), [(Comparator.LT, False), (Comparator.LE, True)])
def test_a_value_at_the_level_fires_only_with_an_inclusive_comparator(
    comparator: Comparator, fires: bool
) -> None:
    threshold = Threshold(
        name="x",
        kpi=Kpi.USEFULNESS_RATE,
        comparator=comparator,
        warning=0.6,
        window=Window.DAY,
        description="x",
    )
    _, changes = evaluate([threshold], [usefulness(0.6)], {}, NOW)
    assert bool(changes) is fires


# --- thin data, buckets, scopes ---------------------------------------------------------------------


def test_thin_data_neither_fires_nor_clears() -> None:
    hourly = Hourly()
    assert hourly.run(usefulness(0.1, samples=19)) == []
    assert hourly.states == {}
    hourly.run(usefulness(0.55))
    before = hourly.states
    assert hourly.run(usefulness(0.9, samples=3)) == []
    assert hourly.states == before, "the state, its value and its evaluation time stay as they were"


def test_a_missing_value_leaves_the_state_alone() -> None:
    hourly = Hourly()
    hourly.run(usefulness(0.55))
    before = hourly.states
    assert hourly.run() == []
    assert hourly.states == before


def test_only_the_latest_bucket_counts() -> None:
    yesterday = usefulness(0.9, bucket=DAY - timedelta(days=1))
    hourly = Hourly()
    assert [(c.before, c.after) for c in hourly.run(usefulness(0.4), yesterday)] == [(None, CRITICAL)]
    other_window = KpiValue(Kpi.USEFULNESS_RATE, Window.HOUR, NOW, ALL, 0.1, 40)
    other_kpi = KpiValue(Kpi.REFUSAL_RATE, Window.DAY, DAY, ALL, 0.1, 40)
    assert hourly.run(usefulness(0.4), other_window, other_kpi) == []


def test_a_scoped_threshold_reads_only_its_scope() -> None:
    tariffs = Threshold(
        name="tarife_usefulness",
        kpi=Kpi.USEFULNESS_RATE,
        comparator=Comparator.LT,
        warning=0.6,
        window=Window.DAY,
        scope=topic_scope("tarife"),
        description="Tarife: wenig hilfreich.",
    )
    hourly = Hourly([tariffs])
    changes = hourly.run(
        usefulness(0.1), usefulness(0.5, scope="topic:tarife"), usefulness(0.1, scope="topic:x")
    )
    assert [(c.scope, c.after) for c in changes] == [("topic:tarife", WARNING)]


def test_each_topic_is_one_alert_per_topic_present() -> None:
    hourly = Hourly([THUMBS_DOWN])
    all_scope = KpiValue(Kpi.THUMBS_DOWN_RATE, Window.DAY, DAY, ALL, 0.9, 400)
    changes = hourly.run(
        thumbs_down("tarife", 0.55), thumbs_down("zaehler", 0.1), thumbs_down("smart_meter", 0.35), all_scope
    )
    assert [(c.scope, c.after) for c in changes] == [
        ("topic:smart_meter", WARNING),
        ("topic:tarife", CRITICAL),
    ]
    assert set(hourly.states) == {
        ("topic_thumbs_down_high", scope) for scope in ("topic:smart_meter", "topic:tarife", "topic:zaehler")
    }
    (change,) = hourly.run(thumbs_down("tarife", 0.1), thumbs_down("zaehler", 0.1))
    assert (change.scope, change.resolved) == ("topic:tarife", True)
    assert hourly.severity("topic:smart_meter", "topic_thumbs_down_high") is WARNING, "no value: unchanged"


# --- de-duplication and retired thresholds --------------------------------------------------------------


def test_judging_the_same_values_again_reports_nothing_new() -> None:
    values = [usefulness(0.5), thumbs_down("tarife", 0.6)]
    hourly = Hourly([USEFULNESS, THUMBS_DOWN])
    assert len(hourly.run(*values)) == 2
    assert hourly.run(*values) == []
    assert hourly.run(*values) == []


def test_evaluate_is_pure() -> None:
    previous = {("usefulness_low", ALL): AlertState("usefulness_low", ALL, WARNING, 0.55, 40, NOW, NOW)}
    frozen = dict(previous)
    first = evaluate([USEFULNESS], [usefulness(0.3)], previous, NOW)
    assert previous == frozen
    assert evaluate([USEFULNESS], [usefulness(0.3)], previous, NOW) == first


def test_an_alert_whose_threshold_left_the_file_resolves_once() -> None:
    previous: Mapping[AlertKey, AlertState] = {
        ("gone", ALL): AlertState("gone", ALL, CRITICAL, 0.1, 40, NOW, NOW),
        ("gone_ok", ALL): AlertState("gone_ok", ALL, None, 0.9, 40, NOW, NOW),
        ("topic_thumbs_down_high", ALL): AlertState(
            "topic_thumbs_down_high", ALL, WARNING, 0.4, 40, NOW, NOW
        ),
        ("topic_thumbs_down_high", "topic:a"): AlertState(
            "topic_thumbs_down_high", "topic:a", WARNING, 0.4, 40, NOW, NOW
        ),
    }
    later = NOW + timedelta(hours=1)
    states, changes = evaluate([THUMBS_DOWN], [], previous, later)
    assert [(c.threshold, c.scope, c.before, c.after, c.description) for c in changes] == [
        ("gone", ALL, CRITICAL, None, RETIRED),
        ("topic_thumbs_down_high", ALL, WARNING, None, RETIRED),  # its scope became each_topic
    ]
    assert states[("gone", ALL)].severity is None and states[("gone", ALL)].since == later
    assert states[("gone_ok", ALL)] == previous[("gone_ok", ALL)]
    assert states[("topic_thumbs_down_high", "topic:a")].severity is WARNING
    assert evaluate([THUMBS_DOWN], [], states, later)[1] == []


# --- payloads -----------------------------------------------------------------------------------------


def changes_of(*runs: float) -> list[AlertChange]:
    hourly = Hourly()
    return [change for value in runs for change in hourly.run(usefulness(value))]


def test_alertmanager_payload_has_the_webhook_shape() -> None:
    (fired,) = changes_of(0.55)
    payload = alertmanager_payload([fired], external_url="https://luna.example/")
    labels = {
        "alertname": "usefulness_low",
        "kpi": "usefulness_rate",
        "scope": "all",
        "severity": "warning",
        "service": "luna",
    }
    assert payload == {
        "version": "4",
        "groupKey": "luna",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "luna",
        "groupLabels": {"service": "luna"},
        "commonLabels": labels,
        "commonAnnotations": payload["alerts"][0]["annotations"],
        "externalURL": "https://luna.example/",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {
                    "summary": "Warnung: usefulness_rate = 0.55 bei 40 Stichproben (all)",
                    "description": "Zu wenige Antworten werden als hilfreich bewertet.",
                },
                "startsAt": "2025-03-05T11:00:00Z",
                "endsAt": NO_END,
                "generatorURL": "https://luna.example/admin/flywheel",
                "fingerprint": fingerprint(labels),
            }
        ],
    }


def test_an_escalation_resolves_the_warning_and_fires_the_critical_alert() -> None:
    _, escalated = changes_of(0.55, 0.4)
    payload = alertmanager_payload([escalated], external_url="https://luna.example")
    alerts = payload["alerts"]
    assert [(a["status"], a["labels"]["severity"]) for a in alerts] == [
        ("resolved", "warning"),
        ("firing", "critical"),
    ]
    assert alerts[0]["endsAt"] == "2025-03-05T12:00:00Z" and alerts[1]["endsAt"] == NO_END
    assert payload["status"] == "firing"
    assert (
        "severity" not in payload["commonLabels"] and payload["commonLabels"]["alertname"] == "usefulness_low"
    )


def test_a_resolved_payload_matches_its_firing_alert_by_fingerprint() -> None:
    fired, resolved = changes_of(0.55, 0.7)
    firing = alertmanager_payload([fired], external_url="x")["alerts"][0]
    payload = alertmanager_payload([resolved], external_url="x")
    assert payload["status"] == "resolved"
    assert payload["alerts"][0]["annotations"]["summary"].startswith(
        "Behoben (Warnung): usefulness_rate = 0.7"
    )
    assert payload["alerts"][0]["fingerprint"] == firing["fingerprint"]
    assert payload["alerts"][0]["labels"] == firing["labels"]


def test_the_fingerprint_is_stable_and_depends_only_on_the_labels() -> None:
    labels = {"alertname": "a", "scope": "all", "severity": "warning"}
    assert fingerprint(labels) == fingerprint(dict(reversed(labels.items())))
    assert fingerprint(labels) == "3d3c7f88d6a9c03b", "a receiver keys on it: never change it"
    assert fingerprint({**labels, "severity": "critical"}) != fingerprint(labels)
    assert fingerprint({"a": "b=c"}) != fingerprint({"a=b": "c"})


def test_a_change_without_its_kpi_leaves_the_label_out() -> None:
    stored = AlertChange("usefulness_low", ALL, None, WARNING, 0.5, 30, NOW.replace(tzinfo=None), "d")
    (alert,) = alertmanager_payload([stored], external_url="x")["alerts"]
    assert "kpi" not in alert["labels"]
    assert alert["annotations"]["summary"] == "Warnung: usefulness_low = 0.5 bei 30 Stichproben (all)"
    assert alert["startsAt"] == "2025-03-05T10:00:00Z", "a naive time is UTC"


def test_generic_payload_lists_each_change_once() -> None:
    changes = changes_of(0.55, 0.4, 0.7)
    assert generic_payload(changes) == {
        "source": "luna",
        "alerts": [
            {
                "threshold": "usefulness_low",
                "scope": "all",
                "state": state,
                "severity": severity,
                "previous": previous,
                "value": value,
                "samples": 40,
                "at": at,
                "description": USEFULNESS.description,
            }
            for state, severity, previous, value, at in [
                ("firing", "warning", None, 0.55, "2025-03-05T11:00:00Z"),
                ("firing", "critical", "warning", 0.4, "2025-03-05T12:00:00Z"),
                ("resolved", "critical", "critical", 0.7, "2025-03-05T13:00:00Z"),
            ]
        ],
    }
