"""Documents are not written while a snapshot is restored, and a restore waits for those being written.

A restore replaces rows, vectors and files one after the other. An upload acknowledged in between kept
its row but lost its files (``verify`` found them missing; ``reread`` could not read it again), because
the file part deletes everything under ``docs/`` before it puts the snapshot's files back. So every
write to the knowledge base (:class:`GatedIngestService`: new documents, new versions, deletions,
re-reading) passes a gate that a restore closes: a write that comes during a restore is refused (409,
nothing stored), and a restore waits up to :data:`WAIT_SECONDS` for the writes already running, or is
refused itself (409, nothing changed).

Within a process the gate counts writes under a condition. Across processes (``luna worker`` processes,
further API processes) it takes two locks (``ports/process_locks.py``): every write holds ``kb-writes``
shared and checks that no restore holds ``kb-restore``; a restore takes ``kb-restore`` alone, so no
write begins anywhere from then on, and then waits for ``kb-writes`` alone, that is for the writes
already running in every process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from luna.domain.errors import Conflict
from luna.ports.process_locks import LockHold, ProcessLocks
from luna.services.knowledge.ingest import IngestResult, IngestService

#: How long a restore waits for the documents being written when it starts.
WAIT_SECONDS: Final = 60.0
#: How often a restore looks again whether other processes have finished their writes.
POLL_SECONDS: Final = 0.1
#: How long a restore retries ``kb-restore`` held for a moment by a writer's look (see below).
PROBE_GRACE_SECONDS: Final = 0.5
WRITES: Final = "kb-writes"
RESTORE: Final = "kb-restore"
_RESTORING = "A snapshot is being restored; try again once it has finished."


class RestoreGate:
    """Many writes at once, or one restore; in this process, and in every process that shares ``locks``
    (None: this process alone, as in tests of one service)."""

    def __init__(self, wait_seconds: float = WAIT_SECONDS, locks: ProcessLocks | None = None) -> None:
        self._changed = threading.Condition()
        self._writes = 0
        self._restoring = False
        self._wait = wait_seconds
        self._locks = locks

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._changed:
            if self._restoring:
                raise Conflict(_RESTORING)
            self._writes += 1
        try:
            with self._write_across_processes():
                yield
        finally:
            with self._changed:
                self._writes -= 1
                self._changed.notify_all()

    @contextmanager
    def restore(self) -> Iterator[None]:
        deadline = time.monotonic() + self._wait
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
            holds = self._restore_across_processes(deadline)
            try:
                yield
            finally:
                for hold in holds:
                    hold.release()
        finally:
            with self._changed:
                self._restoring = False

    @contextmanager
    def _write_across_processes(self) -> Iterator[None]:
        if self._locks is None:
            yield
            return
        writing = self._locks.acquire(WRITES, exclusive=False)
        try:
            restoring = writing is None or not _free(self._locks, RESTORE)
            if restoring:
                raise Conflict(_RESTORING)
            yield
        finally:
            if writing is not None:
                writing.release()

    def _restore_across_processes(self, deadline: float) -> list[LockHold]:
        """The holds of ``kb-restore`` and then ``kb-writes``, both alone; Conflict if either is not
        had by ``deadline`` (and then neither is held)."""
        if self._locks is None:
            return []
        # A writer looks whether a restore runs by taking kb-restore shared for a moment: a restore that
        # tried just then was refused as if another one ran. Such looks end at once; a restore does not.
        probed_until = min(deadline, time.monotonic() + PROBE_GRACE_SECONDS)
        while (restore := self._locks.acquire(RESTORE, exclusive=True)) is None:
            if time.monotonic() >= probed_until:
                raise Conflict("Another snapshot is being restored (by another Luna process).")
            time.sleep(POLL_SECONDS / 10)
        while (writes := self._locks.acquire(WRITES, exclusive=True)) is None:
            if time.monotonic() >= deadline:
                restore.release()
                raise Conflict(
                    f"Documents are still being written by another Luna process after {self._wait:g} s; "
                    "restore once they are done."
                )
            time.sleep(POLL_SECONDS)
        return [writes, restore]


def _free(locks: ProcessLocks, name: str) -> bool:
    """Whether no one holds ``name`` alone (checked by taking it shared for a moment)."""
    hold = locks.acquire(name, exclusive=False)
    if hold is None:
        return False
    hold.release()
    return True


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
