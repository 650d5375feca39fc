"""Alerts: thresholds judged against the newest KPI values, and the changes sent to a receiver.

An alert is one (threshold, scope) pair with a state; only state *changes* are reported, so judging
the same values twice reports nothing new (the caller keeps the states and passes them back). Three
rules keep alerts meaningful rather than noisy:

* thin data changes nothing: a value resting on fewer than ``min_samples`` observations neither
  raises nor clears an alert (one 👎 out of two turns says nothing);
* hysteresis: a firing alert lets go only once the value is ``hysteresis`` past its level on the good
  side, so a KPI hovering at the level does not fire and resolve every hour;
* a pair the thresholds file no longer covers (threshold removed or its scope changed) resolves, so
  no alert stays firing forever for a rule nobody judges any more.

The payloads are Alertmanager's webhook format (version 4, what Alertmanager itself posts to a
``webhook_config`` receiver, so tools that accept Alertmanager notifications accept Luna's) and a
plain form for anything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.flywheel.kpi_values import Kpi, KpiValue, Window
from luna.domain.flywheel.thresholds import EACH_TOPIC, TOPIC_PREFIX, Severity, Threshold

#: Alertmanager's "no end yet" time for an alert that is firing.
NO_END: Final = "0001-01-01T00:00:00Z"
#: What a change's description says when its threshold left the thresholds file.
RETIRED: Final = "Schwellenwert entfernt oder geändert; der Alarm wird nicht mehr ausgewertet."
_SEVERITY_DE: Final = {Severity.WARNING: "Warnung", Severity.CRITICAL: "Kritisch"}


@dataclass(frozen=True, slots=True)
class AlertState:
    """Where one (threshold, scope) pair stands after the latest evaluation that had enough data."""

    threshold: str
    scope: str
    #: None: in order (never fired, or resolved).
    severity: Severity | None
    value: float
    samples: int
    #: When the pair entered its current severity (started firing, escalated, or resolved).
    since: datetime
    evaluated_at: datetime

    @property
    def firing(self) -> bool:
        return self.severity is not None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One pair moving between severities; ``before``/``after`` None means "in order"."""

    threshold: str
    scope: str
    before: Severity | None
    after: Severity | None
    value: float
    samples: int
    at: datetime
    #: The threshold's German description, for operators.
    description: str
    #: The KPI the threshold watches; None where it is not known (a change read back from storage
    #: that does not keep it), and the payloads then leave the ``kpi`` label out.
    kpi: Kpi | None = None

    @property
    def fired(self) -> bool:
        return self.before is None and self.after is not None

    @property
    def resolved(self) -> bool:
        return self.before is not None and self.after is None

    @property
    def escalated(self) -> bool:
        return self.before is not None and self.after is not None and self.after.rank > self.before.rank

    @property
    def de_escalated(self) -> bool:
        return self.before is not None and self.after is not None and self.after.rank < self.before.rank


#: An alert's identity: (threshold name, scope).
AlertKey = tuple[str, str]


def evaluate(
    thresholds: Sequence[Threshold],
    values: Iterable[KpiValue],
    previous: Mapping[AlertKey, AlertState],
    now: datetime,
) -> tuple[dict[AlertKey, AlertState], list[AlertChange]]:
    """Every pair's new state (previous states included) and the changes, in threshold order.

    Each threshold judges the latest bucket of its KPI and window in each scope it covers; a pair
    with no value, or a value on too few samples, keeps its previous state untouched.
    """
    latest = _latest(values)
    states = dict(previous)
    changes: list[AlertChange] = []
    for threshold in thresholds:
        for scope in _scopes(threshold, latest):
            value = latest.get((threshold.kpi, threshold.window, scope))
            if value is None or value.samples < threshold.min_samples:
                continue
            state, change = _judge_pair(threshold, value, previous.get((threshold.name, scope)), now)
            states[(threshold.name, scope)] = state
            if change is not None:
                changes.append(change)
    for key, state in sorted(previous.items(), key=lambda item: item[0]):
        if state.firing and not any(t.name == key[0] and t.covers(key[1]) for t in thresholds):
            states[key], retired = _retire(state, now)
            changes.append(retired)
    return states, changes


def _latest(values: Iterable[KpiValue]) -> dict[tuple[Kpi, Window, str], KpiValue]:
    latest: dict[tuple[Kpi, Window, str], KpiValue] = {}
    for value in values:
        key = (value.kpi, value.window, value.scope)
        if key not in latest or value.bucket_start > latest[key].bucket_start:
            latest[key] = value
    return latest


def _scopes(threshold: Threshold, latest: Mapping[tuple[Kpi, Window, str], KpiValue]) -> list[str]:
    if threshold.scope != EACH_TOPIC:
        return [threshold.scope]
    return sorted(
        scope
        for kpi, window, scope in latest
        if kpi is threshold.kpi and window is threshold.window and scope.startswith(TOPIC_PREFIX)
    )


def _severity_for(threshold: Threshold, value: float, current: Severity | None) -> Severity | None:
    """The worst level ``value`` breaches; a level already reached holds until past its hysteresis."""
    for severity, level in threshold.levels:
        if threshold.comparator.breached(value, level):
            return severity
        holding = current is not None and current.rank >= severity.rank
        if holding and threshold.comparator.breached(
            value, threshold.comparator.relaxed(level, threshold.hysteresis)
        ):
            return severity
    return None


def _judge_pair(
    threshold: Threshold, value: KpiValue, before: AlertState | None, now: datetime
) -> tuple[AlertState, AlertChange | None]:
    current = None if before is None else before.severity
    after = _severity_for(threshold, value.value, current)
    unchanged = before is not None and after == current
    state = AlertState(
        threshold=threshold.name,
        scope=value.scope,
        severity=after,
        value=value.value,
        samples=value.samples,
        since=before.since if before is not None and unchanged else now,
        evaluated_at=now,
    )
    if after == current:
        return state, None
    change = AlertChange(
        threshold=threshold.name,
        scope=value.scope,
        before=current,
        after=after,
        value=value.value,
        samples=value.samples,
        at=now,
        description=threshold.description,
        kpi=threshold.kpi,
    )
    return state, change


def _retire(state: AlertState, now: datetime) -> tuple[AlertState, AlertChange]:
    resolved = AlertState(
        threshold=state.threshold,
        scope=state.scope,
        severity=None,
        value=state.value,
        samples=state.samples,
        since=now,
        evaluated_at=now,
    )
    change = AlertChange(
        threshold=state.threshold,
        scope=state.scope,
        before=state.severity,
        after=None,
        value=state.value,
        samples=state.samples,
        at=now,
        description=RETIRED,
    )
    return resolved, change


# --- payloads ---------------------------------------------------------------------------------------


def _timestamp(at: datetime) -> str:
    """RFC 3339 in UTC; a naive time is taken as UTC (that is how Luna stores times)."""
    aware = at.replace(tzinfo=UTC) if at.utcoffset() is None else at.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def fingerprint(labels: Mapping[str, str]) -> str:
    """16 hex digits that stay the same for the same labels (a receiver matches firing to resolved)."""
    canonical = "\xff".join(f"{name}\xfe{labels[name]}" for name in sorted(labels))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _events(change: AlertChange) -> list[tuple[str, Severity]]:
    """The alert instances a change ends and starts: escalation ends the warning, starts critical."""
    events: list[tuple[str, Severity]] = []
    if change.before is not None:
        events.append(("resolved", change.before))
    if change.after is not None:
        events.append(("firing", change.after))
    return events


def _labels(change: AlertChange, severity: Severity) -> dict[str, str]:
    labels = {"alertname": change.threshold}
    if change.kpi is not None:
        labels["kpi"] = change.kpi.value
    labels.update(scope=change.scope, severity=severity.value, service="luna")
    return labels


def _summary(change: AlertChange, status: str, severity: Severity) -> str:
    what = change.kpi.value if change.kpi is not None else change.threshold
    state = _SEVERITY_DE[severity] if status == "firing" else f"Behoben ({_SEVERITY_DE[severity]})"
    return f"{state}: {what} = {change.value:.4g} bei {change.samples} Stichproben ({change.scope})"


def _common(dicts: Sequence[Mapping[str, str]]) -> dict[str, str]:
    if not dicts:
        return {}
    return {key: value for key, value in dicts[0].items() if all(d.get(key) == value for d in dicts[1:])}


def alertmanager_payload(
    changes: Sequence[AlertChange], *, external_url: str, group_key: str = "luna"
) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4), one alert per instance that starts or ends.

    Labels match the Prometheus rules' (``alertname`` is the threshold), so a receiver sees the same
    alert whichever side judged it. An escalation ends the warning and starts the critical alert. A
    change knows only its own time, so a resolved alert's ``startsAt`` is its end time too.
    """
    generator = f"{external_url.rstrip('/')}/admin/flywheel"
    alerts: list[dict[str, Any]] = []
    for change in changes:
        for status, severity in _events(change):
            labels = _labels(change, severity)
            alerts.append(
                {
                    "status": status,
                    "labels": labels,
                    "annotations": {
                        "summary": _summary(change, status, severity),
                        "description": change.description,
                    },
                    "startsAt": _timestamp(change.at),
                    "endsAt": NO_END if status == "firing" else _timestamp(change.at),
                    "generatorURL": generator,
                    "fingerprint": fingerprint(labels),
                }
            )
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if any(alert["status"] == "firing" for alert in alerts) else "resolved",
        "receiver": group_key,
        "groupLabels": {"service": "luna"},
        "commonLabels": _common([alert["labels"] for alert in alerts]),
        "commonAnnotations": _common([alert["annotations"] for alert in alerts]),
        "externalURL": external_url,
        "alerts": alerts,
    }


def generic_payload(changes: Sequence[AlertChange]) -> dict[str, Any]:
    """A plain JSON form for receivers that are not Alertmanager-aware (n8n, chat webhooks …)."""
    return {
        "source": "luna",
        "alerts": [
            {
                "threshold": change.threshold,
                "scope": change.scope,
                "state": "firing" if change.after is not None else "resolved",
                "severity": None if (level := change.after or change.before) is None else level.value,
                "previous": None if change.before is None else change.before.value,
                "value": change.value,
                "samples": change.samples,
                "at": _timestamp(change.at),
                "description": change.description,
            }
            for change in changes
        ],
    }
