"""Operators start learning runs, see score versions and read the audit log through /api/v1/admin.

No worker runs here: a started run stays queued (so a second start meets it), and the tests run a
queued job to its end in this thread, as a worker would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.events import EventType
from luna.workers.registry import load_jobs
from luna.workers.runner import execute
from tests.api.conftest import http_client
from tests.integration.learning_data import add_events, add_library, add_users

pytestmark = pytest.mark.anyio

LEARN, AUDIT, JOBS = "/api/v1/admin/learn", "/api/v1/admin/audit", "/api/v1/admin/jobs"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(known_jobs=load_jobs())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


def some_events(container: Container) -> None:
    library = add_library(container.database, [2])
    user = add_users(container.database, 1)[0]
    add_events(
        container.database,
        user,
        [(EventType.CLICK, T0, library.chunks[0][0], None), (EventType.VIEW, T0, library.chunks[0][1], None)],
    )


async def jobs_total(client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    total: int = (await client.get(JOBS, headers=admin, params={"name": "learn.run"})).json()["data"]["total"]
    return total


async def test_every_route_needs_the_admin_key_and_nothing_is_queued_without_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    wrong = {"X-Admin-Key": "wrong-key-0123456789"}
    answers = [
        await client.post(LEARN),
        await client.post(LEARN, headers=wrong),
        await client.get(LEARN),
        await client.get(AUDIT, headers=wrong),
    ]

    assert [answer.status_code for answer in answers] == [401, 403, 401, 403]
    assert all(answer.json()["status"] == "error" for answer in answers)
    assert await jobs_total(client, admin) == 0


async def test_a_start_queues_the_job_and_a_second_start_meets_it_with_409(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    started = await client.post(LEARN, headers=admin)
    again = await client.post(LEARN, headers=admin, json={"as_of": "2025-03-01T03:00:00+01:00"})

    assert started.status_code == 202
    job = started.json()["data"]
    assert (job["name"], job["status"], job["created_by"], job["params"]) == (
        "learn.run",
        "queued",
        "admin-api",
        {},
    )
    assert again.status_code == 409 and again.json()["data"]["details"]["job_id"] == job["job_id"]
    assert await jobs_total(client, admin) == 1
    status = (await client.get(LEARN, headers=admin)).json()["data"]
    assert status["job"]["job_id"] == job["job_id"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"as_of": "gestern"}, "ISO-8601"),
        ({"as_of": "2025-03-01T03:00:00"}, "time zone"),
        ({"as_of": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "future"),
        ({"as_of": 1740798000}, "as_of"),
        ({"as_of": "0001-01-01T00:00:00+23:59"}, "before 2000-01-01"),
        ({"as_of": "1999-12-31T23:59:59Z"}, "before 2000-01-01"),
        ({"as_of": "2025-03-01T03:00:00Z", "half_life_days": 3}, "half_life_days"),
    ],
)
async def test_bad_bodies_are_refused_with_400_and_queue_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], problem: str
) -> None:
    answer = await client.post(LEARN, headers=admin, json=body)

    assert answer.status_code == 400 and problem in str(answer.json())
    assert await jobs_total(client, admin) == 0


async def test_a_given_as_of_is_passed_to_the_job(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    answer = await client.post(LEARN, headers=admin, json={"as_of": "2025-03-01T03:00:00+01:00"})

    assert answer.status_code == 202 and answer.json()["data"]["params"] == {
        "as_of": "2025-03-01T03:00:00+01:00"
    }


async def test_status_lists_versions_newest_first_with_their_audit_entries(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    container = container_of(app)
    empty = (await client.get(LEARN, headers=admin)).json()["data"]
    some_events(container)
    for as_of in ("2025-03-01T11:00:00Z", None):
        started = await client.post(LEARN, headers=admin, json={"as_of": as_of} if as_of else {})
        execute(container, started.json()["data"]["job_id"])

    status = (await client.get(LEARN, headers=admin)).json()["data"]
    one = (await client.get(LEARN, headers=admin, params={"limit": 1})).json()["data"]

    assert empty == {"latest": None, "versions": [], "audit": [], "job": None}
    newest, older = status["versions"]
    assert status["latest"] == newest and status["job"] is None
    assert newest["version"] > older["version"] and newest["actor"] == "admin-api"
    assert (newest["as_of"], older["as_of"]) == ("2025-03-01T12:00:00Z", "2025-03-01T11:00:00Z")
    assert (newest["chunks"], newest["items"], older["chunks"]) == (2, 1, 0)
    assert newest["params"]["half_life_days"] == 14.0 and len(newest["inputs_sha256"]) == 64
    assert [entry["target"] for entry in status["audit"]] == [
        f"scores:v{v['version']}" for v in (newest, older)
    ]
    assert status["audit"][0]["details"]["changes"]["added"] == 2
    assert len(one["versions"]) == 1 and one["latest"] == newest


async def test_the_audit_log_reads_newest_first_filtered_and_limited(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    container = container_of(app)
    for _ in range(2):
        execute(container, (await client.post(LEARN, headers=admin)).json()["data"]["job_id"])

    everything = await client.get(AUDIT, headers=admin)
    learning = await client.get(AUDIT, headers=admin, params={"action": "learn.run", "limit": 1})
    other = await client.get(AUDIT, headers=admin, params={"action": "privacy.erase"})

    entries = everything.json()["data"]["entries"]
    assert [entry["action"] for entry in entries] == ["learn.run", "learn.run"]
    assert entries[0]["ts"] >= entries[1]["ts"] and entries[0]["details"]["unchanged"] is True
    assert learning.json()["data"]["entries"] == entries[:1]
    assert other.json()["data"]["entries"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"action": "x; DROP TABLE audit_log"}])
async def test_bad_audit_queries_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, Any]
) -> None:
    answer = await client.get(AUDIT, headers=admin, params=params)

    assert answer.status_code == 400 and answer.json()["status"] == "error"


async def test_the_routes_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]

    assert set(paths[LEARN]) == {"get", "post"} and "409" in paths[LEARN]["post"]["responses"]
    assert "202" in paths[LEARN]["post"]["responses"] and "get" in paths[AUDIT]
