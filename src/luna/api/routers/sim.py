"""``/api/v1/sim``: operators start and stop the live simulation and see what it has written.

The live simulation is the worker job ``sim.live``: starting queues it, stopping cancels it, and it
shows in ``/admin/jobs`` like every job. History is written by ``sim.backfill`` (``luna sim
backfill`` or ``POST /admin/jobs``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from luna.api.auth import require_admin
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import ADMIN_ERRORS, error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.jobs import JobOut
from luna.api.schemas.sim import SimRun, SimStatusOut
from luna.services.energy.simulation_control import SimulationControl

#: Who the job record names as its creator when an operator starts the simulation through the API.
SIM_CREATOR = "sim-api"

router = APIRouter(
    prefix="/sim", tags=["simulation"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)


Control = Annotated[SimulationControl, from_services(lambda s: s.simulation_control)]


@router.post(
    "/run",
    summary="Start or stop the live simulation",
    description=(
        "`start` queues the job `sim.live` (202): meters every `sim.smartmeter_interval_sec`, prices "
        "every `sim.market_interval_sec`. `stop` asks it to end; it does within about a second and "
        "ends `cancelled`. Both answer with the job."
    ),
    responses={
        202: {"description": "The live simulation is queued"},
        409: error_response("start: already queued or running (`data.details.job_id`); stop: none runs"),
    },
)
def run(control: Control, body: SimRun, response: Response) -> Envelope[JobOut]:
    if body.action == "start":
        job = control.start(body.meters, body.seed, SIM_CREATOR)
        response.status_code = 202
        return ok(JobOut.from_job(job), f"The live simulation is queued as job {job.job_id}.")
    job = control.stop()
    return ok(JobOut.from_job(job), f"The live simulation (job {job.job_id}) is stopping.")


@router.get("/status", summary="The live simulation and what the store holds")
def status(control: Control) -> Envelope[SimStatusOut]:
    current = control.status()
    state = f"running as job {current.live.job_id}" if current.live is not None else "not running"
    return ok(SimStatusOut.from_status(current), f"The live simulation is {state}.")
