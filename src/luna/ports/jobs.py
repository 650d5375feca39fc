"""Job queue: carries job IDs from whoever submits to whichever worker executes.

The SQL ``jobs`` table is the record of status and progress; the queue only delivers IDs. The
worker side receives a handler (``execute(job_id)``) when it starts, so the queue never needs to
know what the jobs do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from luna.domain.health import ComponentHealth

JobHandler = Callable[[str], None]


class JobQueue(Protocol):
    @property
    def backend(self) -> str: ...

    def enqueue(self, job_id: str) -> None: ...

    def pending(self) -> int:
        """Job IDs waiting in the queue (not yet picked up by a worker)."""
        ...

    def start_workers(self, handler: JobHandler, workers: int) -> None:
        """Run ``workers`` threads in this process that execute queued jobs until :meth:`stop_workers`."""
        ...

    def stop_workers(self) -> None: ...

    def run_worker(self, handler: JobHandler, workers: int) -> None:
        """Run a worker in the foreground until interrupted (``luna worker``)."""
        ...

    def health(self) -> ComponentHealth: ...
