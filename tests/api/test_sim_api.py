"""Operators start and stop the live simulation through /api/v1/sim and watch it in /admin/jobs.

The live loop runs as the job ``sim.live`` on the real in-process worker with 1-second intervals;
the test follows it by polling (the readings it writes land on the real minute grid).
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.services.energy.simulation import SimulationService
from luna.workers.registry import load_jobs
from luna.workers.runner import start_in_process, stop_in_process
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

RUN, STATUS, JOBS = "/api/v1/sim/run", "/api/v1/sim/status", "/api/v1/admin/jobs"
WAIT_SEC = 30.0


@pytest.fixture
def sim_app(build_app: Callable[..., FastAPI]) -> Iterator[FastAPI]:
    """The app with every job known and the worker running; the loops tick every second."""
    app = build_app(
        known_jobs=load_jobs(),
        LUNA_SIM__SMARTMETER_INTERVAL_SEC="1",
        LUNA_SIM__MARKET_INTERVAL_SEC="1",
    )
    container: Container = app.state.container
    start_in_process(container)
    yield app
    jobs = container.services.jobs
    for running in jobs.list("running", "sim.live", 10, 0)[0]:
        jobs.cancel(running.job_id)  # a failed test must not leave the loop to block the worker's stop
    stop_in_process(container)


@pytest.fixture
async def client(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(sim_app) as client:
        yield client


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = WAIT_SEC) -> Any:
    """Poll ``check`` until it returns something truthy, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await anyio.sleep(0.05)


async def job_count(client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    total: int = (await client.get(JOBS, headers=admin)).json()["data"]["total"]
    return total


async def test_the_routes_need_the_admin_key_and_queue_nothing_without_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    missing = await client.post(RUN, json={"action": "start"})
    wrong = await client.post(RUN, json={"action": "start"}, headers={"X-Admin-Key": "wrong-key-0123456789"})
    status = await client.get(STATUS)

    assert (missing.status_code, wrong.status_code, status.status_code) == (401, 403, 401)
    assert missing.json()["status"] == "error"
    assert await job_count(client, admin) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"action": "pause"},
        {},
        {"action": "start", "meters": 0},
        {"action": "start", "meters": 100_001},
        {"action": "start", "meters": 100_000},  # more than sim.max_live_meters
        {"action": "start", "seed": -1},
        {"action": "start", "meters": "many"},
        # A boolean or a quoted number is a mistake in the request, not one or three meters.
        {"action": "start", "meters": True},
        {"action": "start", "meters": "3"},
        {"action": "start", "seed": False},
        {"action": "stop", "meters": 3},
        {"action": "start", "speed": 2},
    ],
)
async def test_bad_bodies_are_400_in_the_envelope_and_queue_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post(RUN, headers=admin, json=body)

    assert response.status_code == 400, response.text
    assert response.json()["data"]["code"] == "invalid_input"
    assert await job_count(client, admin) == 0


@pytest.mark.parametrize("content", [b"{", b"action=start", b"\xff\xfe\x00\x01"])
async def test_a_body_that_is_not_json_is_400_and_queues_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], content: bytes
) -> None:
    headers = {**admin, "Content-Type": "application/json"}

    response = await client.post(RUN, headers=headers, content=content)

    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
    assert await job_count(client, admin) == 0


@pytest.mark.parametrize(
    ("name", "params", "reason"),
    [
        ("sim.backfill", {"start": 20240304, "end": "2024-03-05"}, "start must be text"),
        ("sim.backfill", {"start": "garbage", "end": "2024-03-05"}, "start"),
        ("sim.backfill", {"start": "2024-03-05", "end": "2024-03-04"}, "must be after"),
        ("sim.backfill", {"start": "2024-03-04", "end": "2024-03-05", "meters": 10**9}, "meters"),
        ("sim.backfill", {"start": "2024-03-04", "end": "2024-03-05", "meters": True}, "meters"),
        ("sim.live", {"meters": 0}, "meters"),
        ("sim.live", {"seed": -1}, "seed"),
        ("sim.live", {"meters": 100_000}, "at most 5,000 meters (sim.max_live_meters)"),
        (
            "sim.backfill",
            {"start": "2000-01-02", "end": "2024-01-02", "meters": 100_000},
            "sim.max_backfill_rows",
        ),
    ],
)
async def test_a_simulation_job_with_bad_params_is_refused_at_submission_and_nothing_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], name: str, params: dict[str, Any], reason: str
) -> None:
    submitted = await client.post(JOBS, headers=admin, json={"name": name, "params": params})

    assert submitted.status_code == 400, submitted.text
    assert reason in submitted.json()["message"]
    assert await job_count(client, admin) == 0
    status = (await client.get(STATUS, headers=admin)).json()["data"]
    assert (status["meters"], status["readings"], status["prices"]) == (0, 0, 0)


async def test_stop_without_a_live_simulation_is_409(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(RUN, headers=admin, json={"action": "stop"})

    assert response.status_code == 409
    assert "not running" in response.json()["message"]


async def test_starting_another_fleet_over_stored_meters_is_409_and_queues_nothing(
    sim_app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    container: Container = sim_app.state.container
    day = datetime(2024, 3, 4, tzinfo=ZoneInfo("Europe/Berlin"))
    SimulationService(container.energy, container.settings.sim).backfill(day, day + timedelta(hours=1), 3, 7)

    response = await client.post(RUN, headers=admin, json={"action": "start", "meters": 5, "seed": 8})

    assert response.status_code == 409
    assert "fixed by its seed" in response.json()["message"]
    assert await job_count(client, admin) == 0


async def test_start_runs_the_live_loop_as_a_job_and_stop_ends_it_for_good(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    started = await client.post(RUN, headers=admin, json={"action": "start", "meters": 2, "seed": 9})
    assert started.status_code == 202, started.text
    job = started.json()["data"]
    assert (job["name"], job["params"], job["created_by"]) == (
        "sim.live",
        {"meters": 2, "seed": 9},
        "sim-api",
    )

    twice = await client.post(RUN, headers=admin, json={"action": "start"})
    assert twice.status_code == 409 and twice.json()["data"]["details"]["job_id"] == job["job_id"]
    as_job = await client.post(JOBS, headers=admin, json={"name": "sim.live", "params": {}})
    assert as_job.status_code == 409 and as_job.json()["data"]["details"]["job_id"] == job["job_id"]
    listed = (await client.get(JOBS, headers=admin, params={"name": "sim.live"})).json()["data"]
    assert [item["job_id"] for item in listed["items"]] == [job["job_id"]]

    async def live_with_data() -> dict[str, Any] | None:
        data: dict[str, Any] = (await client.get(STATUS, headers=admin)).json()["data"]
        running = data["live"] is not None and data["live"]["status"] == "running"
        return data if running and data["readings"] > 0 and data["prices"] > 0 else None

    status = await eventually(live_with_data, "the first readings and prices")
    now = datetime.now(UTC)
    newest = datetime.fromisoformat(status["newest_reading"])
    assert status["meters"] == 2 and status["readings"] >= 2 * 60  # the catch-up hour at once
    assert now - timedelta(minutes=2) < newest <= now - timedelta(minutes=1)  # never the future

    stopping = await client.post(RUN, headers=admin, json={"action": "stop"})
    asked = time.monotonic()
    assert stopping.status_code == 200 and stopping.json()["data"]["cancel_requested"] is True

    async def ended() -> dict[str, Any] | None:
        current: dict[str, Any] = (await client.get(f"{JOBS}/{job['job_id']}", headers=admin)).json()["data"]
        return current if current["status"] in ("succeeded", "failed", "cancelled") else None

    final = await eventually(ended, "the end of the live job")
    assert final["status"] == "cancelled" and time.monotonic() - asked < 3.0
    assert "Messwerte" in (final["message"] or "")
    stopped = (await client.get(STATUS, headers=admin)).json()["data"]
    assert stopped["live"] is None
    assert (await client.post(RUN, headers=admin, json={"action": "stop"})).status_code == 409
    finished_at = datetime.fromisoformat(final["finished_at"])
    assert datetime.fromisoformat(stopped["newest_reading"]) + timedelta(minutes=1) <= finished_at

    # A running loop would write the next minute right after it ends; a stopped one writes nothing.
    next_minute = math.floor(time.time() / 60 + 1) * 60
    while time.time() < next_minute + 2.0:
        later = (await client.get(STATUS, headers=admin)).json()["data"]
        assert (later["readings"], later["prices"]) == (stopped["readings"], stopped["prices"])
        await anyio.sleep(0.25)

    restarted = await client.post(RUN, headers=admin, json={"action": "start", "meters": 2, "seed": 9})
    assert restarted.status_code == 202 and restarted.json()["data"]["job_id"] != job["job_id"]
    await eventually(live_with_data, "the restarted loop")
    assert (await client.post(RUN, headers=admin, json={"action": "stop"})).status_code == 200
