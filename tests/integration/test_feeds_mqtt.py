"""Meter readings over MQTT (issue #4, item 4) against the real Mosquitto broker at 127.0.0.1:1883.

Each test publishes on a topic and with meter IDs of its own run, and subscribes with a client id of
its own, so parallel runs on the same broker never see each other's messages or sessions.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput
from luna.ports.mqtt import FeedMessage, MessageSubscriber
from luna.settings import Settings
from luna.workers.runner import start_in_process, stop_in_process
from tests.conftest import require_server
from tests.contracts.sql_support import BACKENDS
from tests.integration.support import WAIT_SEC, container_on, wait_until

BROKER = ("127.0.0.1", 1883)
HOUR_13 = datetime(2025, 1, 15, 13, tzinfo=UTC)
DAY = (datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 1, 16, tzinfo=UTC))


@dataclass(frozen=True)
class Run:
    """Names of one test: its topic filter, a topic per meter, its meter IDs and client id."""

    token: str

    @property
    def topic_filter(self) -> str:
        return f"luna-test/{self.token}/meters/+/readings"

    def meter(self, n: int = 1) -> str:
        return f"mq-{self.token}-{n}"

    def topic(self, n: int = 1) -> str:
        return f"luna-test/{self.token}/meters/{self.meter(n)}/readings"

    @property
    def client_id(self) -> str:
        return f"luna-test-{self.token}"


def forget_session(client_id: str) -> None:
    """End the broker's session of ``client_id`` (a clean start without session expiry)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect(*BROKER, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


@pytest.fixture(scope="module")
def broker() -> None:
    require_server("Mosquitto", *BROKER)


@pytest.fixture
def run(broker: None) -> Iterator[Run]:
    run = Run(uuid.uuid4().hex[:12])
    yield run
    forget_session(run.client_id)


@pytest.fixture(params=BACKENDS)
def container(
    request: pytest.FixtureRequest, run: Run, make_settings: Callable[..., Settings]
) -> Iterator[Container]:
    with container_on(
        request, make_settings, LUNA_FEEDS__MQTT_TOPIC=run.topic_filter, LUNA_FEEDS__MQTT_BATCH_SEC="0.2"
    ) as built:
        yield built


@pytest.fixture
def subscribed(container: Container, run: Run) -> Iterator[MessageSubscriber]:
    """The container's MQTT intake behind a subscriber of this run, connected and subscribed."""
    subscriber = container.new_message_subscriber(client_id=run.client_id)
    subscriber.start(container.services.mqtt_readings.handle)
    wait_until(lambda: subscriber.health().is_up, "subscribed")
    yield subscriber
    subscriber.stop()


@pytest.fixture
def publish(broker: None) -> Iterator[Callable[[str, Any], None]]:
    """Publish with QoS 1 and wait for the broker's acknowledgement."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"luna-test-pub-{uuid.uuid4().hex[:8]}")
    client.connect(*BROKER)
    client.loop_start()

    def send(topic: str, payload: Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        client.publish(topic, body, qos=1).wait_for_publish(timeout=WAIT_SEC)

    yield send
    client.disconnect()
    client.loop_stop()


def reading(ts: datetime, kw: float = 0.6, **extra: Any) -> dict[str, Any]:
    return {
        "ts": ts.isoformat(),
        "consumption_kw": kw,
        "production_kw": 0.0,
        "voltage": 231.2,
        "quality": "ok",
        **extra,
    }


def hour(start: datetime, minutes: int = 60, kw: float = 0.6) -> list[dict[str, Any]]:
    return [reading(start + timedelta(minutes=m), kw) for m in range(minutes)]


def hourly_kwh(container: Container, meter: str) -> dict[int, float]:
    series = container.energy.readings(meter, *DAY, "1h", limit=100)
    at, kwh = series.columns.index("ts"), series.columns.index("consumption_kwh")
    return {row[at].hour: round(row[kwh], 6) for row in series.rows}


def handled(container: Container, rows: int) -> Callable[[], bool]:
    return lambda: container.services.mqtt_readings.totals.rows >= rows


def test_a_published_reading_reaches_smart_meter_readings(
    container: Container, run: Run, subscribed: MessageSubscriber, publish: Callable[[str, Any], None]
) -> None:
    publish(
        run.topic(1),
        {**reading(HOUR_13), "ts": "2025-01-15T14:00:00+01:00", "register_kwh": 1234.567, "unit": "kW"},
    )
    publish(run.topic(2), reading(HOUR_13, kw=420.0, unit="W"))

    wait_until(lambda: container.energy.count_readings() == 2, "both readings stored")
    stored = container.energy.stored_readings(run.meter(1), HOUR_13, HOUR_13 + timedelta(minutes=1))
    assert (stored.consumption_kw.tolist(), stored.voltage.tolist(), stored.register_kwh.tolist()) == (
        [0.6],
        [231.2],
        [1234.567],
    )
    assert stored.ts.tolist() == [HOUR_13.replace(tzinfo=None)]
    watts = container.energy.stored_readings(run.meter(2), HOUR_13, HOUR_13 + timedelta(minutes=1))
    assert watts.consumption_kw.tolist() == [pytest.approx(0.42)]
    meter = container.energy.get_meter(run.meter(1))
    assert meter is not None and meter.source == "mqtt" and meter.last_register_kwh == 1234.567
    # A reading is acknowledged to the broker right after its batch is stored, a moment after it shows.
    wait_until(lambda: subscribed.health().extra["acknowledged"] == 2, "both readings acknowledged")
    assert subscribed.health().extra["received"] == 2


def test_the_same_message_twice_is_stored_once_and_kwh_is_not_doubled(
    container: Container, run: Run, subscribed: MessageSubscriber, publish: Callable[[str, Any], None]
) -> None:
    payload = hour(HOUR_13)
    publish(run.topic(), payload)
    publish(run.topic(), payload)  # most likely in the same batch: a duplicate within it
    wait_until(handled(container, 120), "both messages handled")
    publish(run.topic(), payload)  # in a batch of its own: already stored
    wait_until(handled(container, 180), "the third copy handled")

    totals = container.services.mqtt_readings.totals
    assert totals.inserted == 60 and totals.duplicates + totals.already_stored == 120
    assert totals.already_stored >= 60
    assert container.energy.count_readings(run.meter()) == 60
    assert hourly_kwh(container, run.meter()) == {13: 0.6}


def test_an_invalid_payload_is_acknowledged_and_counted_but_never_stored(
    container: Container, run: Run, subscribed: MessageSubscriber, publish: Callable[[str, Any], None]
) -> None:
    publish(run.topic(), b"consumption=0.42")  # not JSON
    publish(run.topic(), reading(HOUR_13, unit="MW"))  # a unit Luna does not know
    publish(f"luna-test/{run.token}/meters//readings", reading(HOUR_13))  # '+' matches the empty meter ID
    publish(run.topic(), [reading(HOUR_13, kw=-1.0), {"ts": "2025-01-15T13:01:00", "consumption_kw": 0.5}])
    publish(run.topic(), reading(HOUR_13 + timedelta(minutes=2)))  # the one good reading

    wait_until(lambda: subscribed.health().extra["acknowledged"] == 5, "every message acknowledged")
    readings = container.services.mqtt_readings
    assert readings.unreadable_messages == 3
    assert (readings.totals.rows_bad, readings.totals.inserted) == (2, 1)
    assert container.energy.count_readings() == 1


def test_late_data_lands_and_updates_the_rollup(
    container: Container, run: Run, subscribed: MessageSubscriber, publish: Callable[[str, Any], None]
) -> None:
    publish(run.topic(), hour(HOUR_13))
    wait_until(handled(container, 60), "the newer hour handled")
    publish(run.topic(), hour(HOUR_13 - timedelta(hours=1), minutes=30, kw=1.2))
    wait_until(handled(container, 90), "the late half hour handled")

    assert container.services.mqtt_readings.totals.late == 30
    assert hourly_kwh(container, run.meter()) == {12: 0.6, 13: 0.6}
    (day,) = container.energy.daily_totals(*DAY, limit=10).rows
    assert day[2] == pytest.approx(1.2)


def test_a_new_meter_sending_every_15_minutes_is_told_once_how_to_set_its_interval(
    container: Container,
    run: Run,
    subscribed: MessageSubscriber,
    publish: Callable[[str, Any], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stored at the default minute, each 15-minute reading counted a fifteenth of its energy unsaid."""
    caplog.set_level("WARNING", logger="luna.services.energy.feeds_mqtt")
    for n, quarter in enumerate(range(4), start=1):
        publish(run.topic(), reading(HOUR_13 + timedelta(minutes=15 * quarter)))
        wait_until(handled(container, n), f"reading {n} handled")  # one message per batch

    told = [r.getMessage() for r in caplog.records if "rows are 15 min apart" in r.getMessage()]
    assert len(told) == 1, told
    assert f"luna meters interval {run.meter()} 900" in told[0]


def test_a_message_not_stored_is_not_acknowledged_and_comes_back(
    container: Container, run: Run, publish: Callable[[str, Any], None]
) -> None:
    """A batch whose write fails stays unacknowledged: the subscriber of the same session after a
    restart gets it again from the broker and stores it."""
    attempted = threading.Event()

    def database_down(messages: Sequence[FeedMessage]) -> None:
        attempted.set()
        raise ConnectionError("database unreachable")

    failing = container.new_message_subscriber(client_id=run.client_id)
    failing.start(database_down)
    wait_until(lambda: failing.health().is_up, "the first subscriber subscribed")
    publish(run.topic(), reading(HOUR_13))
    assert attempted.wait(WAIT_SEC)
    failing.stop()
    assert container.energy.count_readings() == 0

    restarted = container.new_message_subscriber(client_id=run.client_id)
    restarted.start(container.services.mqtt_readings.handle)
    try:
        wait_until(lambda: container.energy.count_readings() == 1, "the redelivered reading stored")
        wait_until(lambda: restarted.health().extra["acknowledged"] == 1, "the redelivery acknowledged")
    finally:
        restarted.stop()


def test_two_workers_on_one_host_subscribe_with_ids_of_their_own_and_store_once(
    container: Container, run: Run, publish: Callable[[str, Any], None]
) -> None:
    """Two workers of one host never share a client id (the broker would throw one out whenever the
    other connects); each receives every message, and the store keeps one copy."""
    first, second = (container.new_message_subscriber(client_id_prefix=run.client_id) for _ in range(2))
    first.start(container.services.mqtt_readings.handle)
    second.start(container.services.mqtt_readings.handle)
    try:
        assert (first.client_id, second.client_id) == (f"{run.client_id}-0", f"{run.client_id}-1")
        wait_until(lambda: first.health().is_up and second.health().is_up, "both subscribed")
        publish(run.topic(), reading(HOUR_13))
        wait_until(handled(container, 2), "both copies handled")
        assert container.energy.count_readings() == 1
        assert first.health().is_up and second.health().is_up
    finally:
        first.stop()
        second.stop()
        forget_session(f"{run.client_id}-0")
        forget_session(f"{run.client_id}-1")
    restarted = container.new_message_subscriber(client_id_prefix=run.client_id)
    restarted.start(container.services.mqtt_readings.handle)
    restarted.stop()
    forget_session(f"{run.client_id}-0")
    assert restarted.client_id == f"{run.client_id}-0"  # a restarted worker gets its session back


def test_a_worker_with_a_topic_filter_that_names_no_meter_refuses_to_start(
    broker: None, make_settings: Callable[..., Settings]
) -> None:
    """With ``#`` in the filter the subscriber would take messages whose meter it cannot tell; the
    worker fails at start instead, naming the setting, and leaves no thread running."""
    container = build_container(
        make_settings(LUNA_FEEDS__MQTT_ENABLED="true", LUNA_FEEDS__MQTT_TOPIC="luna-test/meters/#")
    )
    container.database.upgrade()
    try:
        with pytest.raises(InvalidInput, match=r"feeds\.mqtt_topic 'luna-test/meters/#' needs exactly one"):
            start_in_process(container)
        assert "not in this process" in str(container.message_subscriber.health().detail)
        assert container.job_queue.health().extra["worker_threads"] == 0
    finally:
        stop_in_process(container)
        container.close()


def test_the_worker_runs_the_subscriber_when_mqtt_is_enabled(
    run: Run, make_settings: Callable[..., Settings], publish: Callable[[str, Any], None]
) -> None:
    container = build_container(
        make_settings(
            LUNA_FEEDS__MQTT_ENABLED="true",
            LUNA_FEEDS__MQTT_TOPIC=run.topic_filter,
            LUNA_FEEDS__MQTT_BATCH_SEC="0.2",
        )
    )
    container.database.upgrade()
    # The worker's subscriber, with this run's client id instead of the host's.
    container.__dict__["message_subscriber"] = container.new_message_subscriber(client_id=run.client_id)
    try:
        start_in_process(container)
        mqtt_health = container.health_checks()["mqtt"]
        wait_until(lambda: mqtt_health.health().is_up, "the worker's subscriber subscribed")
        publish(run.topic(), reading(HOUR_13))
        wait_until(lambda: container.energy.count_readings() == 1, "the reading stored by the worker")
    finally:
        stop_in_process(container)
        container.close()
    assert "not in this process" in str(mqtt_health.health().detail)
