"""Starting, stopping and watching the simulation as operators do it: through worker jobs.

The live loops are the job ``sim.live`` and a backfill is the job ``sim.backfill`` (defined in
``luna.workers.simulation``), so they show up in ``/admin/jobs``, run on whichever worker takes
them, and stop through the ordinary cancel request. One live simulation at a time: a second start
is refused while one is queued or running. Two starts racing each other can both pass that check;
the second loop then only produces duplicates, which the store recognises (no kWh count twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from luna.domain.errors import Conflict
from luna.domain.jobs import Job, JobStatus
from luna.ports.energy import EnergyStore
from luna.services.energy.simulation import SimulationService
from luna.services.operations.jobs import JobService

LIVE_JOB: Final = "sim.live"
BACKFILL_JOB: Final = "sim.backfill"
_METER_PAGE = 1000


@dataclass(frozen=True)
class SimulationStatus:
    """The live job (if one is queued or running) and what the store holds."""

    live: Job | None
    meters: int
    readings: int
    prices: int
    newest_reading: datetime | None


class SimulationControl:
    """The simulation's jobs and the store's counts, for the API, the CLI and ``luna serve``."""

    def __init__(self, jobs: JobService, store: EnergyStore, simulation: SimulationService) -> None:
        self._jobs = jobs
        self._store = store
        self._simulation = simulation

    def live_job(self) -> Job | None:
        """The live simulation's job while it is queued or running (stopping included)."""
        for status in (JobStatus.RUNNING, JobStatus.QUEUED):
            found, _ = self._jobs.list(status.value, LIVE_JOB, 1, 0)
            if found:
                return found[0]
        return None

    def refuse_if_live(self) -> None:
        """:class:`Conflict` (naming the job) while the live loops are queued or run: two loops would
        write the same meters, and a stop would reach only the newer one."""
        running = self.live_job()
        if running is None:
            return
        # After a stop the loop ends within a second: a start then finds it still there, and "already
        # running" would read as if the stop had failed.
        stopping = running.cancel_requested
        raise Conflict(
            f"the live simulation (job {running.job_id}) is stopping; start it again in a moment"
            if stopping
            else f"the live simulation is already {running.status.value} as job {running.job_id}",
            details={"job_id": running.job_id, "status": running.status.value, "stopping": stopping},
        )

    def start(self, meters: int | None, seed: int | None, created_by: str) -> Job:
        """Queue the live loops; :class:`Conflict` (naming the job) while they already run."""
        self.refuse_if_live()
        # Bad numbers, too large a fleet, another fleet: refused, nothing queued.
        self._simulation.prepared_live_fleet(meters, seed)
        given = (("meters", meters), ("seed", seed))
        params: dict[str, Any] = {key: value for key, value in given if value is not None}
        return self._jobs.submit(LIVE_JOB, params, created_by)

    def stop(self) -> Job:
        """Ask the live loops to stop (they do within about a second); :class:`Conflict` when none run."""
        running = self.live_job()
        if running is None:
            raise Conflict("the live simulation is not running")
        return self._jobs.cancel(running.job_id)

    def status(self) -> SimulationStatus:
        return SimulationStatus(
            live=self.live_job(),
            meters=self._store.count_meters(),
            readings=self._store.count_readings(),
            prices=self._store.count_prices(),
            newest_reading=self._newest_reading(),
        )

    def queue_demo_backfill(self, days: int, meters: int, seed: int, created_by: str) -> Job | None:
        """Queue ``days`` of history once, while the store has no readings and no backfill is pending.

        Nothing happens when ``days`` is 0, a reading exists, or a backfill is already queued or
        running (two processes starting at once).
        """
        if days <= 0 or self._store.count_readings() > 0:
            return None
        for status in (JobStatus.QUEUED, JobStatus.RUNNING):
            if self._jobs.list(status.value, BACKFILL_JOB, 1, 0)[1] > 0:
                return None
        start, end = self._simulation.demo_range(days)
        params = {"start": start.isoformat(), "end": end.isoformat(), "meters": meters, "seed": seed}
        return self._jobs.submit(BACKFILL_JOB, params, created_by)

    def _newest_reading(self) -> datetime | None:
        newest: datetime | None = None
        offset = 0
        while True:
            page = self._store.list_meters(limit=_METER_PAGE, offset=offset)
            for meter in page:
                if meter.last_ts is not None and (newest is None or meter.last_ts > newest):
                    newest = meter.last_ts
            if len(page) < _METER_PAGE:
                return newest
            offset += _METER_PAGE
