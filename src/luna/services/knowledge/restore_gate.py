"""Documents are not written while a snapshot is restored, and a restore waits for those being written.

A restore replaces rows, vectors and files one after the other. An upload acknowledged in between kept
its row but lost its files (``verify`` found them missing; ``reread`` could not read it again), because
the file part deletes everything under ``docs/`` before it puts the snapshot's files back. So every
write to the knowledge base (:class:`GatedIngestService`: new documents, new versions, deletions,
re-reading) passes a gate that a restore closes: a write that comes during a restore is refused (409,
nothing stored), and a restore waits up to :data:`WAIT_SECONDS` for the writes already running, or is
refused itself (409, nothing changed).

The gate is one per process: it holds for the API and its in-process worker (the embedded default).
``luna worker`` processes elsewhere write past it; restore while they are idle (``docs/architecture.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from luna.domain.errors import Conflict
from luna.services.knowledge.ingest import IngestResult, IngestService

#: How long a restore waits for the documents being written when it starts.
WAIT_SECONDS: Final = 60.0


class RestoreGate:
    """Many writes at once, or one restore."""

    def __init__(self, wait_seconds: float = WAIT_SECONDS) -> None:
        self._changed = threading.Condition()
        self._writes = 0
        self._restoring = False
        self._wait = wait_seconds

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._changed:
            if self._restoring:
                raise Conflict("A snapshot is being restored; try again once it has finished.")
            self._writes += 1
        try:
            yield
        finally:
            with self._changed:
                self._writes -= 1
                self._changed.notify_all()

    @contextmanager
    def restore(self) -> Iterator[None]:
        with self._changed:
            if self._restoring:
                raise Conflict("Another snapshot is being restored.")
            self._restoring = True
            if not self._changed.wait_for(lambda: self._writes == 0, timeout=self._wait):
                self._restoring = False
                raise Conflict(
                    f"{self._writes} document(s) are still being written after {self._wait:g} s; "
                    "restore once they are done."
                )
        try:
            yield
        finally:
            with self._changed:
                self._restoring = False


class GatedIngestService(IngestService):
    """:class:`IngestService` whose writes pass the :class:`RestoreGate`."""

    def __init__(self, *args: Any, gate: RestoreGate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    def ingest(self, *args: Any, **kwargs: Any) -> IngestResult:
        with self.gate.write():
            return super().ingest(*args, **kwargs)

    def replace(self, *args: Any, **kwargs: Any) -> IngestResult:
        with self.gate.write():
            return super().replace(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> int:
        with self.gate.write():
            return super().delete(*args, **kwargs)
