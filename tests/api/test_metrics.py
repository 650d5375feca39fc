"""/metrics speaks Prometheus, labels requests by route template and counts jobs by status."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import ADMIN_KEY, KNOWN_JOB, http_client

pytestmark = pytest.mark.anyio


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["X-Trace-Id"]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], **labels: str) -> float:
    return samples.get(("luna_http_requests_total", tuple(sorted(labels.items()))), 0.0)


async def test_requests_are_labelled_by_route_template_not_raw_path(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    job_ids = [str(uuid.uuid4()) for _ in range(3)]
    for job_id in job_ids:
        await client.get(f"/api/v1/admin/jobs/{job_id}", headers=admin)
    await client.get("/api/v1/system/info")

    samples = await scrape(client)

    assert requests_total(samples, method="GET", route="/api/v1/admin/jobs/{job_id}", status="404") == 3
    assert requests_total(samples, method="GET", route="/api/v1/system/info", status="200") == 1
    assert not any(job_id in str(key) for key in samples for job_id in job_ids)
    duration_count = (
        "luna_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/system/info")),
    )
    assert samples[duration_count] == 1


async def test_unknown_routes_share_one_label(client: httpx.AsyncClient) -> None:
    await client.get("/wp-admin/setup.php")
    await client.get("/api/v1/items/12345")
    await client.request("BREW", "/coffee")

    samples = await scrape(client)

    assert requests_total(samples, method="GET", route="unmatched", status="404") == 2
    assert requests_total(samples, method="other", route="unmatched", status="404") == 1
    assert not any("wp-admin" in str(key) or "12345" in str(key) for key in samples)


async def test_jobs_gauge_counts_the_jobs_table_at_scrape_time(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = await scrape(client)
    for _ in range(2):
        await client.post("/api/v1/admin/jobs", headers=admin, json={"name": KNOWN_JOB})

    after = await scrape(client)

    assert before[("luna_jobs", (("status", "queued"),))] == 0
    assert after[("luna_jobs", (("status", "queued"),))] == 2
    assert after[("luna_jobs", (("status", "failed"),))] == 0


async def test_each_app_has_its_own_registry(build_app: Callable[..., FastAPI]) -> None:
    first, second = build_app(), build_app()
    async with http_client(first) as one, http_client(second) as two:
        await one.get("/api/v1/system/info")
        samples = await scrape(two)

    assert requests_total(samples, method="GET", route="/api/v1/system/info", status="200") == 0


async def test_only_operators_may_scrape(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    anonymous = await client.get("/metrics")
    customer = await client.get("/metrics", headers={"X-Dev-User": str(uuid.uuid4())})
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-key"})
    by_header = await client.get("/metrics", headers=admin)

    assert anonymous.status_code == 401 and anonymous.json()["status"] == "error"
    assert "luna_items" not in anonymous.text and "luna_users" not in anonymous.text
    assert customer.status_code == 403
    assert wrong.status_code == 403
    assert by_header.status_code == 200 and "luna_items" in by_header.text


async def test_flywheel_kpis_are_gauges_with_their_samples(app: FastAPI, client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime

    from luna.domain.flywheel.sessions import IncomingSession, SessionTurn

    services = app.state.container.services
    now = datetime.now(UTC)
    turns = (
        SessionTurn("Was kostet Strom?", "30 ct/kWh", now, rating=1),
        SessionTurn("Und Gas?", "", now, rating=-1),
    )
    services.sessions.ingest([IncomingSession("s1", "n8n", "kunde", True, turns)])
    services.kpis.compute()

    samples = await scrape(client)
    labels = (("kpi", "usefulness_rate"), ("scope", "all"), ("window", "day"))
    assert samples[("luna_kpi_value", labels)] == 0.5
    assert samples[("luna_kpi_samples", labels)] == 2.0
