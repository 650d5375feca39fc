"""The datasets capability through the admin API: pipeline files, a run queued as the job
``datasets.run``, versions with quality and lineage, downloads in three formats, deliver and rollback,
and the refusals (unknown 404, faulty file 400 by line, bad format 400, no admin key 401/403)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.services.datasets.datasets import DATASETS_JOB
from luna.workers.registry import load_jobs
from luna.workers.runner import execute
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

BASE, JOBS = "/api/v1/admin/datasets", "/api/v1/admin/jobs"
PIPELINE = "test-readings"
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
YAML = f"""\
name: {PIPELINE}
description: Kleine Zählerstände für den API-Test
record: meter_reading
sources:
  - kind: file
    name: drop
    path: drops/readings.csv
steps:
  - step: validate
  - step: dedup
    mode: strict
gates:
  completeness: 0.5
  confidence: 0.0
consumers:
  - kind: energy
"""
#: ``name: broken`` with a misspelt key on line 3.
BROKEN = "name: broken\nrecord: meter_reading\nsorces: []\n"


def readings(hours: int) -> str:
    """A German CSV: ``hours`` hourly readings of one meter, one exact repeat, one negative value."""
    rows = [f"api-1;{NOW - timedelta(hours=h):%Y-%m-%dT%H:%M:%S}Z;0,{40 + h}" for h in range(hours)]
    rows += [rows[0], f"api-1;{NOW - timedelta(hours=hours):%Y-%m-%dT%H:%M:%S}Z;-1,5"]
    return "meter_id;ts;consumption_kw\n" + "\n".join(rows) + "\n"


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(known_jobs=load_jobs())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


@pytest.fixture
def container(app: FastAPI) -> Container:
    built: Container = app.state.container
    pipelines = built.settings.data_dir / "pipelines"
    pipelines.mkdir(parents=True, exist_ok=True)
    (pipelines / f"{PIPELINE}.yaml").write_text(YAML, encoding="utf-8")
    (pipelines / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    write_drop(built, 6)
    return built


def write_drop(container: Container, hours: int) -> Path:
    path = container.settings.data_dir / "drops" / "readings.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(readings(hours), encoding="utf-8")
    return path


async def run_as_job(app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    queued = await client.post(f"{BASE}/runs", json={"pipeline": PIPELINE}, headers=admin)
    assert queued.status_code == 202, queued.text
    job = queued.json()["data"]
    assert (job["name"], job["params"], job["status"]) == (DATASETS_JOB, {"pipeline": PIPELINE}, "queued")
    execute(app.state.container, job["job_id"])
    done = (await client.get(f"{JOBS}/{job['job_id']}", headers=admin)).json()["data"]
    assert done["status"] == "succeeded", done
    run_id: str = done["result"]["run_id"]
    return run_id


async def test_the_pipeline_files_are_listed_loaded_or_with_their_problems(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/pipelines", headers=admin)

    assert response.status_code == 200, response.text
    files = {p["name"]: p for p in response.json()["data"]["pipelines"]}
    mine = files[PIPELINE]
    assert mine["error"] is None and mine["record"] == "meter_reading" and mine["schedule"] is None
    assert mine["sources"] == [{"name": "drop", "kind": "file"}]
    assert [s["step"] for s in mine["steps"]] == ["validate", "dedup"]
    assert mine["gates"]["confidence"] == 0.0 and mine["consumers"] == [{"kind": "energy"}]
    assert files["broken"]["record"] is None and "line 3" in files["broken"]["error"]


async def test_a_queued_run_makes_a_version_to_list_read_download_and_trace(
    app: FastAPI, container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    run_id = await run_as_job(app, client, admin)

    run = (await client.get(f"{BASE}/runs/{run_id}", headers=admin)).json()["data"]
    runs = (await client.get(f"{BASE}/runs", params={"pipeline": PIPELINE, "limit": 5}, headers=admin)).json()
    listed = (await client.get(BASE, headers=admin)).json()["data"]["datasets"]
    versions = (await client.get(f"{BASE}/{PIPELINE}/versions", headers=admin)).json()["data"]["versions"]
    one = (await client.get(f"{BASE}/{PIPELINE}/versions/1", headers=admin)).json()["data"]

    assert run["status"] == "succeeded" and run["version_id"] == one["version_id"]
    assert [r["run_id"] for r in runs["data"]["runs"]] == [run_id]
    assert [(d["name"], d["newest_version"]) for d in listed] == [(PIPELINE, 1)]
    assert [v["number"] for v in versions] == [1] and versions[0]["lineage"] is None
    assert one["records"] == 6 and one["gates_passed"] and one["gate_failures"] == []
    assert 0 < one["quality"]["validity"] < 1 and "score" in one["quality"]
    assert [s["step"] for s in one["steps"]] == ["validate", "dedup"]
    assert [(e["input_kind"], e["input_ref"], e["records"]) for e in one["lineage"]] == [
        ("source", "file:drops/readings.csv", 8)
    ]

    uses = await client.get(f"{BASE}/lineage", params={"input": "file:drops/readings.csv"}, headers=admin)
    assert [(u["dataset"], u["number"]) for u in uses.json()["data"]["uses"]] == [(PIPELINE, 1)]
    deliveries = (await client.get(f"{BASE}/deliveries", params={"dataset": PIPELINE}, headers=admin)).json()
    assert [(d["consumer"], d["status"]) for d in deliveries["data"]["deliveries"]] == [
        ("energy", "delivered")
    ]

    parquet = await client.get(f"{BASE}/{PIPELINE}/versions/1/data", headers=admin)
    jsonl = await client.get(f"{BASE}/{PIPELINE}/versions/1/data", params={"format": "jsonl"}, headers=admin)
    csv = await client.get(f"{BASE}/{PIPELINE}/versions/1/data", params={"format": "csv"}, headers=admin)

    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert parquet.headers["content-disposition"] == f'attachment; filename="{PIPELINE}-v1.parquet"'
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 6
    assert jsonl.headers["content-type"].startswith("application/jsonl")
    assert jsonl.headers["content-disposition"].endswith('-v1.jsonl"')
    assert {json.loads(line)["meter_id"] for line in jsonl.text.splitlines()} == {"api-1"}
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        csv.text.splitlines()[0].startswith("meter_id,ts,consumption_kw") and len(csv.text.splitlines()) == 7
    )


async def test_a_version_that_failed_its_gates_says_why_in_german_with_each_gates_key(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """Stored as ``confidence: Konfidenz 38% unter 90%``; read as the dashboard shows it, the key apart."""
    strict = YAML.replace(f"name: {PIPELINE}", "name: test-strict").replace(
        "  confidence: 0.0\n", "  confidence: 0.9\n  min_records: 100\n"
    )
    (container.settings.data_dir / "pipelines" / "test-strict.yaml").write_text(strict, encoding="utf-8")
    container.services.datasets.run("test-strict")

    read = (await client.get(f"{BASE}/test-strict/versions/1", headers=admin)).json()
    refused = await client.post(f"{BASE}/test-strict/deliver", json={"version": 1}, headers=admin)

    version = read["data"]
    assert not version["gates_passed"]
    assert [f["gate"] for f in version["failed_gates"]] == ["confidence", "min_records"]
    assert version["gate_failures"] == [f["message"] for f in version["failed_gates"]]
    confidence, records = version["gate_failures"]
    assert re.fullmatch(r"Konfidenz \d+ % unter 90 %", confidence), confidence
    assert records == "6 Datensätze, mindestens 100 nötig"
    assert f"failed {confidence}, {records}." in read["message"]
    assert refused.status_code == 409 and f"failed its gates: {confidence}; {records}" in refused.text
    assert "confidence:" not in refused.text and "min_records:" not in read["message"]


async def test_deliver_again_and_roll_a_consumer_back(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    container.services.datasets.run(PIPELINE)
    write_drop(container, 9)
    container.services.datasets.run(PIPELINE)

    rolled = await client.post(
        f"{BASE}/{PIPELINE}/rollback", json={"consumer": "energy", "version": 1}, headers=admin
    )
    v1 = (await client.get(f"{BASE}/{PIPELINE}/versions/1", headers=admin)).json()["data"]
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["data"]["status"], rolled.json()["data"]["version_id"]) == (
        "rolled_back",
        v1["version_id"],
    )

    delivered = await client.post(f"{BASE}/{PIPELINE}/deliver", json={"version": None}, headers=admin)
    v2 = (await client.get(f"{BASE}/{PIPELINE}/versions/2", headers=admin)).json()["data"]
    assert delivered.status_code == 200, delivered.text
    ((delivery),) = delivered.json()["data"]["deliveries"]
    assert (delivery["consumer"], delivery["status"], delivery["version_id"]) == (
        "energy",
        "delivered",
        v2["version_id"],
    )

    unknown_consumer = await client.post(
        f"{BASE}/{PIPELINE}/rollback", json={"consumer": "finetune", "version": 1}, headers=admin
    )
    assert unknown_consumer.status_code == 400 and "finetune" in unknown_consumer.json()["message"]
    # A webhook consumer is named by its URL, longer than the 40 characters the field once allowed.
    hook = f"webhook:http://127.0.0.1:9/hooks/{'luna-datasets-' * 4}"
    by_url = await client.post(
        f"{BASE}/{PIPELINE}/rollback", json={"consumer": hook, "version": 1}, headers=admin
    )
    refusal = by_url.json()
    assert by_url.status_code == 400 and refusal["message"].endswith("its consumers: energy.")
    assert refusal["data"]["details"]["errors"][0]["field"] == "consumer"


@pytest.mark.parametrize(
    ("path", "body"),
    [("deliver", {"version": 2**64}), ("rollback", {"consumer": "energy", "version": 2**64})],
)
async def test_a_version_number_no_database_can_hold_is_a_400_that_changes_nothing(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object]
) -> None:
    container.services.datasets.run(PIPELINE)
    before = (await client.get(f"{BASE}/deliveries", params={"dataset": PIPELINE}, headers=admin)).json()

    refused = await client.post(f"{BASE}/{PIPELINE}/{path}", json=body, headers=admin)

    after = (await client.get(f"{BASE}/deliveries", params={"dataset": PIPELINE}, headers=admin)).json()
    assert refused.status_code == 400 and "version" in refused.json()["message"], refused.text
    assert after["data"] == before["data"]


async def test_refusals_name_what_is_wrong_and_queue_nothing(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    container.services.datasets.run(PIPELINE)

    unknown = await client.post(f"{BASE}/runs", json={"pipeline": "no-such-pipeline"}, headers=admin)
    faulty = await client.post(f"{BASE}/runs", json={"pipeline": "broken"}, headers=admin)
    jobs = (await client.get(JOBS, params={"name": DATASETS_JOB}, headers=admin)).json()["data"]

    assert unknown.status_code == 404 and "no-such-pipeline" in unknown.json()["message"]
    assert faulty.status_code == 400 and "line 3" in faulty.json()["message"]
    assert jobs["total"] == 0

    bad_format = await client.get(
        f"{BASE}/{PIPELINE}/versions/1/data", params={"format": "xlsx"}, headers=admin
    )
    assert bad_format.status_code == 400 and bad_format.json()["data"]["code"] == "invalid_input"
    for path in (
        f"{BASE}/{PIPELINE}/versions/9",
        f"{BASE}/{PIPELINE}/versions/9/data",
        f"{BASE}/no-such-dataset/versions",
        f"{BASE}/no-such-dataset/versions/1",
        f"{BASE}/runs/not-a-uuid",
        f"{BASE}/runs/00000000-0000-4000-8000-000000000000",
    ):
        response = await client.get(path, headers=admin)
        assert response.status_code == 404, (path, response.text)
    bad_name = await client.get(f"{BASE}/Not_A_Name/versions", headers=admin)
    assert bad_name.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{BASE}/pipelines"),
        ("POST", f"{BASE}/runs"),
        ("GET", BASE),
        ("GET", f"{BASE}/{PIPELINE}/versions/1/data"),
        ("POST", f"{BASE}/{PIPELINE}/rollback"),
    ],
)
async def test_only_operators_reach_the_datasets(
    container: Container, client: httpx.AsyncClient, method: str, path: str
) -> None:
    anonymous = await client.request(method, path)
    customer = await client.request(
        method, path, headers={"X-Dev-User": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}
    )
    wrong_key = await client.request(method, path, headers={"X-Admin-Key": "not-the-key-0123456789"})

    assert anonymous.status_code == 401
    assert customer.status_code in (401, 403) and wrong_key.status_code == 403


async def test_runs_and_the_newest_versions_quality_are_prometheus_gauges(
    app: FastAPI, container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    from tests.api.test_metrics import scrape

    await run_as_job(app, client, admin)
    samples = await scrape(client)

    dataset = (("dataset", PIPELINE),)
    assert samples[("luna_dataset_runs", (("pipeline", PIPELINE), ("status", "succeeded")))] == 1.0
    assert samples[("luna_dataset_records", dataset)] == 6.0  # 8 rows − a repeat − a negative value
    assert 0 < samples[("luna_dataset_quality_score", dataset)] <= 100
    assert samples[("luna_dataset_gates_failed", dataset)] == 0.0
    assert samples[("luna_dataset_delivery_failed", (("consumer", "energy"), ("dataset", PIPELINE)))] == 0.0


def _events(body: str) -> list[dict[str, str]]:
    """The events of a server-sent event body (fields of each block separated by blank lines)."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":")
        )
        if fields.get("event"):
            events.append(fields)
    return events


async def test_promotions_stream_as_server_sent_events_and_resume_after_the_last_seen(
    app: FastAPI, container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    await run_as_job(app, client, admin)

    streamed = await client.get(
        f"{BASE}/promotions", params={"since": before.isoformat(), "wait_sec": 0}, headers=admin
    )

    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    (event,) = _events(streamed.text)
    told = json.loads(event["data"])
    assert (event["event"], told["dataset"], told["version"]) == ("dataset.promoted", PIPELINE, 1)
    resumed = await client.get(
        f"{BASE}/promotions", params={"wait_sec": 0}, headers={**admin, "Last-Event-ID": event["id"]}
    )
    assert _events(resumed.text) == []  # nothing after the last event seen
    for params in ({"since": "2026-11-23T09:00:00"}, {"wait_sec": 11}):  # no offset; past the longest wait
        refused = await client.get(f"{BASE}/promotions", params=params, headers=admin)
        assert refused.status_code == 400, refused.text
    zoneless = {**admin, "Last-Event-ID": "2020-01-01T00:00"}  # was taken as "from now on"
    refused = await client.get(f"{BASE}/promotions", params={"wait_sec": 0}, headers=zoneless)
    assert refused.status_code == 400 and "Last-Event-ID" in refused.json()["message"]


async def test_an_open_stream_tells_of_a_run_that_ends_while_it_waits(
    app: FastAPI, container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    import threading

    later = threading.Timer(0.5, lambda: container.services.datasets.run(PIPELINE))
    later.start()
    try:
        streamed = await client.get(f"{BASE}/promotions", params={"wait_sec": 4}, headers=admin)
    finally:
        later.join()
    assert [json.loads(e["data"])["version"] for e in _events(streamed.text)] == [1]


async def _account_key(client: httpx.AsyncClient, admin: dict[str, str], name: str, scope: str) -> str:
    created = await client.post(
        "/api/v1/admin/service-accounts", json={"name": name, "scopes": [scope]}, headers=admin
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["data"]["key"]
    return key


async def test_machines_pull_released_versions_with_a_datasets_read_key(
    app: FastAPI, container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await run_as_job(app, client, admin)
    reader = {"X-Service-Key": await _account_key(client, admin, "trainer", "datasets:read")}
    other = {"X-Service-Key": await _account_key(client, admin, "grafana", "kpi:read")}

    listed = await client.get(f"/api/v1/datasets/{PIPELINE}/versions", headers=reader)
    pulled = await client.get(
        f"/api/v1/datasets/{PIPELINE}/versions/1", params={"format": "csv"}, headers=reader
    )

    assert [v["number"] for v in listed.json()["data"]["versions"]] == [1]
    assert pulled.status_code == 200 and pulled.headers["content-type"].startswith("text/csv")
    assert pulled.text.count("api-1") == 6
    assert (await client.get(f"/api/v1/datasets/{PIPELINE}/versions/1")).status_code == 401
    assert (await client.get(f"/api/v1/datasets/{PIPELINE}/versions/1", headers=other)).status_code == 403
    assert (await client.get(f"/api/v1/datasets/{PIPELINE}/versions/9", headers=reader)).status_code == 404
