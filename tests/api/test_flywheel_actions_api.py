"""``/api/v1/admin/flywheel/actions`` over HTTP: list and read tickets, approve, reject and close them.

Tickets are opened the way the hourly cycle opens them (``services.actions.create_for``), then decided
through the API as an operator would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.thresholds import Comparator, Severity, Threshold
from luna.workers.registry import load_jobs
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

ACTIONS = "/api/v1/admin/flywheel/actions"
USEFULNESS = Threshold(
    name="usefulness_low",
    kpi=Kpi.USEFULNESS_RATE,
    comparator=Comparator.LT,
    warning=0.6,
    window=Window.DAY,
    description="Zu wenige Antworten werden als hilfreich bewertet.",
    actions=("knowledge_gap", "reindex"),
)
FIRED = AlertChange(
    "usefulness_low",
    ALL,
    None,
    Severity.WARNING,
    0.5,
    40,
    datetime(2026, 11, 30, 10, tzinfo=UTC),
    USEFULNESS.description,
    Kpi.USEFULNESS_RATE,
)


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(known_jobs=load_jobs())


def open_tickets(app: FastAPI) -> dict[str, str]:
    """The alert's tickets by kind, as the hourly cycle opens them."""
    created = app.state.container.services.actions.create_for([FIRED], (USEFULNESS,), ())
    return {action.kind.value: action.action_id for action in created}


async def test_tickets_are_listed_newest_first_and_filtered_by_status(
    app: FastAPI, admin: dict[str, str]
) -> None:
    tickets = open_tickets(app)
    async with http_client(app) as client:
        listed = await client.get(ACTIONS, headers=admin)
        assert listed.status_code == 200, listed.text
        actions = listed.json()["data"]["actions"]
        assert {a["action_id"] for a in actions} == set(tickets.values())
        gap = next(a for a in actions if a["kind"] == "knowledge_gap")
        assert (gap["status"], gap["owner"], gap["threshold"], gap["job_id"]) == (
            "open",
            "wissen",
            "usefulness_low",
            None,
        )
        assert (
            gap["title"].startswith("Wissenslücke schließen")
            and gap["details"]["alert"]["severity"] == "warning"
        )
        done = await client.get(ACTIONS, headers=admin, params={"status": "done"})
        assert done.json()["data"]["actions"] == []
        bad = await client.get(ACTIONS, headers=admin, params={"status": "waiting"})
        assert bad.status_code == 400
        assert (await client.get(ACTIONS)).status_code == 401


async def test_approving_a_reindex_queues_its_job_and_the_history_shows_it(
    app: FastAPI, admin: dict[str, str]
) -> None:
    reindex = open_tickets(app)["reindex"]
    async with http_client(app) as client:
        approved = await client.post(
            f"{ACTIONS}/{reindex}/approve", headers=admin, json={"note": "Index alt"}
        )
        assert approved.status_code == 200, approved.text
        data = approved.json()["data"]
        assert data["status"] == "running" and data["job_id"]
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in data["history"]] == [
            ("luna", None, "open"),
            ("admin", "open", "approved"),
            ("luna", "approved", "running"),
        ]
        assert data["history"][1]["note"] == "Index alt"
        job = await client.get(f"/api/v1/admin/jobs/{data['job_id']}", headers=admin)
        assert job.json()["data"]["name"] == "kb.reindex"
        one = await client.get(f"{ACTIONS}/{reindex}", headers=admin)
        assert one.json()["data"]["history"] == data["history"]


async def test_reject_then_forbidden_moves_and_unknown_tickets(app: FastAPI, admin: dict[str, str]) -> None:
    gap = open_tickets(app)["knowledge_gap"]
    async with http_client(app) as client:
        rejected = await client.post(f"{ACTIONS}/{gap}/reject", headers=admin, json={"note": "kein Thema"})
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["data"]["status"] == "rejected"
        again = await client.post(f"{ACTIONS}/{gap}/approve", headers=admin)
        assert again.status_code == 400
        error: dict[str, Any] = again.json()["data"]
        assert error["code"] == "invalid_input" and error["details"]["status"] == "rejected"
        for path in (f"{ACTIONS}/none", f"{ACTIONS}/none/approve", f"{ACTIONS}/none/reject"):
            method = client.get if path.endswith("none") else client.post
            assert (await method(path, headers=admin)).status_code == 404


async def test_a_person_closes_a_ticket_without_a_job(app: FastAPI, admin: dict[str, str]) -> None:
    gap = open_tickets(app)["knowledge_gap"]
    async with http_client(app) as client:
        too_early = await client.post(f"{ACTIONS}/{gap}/complete", headers=admin)
        assert too_early.status_code == 400
        approved = await client.post(f"{ACTIONS}/{gap}/approve", headers=admin)
        assert approved.json()["data"]["status"] == "approved"
        closed = await client.post(
            f"{ACTIONS}/{gap}/complete", headers=admin, json={"note": "Dokument ergänzt"}
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["data"]["status"] == "done"
        extra = await client.post(f"{ACTIONS}/{gap}/reject", headers=admin, json={"unknown": 1})
        assert extra.status_code == 400


@pytest.mark.parametrize("days", [0, 400, "8", True, 1.5])
async def test_a_vector_ingest_with_a_bad_look_back_is_refused_and_nothing_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], days: object
) -> None:
    body = {"name": "flywheel.vector_ingest", "params": {"days": days}}
    refused = await client.post("/api/v1/admin/jobs", json=body, headers=admin)
    assert refused.status_code == 400 and "days must be a whole number" in refused.json()["message"]
    assert (await client.get("/api/v1/admin/jobs", headers=admin)).json()["data"]["total"] == 0
