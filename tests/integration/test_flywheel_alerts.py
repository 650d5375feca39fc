"""The cycle end to end: sessions → KPIs → a threshold fires once, is sent to a receiver, resolves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.settings import Settings
from tests.integration.support import free_port
from tests.integration.webhook_receiver import Receiver, receiving

THRESHOLDS = """\
thresholds:
  - name: usefulness_day
    kpi: usefulness_rate
    comparator: "<"
    warning: 0.6
    critical: 0.3
    window: day
    scope: all
    min_samples: 10
    hysteresis: 0.05
    description: Zu wenige hilfreiche Antworten
    actions: [knowledge_gap]
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiving("/api/v2/alerts")


@pytest.fixture
def tracker() -> Iterator[Receiver]:
    yield from receiving("/tracker")


@pytest.fixture
def container(
    make_settings: Callable[..., Settings], tmp_path: Path, receiver: Receiver, tracker: Receiver
) -> Iterator[Container]:
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text(THRESHOLDS, encoding="utf-8")
    settings = make_settings(
        LUNA_FLYWHEEL__THRESHOLDS_FILE=str(thresholds),
        LUNA_FLYWHEEL__ALERT_WEBHOOK_URL=receiver.url,
        LUNA_FLYWHEEL__TRACKER_WEBHOOK_URL=tracker.url,
    )
    built = build_container(settings)
    built.database.upgrade()
    yield built
    built.close()


def rated_sessions(prefix: str, useful: int, useless: int) -> list[IncomingSession]:
    now = datetime.now(UTC) - timedelta(minutes=1)
    ratings = [1] * useful + [-1] * useless
    return [
        IncomingSession(
            f"{prefix}-{n}", "n8n", f"kunde-{n}", True, (SessionTurn("Frage?", "Antwort", now, rating=r),)
        )
        for n, r in enumerate(ratings)
    ]


def test_an_alert_fires_once_is_sent_and_resolves(
    container: Container, receiver: Receiver, tracker: Receiver
) -> None:
    services = container.services
    services.sessions.ingest(rated_sessions("a", useful=2, useless=10))

    first = services.flywheel.run()
    again = services.flywheel.run()

    assert (first.alerts_firing, first.alert_changes) == (1, 1)
    assert (again.alerts_firing, again.alert_changes) == (1, 0)  # de-duplicated: nothing new, nothing sent
    [state] = services.alerts.states()
    assert (state.threshold, state.scope, str(state.severity), state.samples) == (
        "usefulness_day",
        "all",
        "critical",
        12,
    )
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["alerts"][0]["labels"]["alertname"] == "usefulness_day"
    assert first.actions_opened == 1 and again.actions_opened == 0  # one knowledge-gap ticket, not two
    [ticket] = tracker.bodies
    assert (ticket["type"], ticket["action"]["kind"], ticket["action"]["status"]) == (
        "flywheel_action",
        "knowledge_gap",
        "open",
    )

    services.sessions.ingest(rated_sessions("b", useful=40, useless=0))
    recovered = services.flywheel.run()

    assert (recovered.alerts_firing, recovered.alert_changes) == (0, 1)
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    history = services.alerts.history()
    assert [(str(c.before), str(c.after)) for c in history] == [("critical", "None"), ("None", "critical")]


def test_a_dry_run_judges_without_storing_or_sending(container: Container, receiver: Receiver) -> None:
    services = container.services
    services.sessions.ingest(rated_sessions("a", useful=0, useless=12))
    services.kpis.compute()

    judged = services.alerts.evaluate(dry_run=True)

    assert judged.firing == 1 and len(judged.changes) == 1
    assert services.alerts.states() == [] and receiver.bodies == []


def test_too_few_samples_raise_no_alert(container: Container, receiver: Receiver) -> None:
    services = container.services
    services.sessions.ingest(rated_sessions("a", useful=0, useless=5))
    assert services.flywheel.run().alerts_firing == 0


def test_a_broken_thresholds_file_is_refused_naming_the_line(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    broken = tmp_path / "thresholds.yaml"
    broken.write_text(THRESHOLDS.replace("usefulness_rate", "usefulnes_rate"), encoding="utf-8")
    container = build_container(make_settings(LUNA_FLYWHEEL__THRESHOLDS_FILE=str(broken)))
    try:
        with pytest.raises(InvalidInput, match=r"line 3.*usefulnes_rate"):
            container.services.alerts.thresholds()
    finally:
        container.close()


def test_a_receiver_that_is_down_keeps_the_alert(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text(THRESHOLDS, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/nobody"
    container = build_container(
        make_settings(LUNA_FLYWHEEL__THRESHOLDS_FILE=str(thresholds), LUNA_FLYWHEEL__ALERT_WEBHOOK_URL=url)
    )
    try:
        container.database.upgrade()
        container.services.sessions.ingest(rated_sessions("a", useful=0, useless=12))
        container.services.kpis.compute()
        judged = container.services.alerts.evaluate()
        assert judged.delivered is False and judged.firing == 1
        assert [s.threshold for s in container.services.alerts.states()] == ["usefulness_day"]
    finally:
        container.close()
