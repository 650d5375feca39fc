"""Meter readings from MQTT: topic and JSON payload into the shared validation, one write per batch.

Topic ``feeds.mqtt_topic`` (default ``luna/meters/+/readings``): the ``+`` level is the meter ID.
Payload: one JSON object or a list of them::

    {"ts": "2025-01-15T13:00:00+01:00", "consumption_kw": 0.42, "production_kw": 0.0,
     "voltage": 231.2, "quality": "ok", "register_kwh": 1234.567, "unit": "kW"}

``unit`` (``kW`` when absent) may be ``W``: the two power values are then divided by 1000. Other keys
are ignored. A message that cannot be read (not JSON, not objects, a unit Luna does not know, a topic
without a meter ID) is logged with the reason and counted; readings that break a rule are refused one
by one like bad CSV rows (the message id stands in for the line number). Either way the message is
acknowledged, never written, and never delivered again; a failed write raises, so the batch is
retried and stays unacknowledged until it is stored.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from luna.domain.energy_sequence import Counts
from luna.domain.energy_validation import READING_COLUMNS, REGISTER_COLUMN, RawRows, ReadingRules
from luna.domain.errors import InvalidInput
from luna.ports.energy import EnergyStore
from luna.ports.mqtt import FeedMessage
from luna.services.energy.feeds_intake import Clock, ReadingIntake, utc_now

logger = logging.getLogger(__name__)

#: Readings one message may carry (a day of 1-minute values is 1,440).
MAX_READINGS_PER_MESSAGE: Final = 10_000
#: Refused readings logged per batch; the rest are counted.
LOGGED_PROBLEMS: Final = 20
_POWER_FIELDS: Final = ("consumption_kw", "production_kw")
_UNITS: Final = {"kW": 1.0, "W": 1000.0}


@dataclass(frozen=True)
class MeterTopic:
    """A topic filter with exactly one ``+`` level, which carries the meter ID."""

    filter: str
    meter_level: int

    @staticmethod
    def parse(topic_filter: str) -> MeterTopic:
        levels = topic_filter.split("/")
        if levels.count("+") != 1 or "#" in topic_filter:
            raise InvalidInput(
                f"feeds.mqtt_topic {topic_filter!r} needs exactly one '+' level (the meter ID) and no '#'"
            )
        return MeterTopic(topic_filter, levels.index("+"))

    def meter_id(self, topic: str) -> str | None:
        levels = topic.split("/")
        if len(levels) != len(self.filter.split("/")):
            return None
        return levels[self.meter_level] or None


def decode_readings(message: FeedMessage, topic: MeterTopic) -> list[dict[str, Any]]:
    """The readings of one message as rows of the CSV's columns; raises :class:`InvalidInput` with the
    reason when the message as a whole cannot be read."""
    meter_id = topic.meter_id(message.topic)
    if meter_id is None:
        raise InvalidInput(f"the topic does not match {topic.filter} (the '+' level is the meter ID)")
    try:
        payload = json.loads(message.payload)
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, nested beyond reason
        raise InvalidInput(f"the payload is not JSON: {type(error).__name__}: {error}"[:300]) from None
    readings = payload if isinstance(payload, list) else [payload]
    if not readings or not all(isinstance(reading, dict) for reading in readings):
        raise InvalidInput("the payload must be a reading object or a non-empty list of them")
    if len(readings) > MAX_READINGS_PER_MESSAGE:
        raise InvalidInput(f"{len(readings)} readings in one message; at most {MAX_READINGS_PER_MESSAGE}")
    return [_row(meter_id, reading) for reading in readings]


def _row(meter_id: str, reading: dict[str, Any]) -> dict[str, Any]:
    unit = reading.get("unit", "kW")
    if unit not in _UNITS:
        raise InvalidInput(f"unit {unit!r} is not kW or W")
    if reading.get("meter_id", meter_id) != meter_id:
        raise InvalidInput(f"meter_id {reading['meter_id']!r} differs from the topic's {meter_id!r}")
    row = {name: reading.get(name) for name in (*READING_COLUMNS, REGISTER_COLUMN)}
    row["meter_id"] = meter_id
    for name in _POWER_FIELDS:
        row[name] = _in_kw(row[name], _UNITS[unit])
    return row


def _in_kw(value: Any, per_kw: float) -> Any:
    """A power value divided into kW. Validation reads a number given as text (``"420"``) like a JSON
    number, so text is converted and divided too: left as it is, 420 W would be stored as 420 kW.
    Whatever is not a finite number stays as sent, for validation to refuse with its reason."""
    if per_kw == 1.0 or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number / per_kw if math.isfinite(number) else value
    if isinstance(value, int | float):
        return value / per_kw
    return value


class MqttReadings:
    """Handles batches of meter messages; hand :meth:`handle` to a :class:`MessageSubscriber`."""

    def __init__(
        self, store: EnergyStore, rules: ReadingRules, topic_filter: str, *, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._rules = rules
        self._topic = MeterTopic.parse(topic_filter)
        self._clock = clock
        self._lock = threading.Lock()  # subscribers may hand batches from several threads
        self.totals = Counts()
        self.unreadable_messages = 0
        #: Meters whose readings were logged as further apart than their interval (once per process).
        self._spacing_logged: set[str] = set()

    def handle(self, messages: Sequence[FeedMessage]) -> None:
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        for message in messages:
            try:
                decoded = decode_readings(message, self._topic)
            except InvalidInput as error:
                with self._lock:
                    self.unreadable_messages += 1
                logger.warning(
                    "MQTT message %d on %s refused: %s", message.message_id, message.topic, error.message
                )
                continue
            rows += decoded
            lines += [message.message_id] * len(decoded)
        if not rows:
            return
        columns = {
            name: np.fromiter((row[name] for row in rows), dtype=object, count=len(rows))
            for name in (*READING_COLUMNS, REGISTER_COLUMN)
        }
        intake = ReadingIntake(
            self._store, self._rules, source="mqtt", max_listed=LOGGED_PROBLEMS, clock=self._clock
        )
        counts = intake.ingest(RawRows(line=np.array(lines, dtype=np.int64), columns=columns))
        with self._lock:
            self.totals.add(counts)
        for problem in intake.report.problems:
            logger.warning(
                "MQTT reading refused (message %d, meter %s, ts %s): %s %s",
                problem.line,
                problem.meter_id,
                problem.ts,
                problem.field,
                problem.reason,
            )
        self._log_spacing(intake)
        logger.debug("MQTT batch of %d messages: %s", len(messages), counts.as_dict())

    def _log_spacing(self, intake: ReadingIntake) -> None:
        """A meter first seen here is stored as reading every minute: when it sends every 15, that is
        said once (each batch would say it again), with how to set its interval."""
        for notice in intake.report.notices:
            meter_id = notice.meter_id
            if meter_id is None or meter_id not in intake.spaced_meters:
                continue
            with self._lock:
                if meter_id in self._spacing_logged:
                    continue
                self._spacing_logged.add(meter_id)
            logger.warning("MQTT meter %s: %s", meter_id, notice.reason)
