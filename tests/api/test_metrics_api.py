"""``/api/v1/metrics/overview``, ``/api/v1/metrics/ingest`` and the usage gauges on ``/metrics``, over HTTP
on the embedded stack: what was uploaded, recorded and rated through the API is what the metrics count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from luna.container import Container
from luna.domain.energy_calendar import BERLIN
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

ALICE = {"X-Dev-User": "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"}
BOB = {"X-Dev-User": "5d1c8a4e-2f3b-4e6a-9c7d-8b0a1f2e3d4c"}

TARIFF = """# Dynamischer Stromtarif

Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.
Wer die Waschmaschine mittags startet, nutzt oft negative Strompreise aus.

## Voraussetzungen

Ein intelligentes Messsystem (Smart Meter) ist Voraussetzung für einen dynamischen Tarif.
"""


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    """Every read refreshes the daily event counts, so a test sees its events at once."""
    return build_app(LUNA_METRICS__EVENTS_DAILY_MAX_AGE_SEC="0")


async def upload(client: httpx.AsyncClient, text: str = TARIFF) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/ingest/doc",
        files={"file": ("tarif.md", text.encode(), "text/markdown")},
        headers={"X-Admin-Key": ADMIN_KEY},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def record(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, ts: datetime | None = None
) -> date:
    body: dict[str, Any] = {"type": kind}
    if ts is not None:
        body["ts"] = ts.isoformat()
    response = await client.post("/api/v1/events", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return datetime.fromisoformat(response.json()["data"]["ts"]).astimezone(BERLIN).date()


def berlin_day(as_of: str) -> date:
    """The Europe/Berlin day of an ``as_of`` instant: the metrics count per Berlin day (between 23:00 and
    24:00 UTC in winter that is already the next day)."""
    return datetime.fromisoformat(as_of).astimezone(BERLIN).date()


async def rate(client: httpx.AsyncClient, useful: bool) -> None:
    body = {"question": "Was kostet Strom?", "answer": "Das kommt darauf an.", "useful": useful}
    response = await client.post("/api/v1/feedback/rag", json=body, headers=ALICE)
    assert response.status_code == 201, response.text


async def overview(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/v1/metrics/overview", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "ok" and body["trace_id"]
    data: dict[str, Any] = body["data"]
    return data


# --- overview ---------------------------------------------------------------------------------------


async def test_overview_counts_uploads_users_events_and_ratings(client: httpx.AsyncClient) -> None:
    uploaded = await upload(client)
    days = [await record(client, ALICE, "view") for _ in range(2)]
    days.append(await record(client, BOB, "like"))
    days.append(await record(client, BOB, "click", datetime.now(UTC) - timedelta(days=3)))
    await rate(client, useful=True)
    await rate(client, useful=False)
    await rate(client, useful=True)

    data = await overview(client, ALICE)

    assert data["items"] == 1 and data["items_by_status"] == {"pending": 0, "indexed": 1, "failed": 0}
    assert data["chunks"] == uploaded["chunks"] and data["chunks_archived"] == 0
    assert data["users"] == 2
    assert data["events_by_type"] == {"click": 1, "like": 1, "view": 2}
    today = berlin_day(data["as_of"])
    assert data["events_today"] == sum(1 for d in days if d == today)
    per_day = {date.fromisoformat(d["day"]): d for d in data["events_per_day"]}
    assert len(per_day) == 30 and max(per_day) == today
    assert sum(entry["total"] for entry in per_day.values()) == 4
    assert per_day[days[3]]["by_type"] == {"click": 1}
    overall = data["feedback"]["overall"]
    assert (overall["useful"], overall["total"]) == (2, 3)
    assert overall["useful_ratio"] == pytest.approx(2 / 3)
    assert data["feedback"]["last_7_days"]["total"] == 3
    assert data["status"]["events_daily_refreshed_at"] is not None
    assert data["status"]["knowledge_updated_at"] is not None


async def test_new_events_are_counted_on_the_next_read(client: httpx.AsyncClient) -> None:
    before = await overview(client, ALICE)
    await record(client, ALICE, "view")

    after = await overview(client, ALICE)

    assert before["events_by_type"] == {}
    assert after["events_by_type"] == {"view": 1}


async def test_without_ratings_the_usefulness_rate_is_null(client: httpx.AsyncClient) -> None:
    feedback = (await overview(client, ALICE))["feedback"]

    assert feedback["overall"] == {"useful": 0, "total": 0, "useful_ratio": None}
    assert feedback["last_30_days"]["useful_ratio"] is None


async def test_operators_read_the_overview_with_the_admin_key(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    data = await overview(client, admin)

    assert data["users"] == 0  # the operator is not a customer


async def test_overview_needs_credentials(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/metrics/overview")
    wrong_key = await client.get("/api/v1/metrics/overview", headers={"X-Admin-Key": "wrong-key-0123456789"})

    assert missing.status_code == 401 and missing.json()["data"]["code"] == "unauthorized"
    assert wrong_key.status_code == 403


# --- ingest -----------------------------------------------------------------------------------------


async def test_ingest_metrics_count_uploads_per_day(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    uploaded = await upload(client)
    await upload(client, TARIFF.replace("Stunde", "Viertelstunde"))

    response = await client.get("/api/v1/metrics/ingest", headers=admin)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["documents"] == 2 and data["chunks"] == 2 * uploaded["chunks"]
    assert data["failures"] == {"items": 0, "jobs": 0, "files": 0, "total": 0}
    today = data["per_day"][-1]
    assert (today["day"], today["documents"]) == (berlin_day(data["as_of"]).isoformat(), 2)
    assert data["indexing"]["count"] == 2 and data["indexing"]["avg_sec"] >= 0
    assert data["jobs"] == {"count": 0, "avg_sec": None, "p95_sec": None}


async def test_ingest_metrics_are_for_operators_only(client: httpx.AsyncClient) -> None:
    customer = await client.get("/api/v1/metrics/ingest", headers=ALICE)
    wrong_key = await client.get("/api/v1/metrics/ingest", headers={"X-Admin-Key": "wrong-key-0123456789"})

    assert customer.status_code == 403 and customer.json()["data"]["code"] == "forbidden"
    assert wrong_key.status_code == 403


# --- Prometheus -------------------------------------------------------------------------------------


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers={"X-Admin-Key": ADMIN_KEY})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_prometheus_exports_the_usage_gauges(client: httpx.AsyncClient) -> None:
    uploaded = await upload(client)
    days = [await record(client, ALICE, "view"), await record(client, BOB, "view")]
    await rate(client, useful=True)
    await rate(client, useful=False)

    samples = await scrape(client)
    today = datetime.now(BERLIN).date()  # the gauges count per Europe/Berlin day

    assert samples[("luna_items", (("status", "indexed"),))] == 1
    assert samples[("luna_items", (("status", "failed"),))] == 0
    assert samples[("luna_chunks", ())] == uploaded["chunks"]
    assert samples[("luna_users", ())] == 2
    assert samples[("luna_events", (("type", "view"),))] == 2
    assert samples.get(("luna_events_today", (("type", "view"),)), 0) == days.count(today)
    assert samples[("luna_feedback_ratings", (("window", "all"),))] == 2
    assert samples[("luna_feedback_useful_ratio", (("window", "all"),))] == 0.5
    assert samples[("luna_feedback_useful_ratio", (("window", "7d"),))] == 0.5
    assert samples[("luna_ingest_failures", (("source", "jobs"),))] == 0
    assert samples[("luna_ingest_documents", ())] == 1
    assert samples[("luna_ingest_seconds", (("scope", "document"), ("stat", "p95")))] >= 0
    assert ("luna_ingest_seconds", (("scope", "job"), ("stat", "avg"))) not in samples


async def test_the_useful_ratio_is_absent_without_ratings(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)

    assert samples[("luna_feedback_ratings", (("window", "all"),))] == 0
    assert not any(name == "luna_feedback_useful_ratio" for name, _ in samples)


async def test_a_failing_usage_query_leaves_the_http_metrics_intact(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app()
    container: Container = app.state.container
    with container.database.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.text("DROP TABLE rag_feedback"))
    async with http_client(app) as client:
        await client.get("/api/v1/system/info")
        samples = await scrape(client)

    route = (("method", "GET"), ("route", "/api/v1/system/info"), ("status", "200"))
    assert samples[("luna_http_requests_total", route)] == 1
    assert ("luna_jobs", (("status", "queued"),)) in samples
    assert not any(name == "luna_items" for name, _ in samples)
