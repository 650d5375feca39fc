"""Message feeds: a broker delivers meter readings, and Luna acknowledges a message only once it is stored.

The subscriber collects messages for a short while and hands them to the handler as one batch (one
write per batch instead of one per message). When the handler returns, every message of the batch is
acknowledged; when it raises, nothing is acknowledged and the same batch is handed again after a pause,
so the broker holds back further messages meanwhile (its in-flight window is full) and, if the process
dies, delivers the unacknowledged ones again to the next subscriber of the same session. A handler
therefore stores what it can and reports, but does not raise for, messages that can never be stored
(invalid payloads): those are acknowledged like the rest so they are not delivered forever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from luna.domain.health import ComponentHealth


@dataclass(frozen=True)
class FeedMessage:
    """One message as received: ``message_id`` is the broker's packet id (0 for QoS 0), and
    ``redelivered`` the broker's mark for a message it sent before without an acknowledgement."""

    topic: str
    payload: bytes
    message_id: int
    redelivered: bool = False


MessageBatchHandler = Callable[[Sequence[FeedMessage]], None]


class MessageSubscriber(Protocol):
    @property
    def backend(self) -> str: ...

    def start(self, handler: MessageBatchHandler) -> None:
        """Connect in the background (reconnecting on its own) and deliver batches to ``handler``."""
        ...

    def stop(self) -> None:
        """Finish the batch being handled (and acknowledge it), then disconnect; waiting messages stay
        unacknowledged, so the broker delivers them again to the next subscriber of this session."""
        ...

    def health(self) -> ComponentHealth: ...
