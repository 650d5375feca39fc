"""Operators start known jobs, follow them and cancel them through /api/v1/admin/jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.jobs import JobFunction
from tests.api.conftest import KNOWN_JOB, http_client

#: A well-formed ID that no row has (fixed, so every test worker collects the same test names).
UNKNOWN_ID = "5b0f6c1e-7a2d-4c3b-9e1f-0a1b2c3d4e5f"

pytestmark = pytest.mark.anyio

JOBS = "/api/v1/admin/jobs"


async def submit(client: httpx.AsyncClient, admin: dict[str, str], **params: object) -> dict[str, object]:
    response = await client.post(JOBS, headers=admin, json={"name": KNOWN_JOB, "params": params})
    assert response.status_code == 202, response.text
    job: dict[str, object] = response.json()["data"]
    return job


async def test_submitted_job_is_queued_and_can_be_read_back(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    job = await submit(client, admin, day="2025-01-01")

    response = await client.get(f"{JOBS}/{job['job_id']}", headers=admin)

    assert response.status_code == 200
    stored = response.json()["data"]
    assert stored["status"] == "queued"
    assert stored["name"] == KNOWN_JOB
    assert stored["params"] == {"day": "2025-01-01"}
    assert stored["created_by"] == "admin-api"


async def test_timestamps_are_iso8601_utc(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    job = await submit(client, admin)

    created = str(job["created_at"])

    assert created.endswith("Z") or created.endswith("+00:00")
    assert datetime.fromisoformat(created).utcoffset() is not None


async def test_unknown_job_name_is_400_naming_the_known_ones(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(JOBS, headers=admin, json={"name": "rm.everything"})

    assert response.status_code == 400
    assert KNOWN_JOB in response.json()["message"]


async def test_list_filters_and_pages_newest_first(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    submitted = [await submit(client, admin, n=n) for n in range(3)]
    await client.post(f"{JOBS}/{submitted[0]['job_id']}/cancel", headers=admin)

    queued = (await client.get(f"{JOBS}?status=queued&limit=1", headers=admin)).json()["data"]
    cancelled = (await client.get(f"{JOBS}?status=cancelled", headers=admin)).json()["data"]
    by_name = (await client.get(f"{JOBS}?name={KNOWN_JOB}&offset=1", headers=admin)).json()["data"]

    assert queued["total"] == 2
    assert [job["job_id"] for job in queued["items"]] == [submitted[2]["job_id"]]
    assert [job["job_id"] for job in cancelled["items"]] == [submitted[0]["job_id"]]
    assert by_name["total"] == 3 and len(by_name["items"]) == 2
    assert (by_name["limit"], by_name["offset"]) == (50, 1)


async def test_unknown_status_filter_is_400(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.get(f"{JOBS}?status=exploded", headers=admin)

    assert response.status_code == 400


@pytest.mark.parametrize("job_id", [UNKNOWN_ID, "not-a-uuid", "1"])
async def test_unknown_job_id_is_404(client: httpx.AsyncClient, admin: dict[str, str], job_id: str) -> None:
    read = await client.get(f"{JOBS}/{job_id}", headers=admin)
    cancel = await client.post(f"{JOBS}/{job_id}/cancel", headers=admin)

    assert read.status_code == cancel.status_code == 404
    assert read.json()["data"]["code"] == "not_found"


async def test_cancel_a_queued_job_then_cancelling_again_is_409(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    job = await submit(client, admin)

    first = await client.post(f"{JOBS}/{job['job_id']}/cancel", headers=admin)
    second = await client.post(f"{JOBS}/{job['job_id']}/cancel", headers=admin)

    assert first.status_code == 200
    assert first.json()["data"]["status"] == "cancelled"
    assert second.status_code == 409
    assert second.json()["data"]["code"] == "conflict"


def refresh_day(container: object, ctx: object, *, day: str, force: bool = False) -> None:
    """A job function with a required and an optional param."""


@pytest.fixture
def checking_client(build_app: Callable[..., FastAPI]) -> httpx.AsyncClient:
    """An app given the job functions (as ``luna serve`` gives it the registry), not only their names."""
    registry: dict[str, JobFunction] = {KNOWN_JOB: refresh_day}
    return http_client(build_app(known_jobs=registry))


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"day": "2025-01-01", "colour": "red"}, "unknown params: colour"),
        ({"force": True}, "missing params: day"),
    ],
)
async def test_params_the_job_cannot_take_are_400_and_nothing_is_stored(
    checking_client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, object], problem: str
) -> None:
    async with checking_client as client:
        response = await client.post(JOBS, headers=admin, json={"name": KNOWN_JOB, "params": params})
        listed = (await client.get(JOBS, headers=admin)).json()["data"]

    assert response.status_code == 400
    body = response.json()
    assert body["data"]["code"] == "invalid_input"
    assert problem in body["message"]
    assert listed["total"] == 0


async def test_params_the_job_can_take_are_accepted(
    checking_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with checking_client as client:
        response = await client.post(
            JOBS, headers=admin, json={"name": KNOWN_JOB, "params": {"day": "2025-01-01"}}
        )

    assert response.status_code == 202
    assert response.json()["data"]["params"] == {"day": "2025-01-01"}
