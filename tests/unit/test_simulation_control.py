"""Starting the live simulation while its job still runs: "already running", or "stopping"."""

from __future__ import annotations

from typing import Any, cast

import pytest

from luna.domain.errors import Conflict
from luna.domain.jobs import Job, JobStatus
from luna.services.energy.simulation_control import LIVE_JOB, SimulationControl


class _Jobs:
    """The one question the control asks the job service: which live job is queued or running."""

    def __init__(self, live: Job) -> None:
        self._live = live

    def list(self, status: str, name: str, limit: int, offset: int) -> tuple[list[Job], int]:
        found = status == self._live.status.value and name == LIVE_JOB
        return ([self._live], 1) if found else ([], 0)


def _control(live: Job) -> SimulationControl:
    return SimulationControl(cast(Any, _Jobs(live)), cast(Any, None), cast(Any, None))


def test_a_running_loop_is_already_running() -> None:
    with pytest.raises(Conflict, match="already running as job j-1") as refused:
        _control(Job("j-1", LIVE_JOB, JobStatus.RUNNING)).refuse_if_live()

    assert refused.value.details == {"job_id": "j-1", "status": "running", "stopping": False}


def test_a_loop_asked_to_stop_is_stopping_so_a_restart_is_no_success() -> None:
    """`luna sim stop && luna sim start` found the ending job and reported it as running."""
    with pytest.raises(Conflict, match="is stopping; start it again in a moment") as refused:
        _control(Job("j-1", LIVE_JOB, JobStatus.RUNNING, cancel_requested=True)).refuse_if_live()

    assert refused.value.details["stopping"] is True
