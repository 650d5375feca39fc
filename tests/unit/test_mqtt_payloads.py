"""What an MQTT message must look like to be read (issue #4, item 4): the topic names the meter, the
payload is one reading object or a list of them in kW or W, at most 10,000 per message. A message that
breaks one of these rules is refused whole (:class:`InvalidInput` with the reason); the worker counts
and acknowledges it. A topic filter the meter ID cannot be read from stops the worker at start."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from luna.domain.energy_validation import (
    READING_COLUMNS,
    REGISTER_COLUMN,
    RawRows,
    ReadingRules,
    validate_readings,
)
from luna.domain.errors import InvalidInput
from luna.ports.mqtt import FeedMessage
from luna.services.energy.feeds_mqtt import MAX_READINGS_PER_MESSAGE, MeterTopic, decode_readings

TOPIC = MeterTopic.parse("luna/meters/+/readings")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
RULES = ReadingRules(max_kw=100_000.0, voltage_min=180.0, voltage_max=260.0, future_tolerance_s=300)


def reading(minute: int = 0, **values: Any) -> dict[str, Any]:
    return {
        "ts": f"2025-01-15T13:{minute:02d}:00+01:00",
        "consumption_kw": 0.42,
        "production_kw": 0.1,
        "voltage": 231.2,
        "quality": "ok",
        "register_kwh": 1234.5,
        **values,
    }


def message(payload: Any, topic: str = "luna/meters/m-1/readings") -> FeedMessage:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return FeedMessage(topic=topic, payload=body, message_id=7)


def refusal(payload: Any, topic: str = "luna/meters/m-1/readings") -> str:
    with pytest.raises(InvalidInput) as error:
        decode_readings(message(payload, topic), TOPIC)
    return error.value.message


# --- the topic ---------------------------------------------------------------------------------------


def test_the_plus_level_of_the_topic_is_the_meter_id_of_every_reading() -> None:
    rows = decode_readings(message([reading(0), reading(1)], "luna/meters/haus-7/readings"), TOPIC)

    assert [row["meter_id"] for row in rows] == ["haus-7", "haus-7"]
    assert rows[0] == {
        "meter_id": "haus-7",
        "ts": "2025-01-15T13:00:00+01:00",
        "consumption_kw": 0.42,
        "production_kw": 0.1,
        "voltage": 231.2,
        "quality": "ok",
        "register_kwh": 1234.5,
    }
    assert MeterTopic.parse("+/readings").meter_id("m-9/readings") == "m-9"


def test_a_meter_id_in_the_payload_must_be_the_topics() -> None:
    same = decode_readings(message(reading(meter_id="m-1")), TOPIC)
    assert same[0]["meter_id"] == "m-1"

    reason = refusal([reading(0), reading(1, meter_id="m-2")])

    assert "'m-2'" in reason and "'m-1'" in reason


@pytest.mark.parametrize(
    "topic",
    [
        "luna/meters//readings",  # the meter level is empty
        "luna/meters/readings",  # no meter level
        "luna/meters/m-1/readings/extra",
    ],
)
def test_a_topic_without_a_meter_id_refuses_the_message(topic: str) -> None:
    assert TOPIC.meter_id(topic) is None
    assert "the '+' level is the meter ID" in refusal(reading(), topic)


@pytest.mark.parametrize(
    "topic_filter",
    [
        "luna/meters/readings",  # no '+': no meter ID
        "luna/+/meters/+/readings",  # two '+': which one is the meter?
        "luna/meters/+/#",  # '#' delivers topics of any depth
        "#",
    ],
)
def test_a_topic_filter_needs_exactly_one_plus_level_and_no_hash(topic_filter: str) -> None:
    with pytest.raises(InvalidInput) as error:
        MeterTopic.parse(topic_filter)
    assert repr(topic_filter) in error.value.message and "exactly one '+'" in error.value.message


def test_a_valid_topic_filter_names_its_meter_level() -> None:
    assert MeterTopic.parse("luna/meters/+/readings") == MeterTopic("luna/meters/+/readings", 2)
    assert MeterTopic.parse("+").meter_id("m-1") == "m-1"


# --- the payload -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"consumption=0.42", "not JSON"),
        (b"\xc3\x28", "not JSON"),  # not UTF-8
        (42, "a reading object or a non-empty list"),
        ("0.42", "a reading object or a non-empty list"),
        (None, "a reading object or a non-empty list"),
        ([], "a reading object or a non-empty list"),
        ([reading(0), 0.42], "a reading object or a non-empty list"),
        ([[reading(0)]], "a reading object or a non-empty list"),
    ],
)
def test_the_payload_must_be_a_json_object_or_a_non_empty_list_of_them(payload: Any, reason: str) -> None:
    assert reason in refusal(payload)


def test_one_object_is_one_reading_and_a_list_is_one_reading_per_object() -> None:
    assert len(decode_readings(message(reading()), TOPIC)) == 1
    assert len(decode_readings(message([reading(m) for m in range(3)]), TOPIC)) == 3


def test_a_message_carries_at_most_10000_readings() -> None:
    assert MAX_READINGS_PER_MESSAGE == 10_000
    full = [reading()] * MAX_READINGS_PER_MESSAGE

    assert len(decode_readings(message(full), TOPIC)) == 10_000
    assert "10001 readings in one message; at most 10000" in refusal([*full, reading()])


# --- the unit ----------------------------------------------------------------------------------------


def test_kw_is_the_default_unit_and_w_is_divided_into_kw() -> None:
    (default,) = decode_readings(message(reading()), TOPIC)
    (kw,) = decode_readings(message(reading(unit="kW")), TOPIC)
    (watts,) = decode_readings(message(reading(consumption_kw=420, production_kw=1500.0, unit="W")), TOPIC)

    assert (default["consumption_kw"], default["production_kw"]) == (0.42, 0.1)
    assert (kw["consumption_kw"], kw["production_kw"]) == (0.42, 0.1)
    assert (watts["consumption_kw"], watts["production_kw"]) == (pytest.approx(0.42), pytest.approx(1.5))
    assert (watts["voltage"], watts["register_kwh"]) == (231.2, 1234.5)  # not powers


def test_a_unit_luna_does_not_know_refuses_the_message() -> None:
    for unit in ("MW", "kWh", "w"):
        assert f"unit {unit!r} is not kW or W" in refusal([reading(0), reading(1, unit=unit)])


def validated(rows: list[dict[str, Any]]) -> Any:
    names = (*READING_COLUMNS, REGISTER_COLUMN)
    columns = {
        name: np.fromiter((row[name] for row in rows), dtype=object, count=len(rows)) for name in names
    }
    raw = RawRows(line=np.arange(1, 1 + len(rows), dtype=np.int64), columns=columns)
    return validate_readings(raw, RULES, now=NOW, stored={})


def test_watts_sent_as_text_are_stored_in_kw_like_watts_sent_as_numbers() -> None:
    """Validation reads a number in text like a JSON number, so text in W is divided as well."""
    payload = [
        reading(0, consumption_kw=420, production_kw=0, unit="W"),
        reading(1, consumption_kw="420", production_kw=" 1500 ", unit="W"),
        reading(2, consumption_kw="0,42", unit="W"),  # not a number: refused by validation
        reading(3, consumption_kw=True, unit="W"),  # a boolean is no number either
    ]

    check = validated(decode_readings(message(payload), TOPIC))

    assert check.batch.consumption_kw.tolist() == [pytest.approx(0.42), pytest.approx(0.42)]
    assert check.batch.production_kw.tolist() == [0.0, pytest.approx(1.5)]
    assert [(problem.line, problem.field) for problem in check.problems] == [
        (3, "consumption_kw"),
        (4, "consumption_kw"),
    ]
    assert "'0,42'" in check.problems[0].reason
