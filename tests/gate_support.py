"""A write that is under way while a test restores a snapshot (``services/knowledge/restore_gate.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from luna.services.knowledge.restore_gate import RestoreGate


@contextmanager
def write_under_way(gate: RestoreGate, seconds: float = 0.3) -> Iterator[threading.Event]:
    """A write through ``gate`` begun in a thread, lasting ``seconds``; yields the event set when it ends."""
    writing, finished = threading.Event(), threading.Event()

    def write() -> None:
        with gate.write():
            writing.set()
            time.sleep(seconds)
            finished.set()

    writer = threading.Thread(target=write)
    writer.start()
    writing.wait()
    try:
        yield finished
    finally:
        writer.join()
