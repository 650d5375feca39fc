"""MQTT subscriber on paho-mqtt 2 (MQTT 5) that acknowledges a message only after its batch is stored.

- ``manual_ack=True``: paho does not acknowledge on its own; the batch thread sends the PUBACKs after
  the handler returned, so a crash before that leaves the messages with the broker.
- A persistent session (``clean_start=False``, a day's session expiry, a stable client id): after a
  reconnect or a restart the broker delivers the unacknowledged messages again; the store skips the
  copies that were stored already.
- ``ReceiveMaximum`` bounds how many unacknowledged messages the broker sends; a batch is cut well
  below it, so collecting a batch never waits for messages the broker holds back.
- paho's network thread reconnects on its own (1…30 s back-off) and ``on_connect`` subscribes again.
  Packet ids belong to a connection: a message received before a reconnect is not acknowledged
  after it (its id may name another message by then); the broker sends it again anyway.
- Without an explicit client id, each process claims ``<prefix>-<n>``, the lowest slot free on this
  host (:mod:`luna.adapters.mqtt.client_ids`): stable across restarts, never shared by two processes.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from luna.adapters.mqtt.client_ids import ClientIdClaim, claim_client_id
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.mqtt import FeedMessage, MessageBatchHandler

logger = logging.getLogger(__name__)

_POLL_SEC: Final = 0.1
_PROBE_TIMEOUT_SEC: Final = 2.0


@dataclass(frozen=True)
class _Received:
    message: FeedMessage
    qos: int
    connection: int


class PahoMessageSubscriber:
    """:class:`~luna.ports.mqtt.MessageSubscriber` on one MQTT broker and topic filter."""

    def __init__(
        self,
        host: str,
        port: int,
        topic: str,
        *,
        client_id: str | None = None,
        client_id_prefix: str = "luna-feeds",
        qos: int = 1,
        batch_sec: float = 1.0,
        username: str | None = None,
        password: str | None = None,
        max_batch: int = 500,
        receive_maximum: int = 1000,
        session_expiry_sec: int = 86_400,
        retry_sec: float = 5.0,
    ) -> None:
        if max_batch >= receive_maximum:
            raise ValueError("max_batch must stay below receive_maximum, or a batch could wait for itself")
        self._host, self._port, self._topic = host, port, topic
        self._client_id = client_id
        self._client_id_prefix = client_id_prefix
        self._claim: ClientIdClaim | None = None
        self._qos = qos
        self._batch_sec = batch_sec
        self._credentials = (username, password)
        self._max_batch = max_batch
        self._receive_maximum = receive_maximum
        self._session_expiry_sec = session_expiry_sec
        self._retry_sec = retry_sec
        self._received: queue.SimpleQueue[_Received] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._client: mqtt.Client | None = None
        self._batches: threading.Thread | None = None
        self._connection = 0
        self._connected = False
        self._problem: str | None = "not connected yet"
        self._stats = {"received": 0, "acknowledged": 0, "batches": 0, "failed_batches": 0}

    @property
    def backend(self) -> str:
        return "mqtt"

    @property
    def client_id(self) -> str | None:
        """The id given, or the one claimed at :meth:`start` (None before)."""
        return self._client_id

    def start(self, handler: MessageBatchHandler) -> None:
        if self._client is not None:
            raise RuntimeError("the MQTT subscriber is already started")
        if self._client_id is None:
            self._claim = claim_client_id(self._client_id_prefix)
            self._client_id = self._claim.client_id
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self._client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        username, password = self._credentials
        if username is not None:
            client.username_pw_set(username, password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_connect_fail = self._on_connect_fail
        client.reconnect_delay_set(1, 30)
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry_sec
        properties.ReceiveMaximum = self._receive_maximum
        client.connect_async(self._host, self._port, keepalive=30, clean_start=False, properties=properties)
        self._client = client
        self._batches = threading.Thread(
            target=self._deliver, args=(handler,), name="luna-mqtt-batches", daemon=True
        )
        self._batches.start()
        client.loop_start()
        logger.info(
            "MQTT: subscribing to %s on %s:%d as %s", self._topic, self._host, self._port, self._client_id
        )

    def stop(self) -> None:
        self._stop.set()
        if self._batches is not None:
            self._batches.join()
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        if self._claim is not None:
            self._claim.release()

    def health(self) -> ComponentHealth:
        started = time.perf_counter()
        where = f"{self._host}:{self._port}"
        with self._lock:
            running, connected, problem, stats = (
                self._client is not None and not self._stop.is_set(),
                self._connected,
                self._problem,
                dict(self._stats),
            )
        if running:
            up = connected and problem is None
            status = HealthStatus.UP if up else HealthStatus.DOWN
            detail = f"{where}, topic {self._topic}" + ("" if up else f": {problem}")
            return ComponentHealth("mqtt", status, "mqtt", detail=detail, extra=stats)
        try:  # this process does not subscribe (a worker elsewhere does): is the broker there at all?
            with socket.create_connection((self._host, self._port), timeout=_PROBE_TIMEOUT_SEC):
                pass
        except OSError as error:
            latency = (time.perf_counter() - started) * 1000
            return ComponentHealth("mqtt", HealthStatus.DOWN, "mqtt", latency, detail=f"{where}: {error}")
        latency = (time.perf_counter() - started) * 1000
        detail = f"{where} reachable; the subscriber runs in a worker, not in this process"
        return ComponentHealth("mqtt", HealthStatus.UP, "mqtt", latency, detail=detail)

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        if reason.is_failure:
            self._set_state(connected=False, problem=f"connection refused: {reason}")
            logger.warning("MQTT: %s:%d refused the connection: %s", self._host, self._port, reason)
            return
        with self._lock:
            self._connection += 1
            self._connected, self._problem = True, "subscribing"
        client.subscribe(self._topic, qos=self._qos)
        logger.info("MQTT: connected (session kept by the broker: %s)", flags.session_present)

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._set_state(connected=False, problem="cannot reach the broker; retrying")

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _properties: Any
    ) -> None:
        refused = [str(reason) for reason in reasons if reason.is_failure]
        with self._lock:
            self._problem = f"subscription refused: {', '.join(refused)}" if refused else None
        if refused:
            logger.error(
                "MQTT: the broker refused the subscription to %s: %s", self._topic, ", ".join(refused)
            )

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        self._set_state(connected=False, problem=f"disconnected: {reason}")
        if self._stop.is_set():
            return
        logger.warning("MQTT: disconnected (%s); reconnecting", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._stats["received"] += 1
            connection = self._connection
        received = FeedMessage(
            topic=message.topic,
            payload=bytes(message.payload),
            message_id=message.mid,
            redelivered=message.dup,
        )
        self._received.put(_Received(received, message.qos, connection))

    # --- batches (own thread) --------------------------------------------------------------------

    def _deliver(self, handler: MessageBatchHandler) -> None:
        pending: list[_Received] = []
        while True:
            stopping = self._stop.is_set()
            self._collect(pending, wait=not stopping)
            if pending:
                if self._hand(handler, pending):
                    pending = []
                elif not stopping:
                    self._stop.wait(self._retry_sec)
            if stopping:
                return

    def _collect(self, pending: list[_Received], *, wait: bool) -> None:
        """Add messages to ``pending`` until it is full or ``batch_sec`` passed since its first one;
        without ``wait`` (stopping), only those that have arrived already."""
        deadline = time.monotonic() + self._batch_sec if pending else None
        while len(pending) < self._max_batch:
            if not wait:
                try:
                    pending.append(self._received.get_nowait())
                except queue.Empty:
                    return
                continue
            try:
                pending.append(self._received.get(timeout=_POLL_SEC))
            except queue.Empty:
                if self._stop.is_set():
                    return
            else:
                deadline = deadline if deadline is not None else time.monotonic() + self._batch_sec
            if deadline is not None and time.monotonic() >= deadline:
                return

    def _hand(self, handler: MessageBatchHandler, pending: list[_Received]) -> bool:
        try:
            handler([received.message for received in pending])
        except Exception:
            with self._lock:
                self._stats["failed_batches"] += 1
            logger.exception(
                "MQTT: storing %d messages failed; they stay unacknowledged and are tried again in %g s",
                len(pending),
                self._retry_sec,
            )
            return False
        with self._lock:
            connection = self._connection
            self._stats["batches"] += 1
        assert self._client is not None  # started before the batch thread
        acknowledged = 0
        for received in pending:
            if received.qos > 0 and received.connection == connection:
                self._client.ack(received.message.message_id, received.qos)
                acknowledged += 1
        with self._lock:
            self._stats["acknowledged"] += acknowledged
        return True

    def _set_state(self, *, connected: bool, problem: str | None) -> None:
        with self._lock:
            self._connected, self._problem = connected, problem
